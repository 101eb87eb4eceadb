"""The REST API through real HTTP: the daemon's app served by uvicorn on a loopback port."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest


@dataclass
class Api:
    """A running API: its base URL, the hub behind it, and a way to make tokens."""

    url: str
    hub: Any
    token: Callable[..., str]

    def client(self, token: str | None = None, **headers: str) -> httpx.Client:
        """An HTTP client for the API, with ``token`` as its bearer token."""
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def make_token(hub: Any, scopes: str, *, name: str | None = None,
               organization: str | None = None, expires: str | None = "90d") -> str:
    """A token of the local member (in ``organization``, default the configured one)."""
    import secrets

    from socialhub.services.access.tokens import create_token

    with hub.context("cli", organization=organization) as ctx:
        made = create_token(ctx, name=name or f"t-{secrets.token_hex(4)}", scopes=scopes,
                            expires=expires)
    return made.secret


def serve(hub: Any, *, rate_limit: int | None = None, max_body: int = 64 * 1024
          ) -> Iterator[str]:
    """Serve the daemon's HTTP app (API mounted) on 127.0.0.1 and yield its URL."""
    from socialhub.daemon.http import HttpServer, create_daemon_app
    from socialhub.services.ops.http_access import HttpAccess

    if rate_limit is not None:
        api = hub.config.settings.api.model_copy(update={"rate_limit_per_minute": rate_limit})
        settings = hub.config.settings.model_copy(update={"api": api})
        hub.config = hub.config.model_copy(update={"settings": settings})
    access = HttpAccess("127.0.0.1", 0, None, max_body)
    app = create_daemon_app(hub.config, lambda: {"status": "ok"}, lambda: {}, access, hub=hub)
    server = HttpServer(app, "127.0.0.1", 0)
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture
def api(hub: Any) -> Iterator[Api]:
    """The API on a loopback port over a fresh database (SQLite and PostgreSQL), with one
    Bluesky account, ``bluesky:@shop.example.com``."""
    from socialhub.services.accounts.accounts import add_account

    with hub.context("cli") as ctx:
        add_account(ctx, platform="bluesky", handle="shop.example.com")
    for url in serve(hub):
        yield Api(url, hub, lambda scopes, **kw: make_token(hub, scopes, **kw))


def add_rival(hub: Any) -> None:
    """Another organization, ``rival``, of the local member, with one Bluesky account
    (``bluesky:@rival.example.com``): its records must stay out of every answer."""
    from socialhub.services.accounts.accounts import add_account
    from socialhub.services.orgs import add_organization
    from socialhub.services.teams.acting import acting_login

    with hub.transaction() as session:
        add_organization(session, "rival", login=acting_login(session))
    with hub.context("cli", organization="rival") as ctx:
        add_account(ctx, platform="bluesky", handle="rival.example.com")
