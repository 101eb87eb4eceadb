"""A token acts as its member: the member's current role, narrowed by the token's scopes.

SQLite (``SOCIALHUB_LOGIN`` names the member; on PostgreSQL members are database
logins, whose set-up tests/cli/test_team_on_postgresql.py covers).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import make_token, serve

TARGET = [{"account": "bluesky:@shop.example.com"}]


@pytest.fixture
def team(home: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    from socialhub.services.accounts.accounts import add_account
    from socialhub.services.hub import Hub
    from socialhub.services.settings import load_config
    from socialhub.services.teams.members import add_member

    hub = Hub(load_config())
    with hub.context("cli") as ctx:
        add_account(ctx, platform="bluesky", handle="shop.example.com")
        add_member(ctx, "rita", "reviewer")
        add_member(ctx, "eddie", "editor")
    yield hub
    hub.dispose()


def _as(monkeypatch: pytest.MonkeyPatch, login: str) -> None:
    monkeypatch.setenv("SOCIALHUB_LOGIN", login)


def test_scopes_never_lift_a_role_and_a_role_change_reaches_the_tokens(
        team: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from socialhub.services.teams.members import remove_member, set_member_role

    _as(monkeypatch, "rita")
    rita = make_token(team, "posts:write,posts:approve", name="rita")
    _as(monkeypatch, "eddie")
    eddie = make_token(team, "posts:write,posts:approve", name="eddie")
    monkeypatch.delenv("SOCIALHUB_LOGIN")
    for url in serve(team):
        def call(token: str, method: str, path: str, base: str = url,
                 **kw: Any) -> httpx.Response:
            return httpx.request(method, base + path, timeout=30,
                                 headers={"Authorization": f"Bearer {token}"}, **kw)

        # A reviewer's token with posts:write still may not write: the role says no.
        assert call(rita, "POST", "/api/v1/posts",
                    json={"body": "x", "targets": TARGET}).status_code == 403
        made = call(eddie, "POST", "/api/v1/posts",
                    json={"body": "x", "targets": TARGET, "name": "eddies"})
        assert made.status_code == 201 and made.json()["name"] == "eddies"
        # An editor's token with posts:approve may not approve: editors do not.
        assert call(eddie, "POST", "/api/v1/posts/eddies/approve", json={}).status_code == 403
        assert call(eddie, "POST", "/api/v1/posts/eddies/submit", json={}).status_code == 200
        approved = call(rita, "POST", "/api/v1/posts/eddies/approve", json={})
        assert approved.status_code == 200, approved.text
        with team.context("cli") as ctx:
            set_member_role(ctx, "eddie", "viewer")
        assert call(eddie, "POST", "/api/v1/posts",
                    json={"body": "y", "targets": TARGET}).status_code == 403
        with team.context("cli") as ctx:
            remove_member(ctx, "eddie")
        gone = call(eddie, "GET", "/api/v1/posts")
        assert gone.status_code == 401 and "left" in gone.json()["detail"]
