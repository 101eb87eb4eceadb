"""The MCP server over streamable HTTP, mounted on the daemon's app at ``/mcp``, served
by a real uvicorn on loopback and driven by the MCP SDK's own streamable-HTTP client;
callers authenticate with a bearer token (a small authenticator over a token made here,
standing in for the API tokens). SQLite and PostgreSQL.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from socialhub.daemon.http import HttpServer, create_daemon_app
from socialhub.mcp_server.http import McpHttpAuth
from socialhub.services.accounts.accounts import add_account
from socialhub.services.ai.voices import add_voice
from socialhub.services.audit_trail.trail import AuditFilter, list_audit
from socialhub.services.authoring.posts import get_post
from socialhub.services.context import Ctx
from socialhub.services.hub import Hub
from socialhub.services.ops.http_access import HttpAccess

TOKEN = secrets.token_urlsafe(24)
DAEMON_TOKEN = secrets.token_urlsafe(24)


class Daemon:
    """The daemon's HTTP app with MCP mounted, on a real uvicorn."""

    def __init__(self, hub: Hub, *, daemon_token: str | None = None,
                 trusted: bool = False) -> None:
        def authenticate(bearer: str) -> str | None:
            return "agent" if hmac.compare_digest(bearer, TOKEN) else None

        def open_context(principal: str) -> AbstractContextManager[Ctx]:
            assert principal == "agent"
            return hub.context("mcp")

        access = HttpAccess("127.0.0.1", 0, daemon_token, 1_048_576)
        app = create_daemon_app(hub.config, lambda: {"status": "ok"}, lambda: {}, access,
                                mcp=McpHttpAuth(authenticate=authenticate,
                                                open_context=open_context,
                                                trusted=lambda _p: trusted))
        self.server = HttpServer(app, "127.0.0.1", 0, lifespan=True)
        self.url = self.server.start() + "/mcp"

    def call(self, calls: Callable[[ClientSession], Any], token: str = TOKEN) -> Any:
        """Run ``calls(session)`` through the SDK's streamable-HTTP client."""
        async def main() -> Any:
            async with httpx2.AsyncClient(
                    headers={"Authorization": f"Bearer {token}"}) as http, \
                    streamable_http_client(self.url, http_client=http) as (read, write), \
                    ClientSession(read, write) as session:
                await session.initialize()
                return await calls(session)

        return anyio.run(main)


@pytest.fixture
def shop(hub: Hub) -> Hub:
    with hub.context("cli") as ctx:
        add_account(ctx, platform="sandbox", handle="demo", base_url="http://127.0.0.1:9")
        add_voice(ctx, "friendly", tone=["warm"])
    return hub


@pytest.fixture
def daemon(shop: Hub) -> Iterator[Daemon]:
    running = Daemon(shop)
    yield running
    running.server.stop()


def _data(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    data: dict[str, Any] = json.loads(result.content[0].text)
    return data


def _refused(daemon: Daemon, token: str) -> bool:
    """Whether the SDK's client fails to start a session with ``token`` (the server's 401
    reaches it as an MCP error inside the client's task groups)."""
    try:
        daemon.call(lambda s: s.list_tools(), token=token)
    except BaseExceptionGroup as group:
        leaves = group.exceptions
        while any(isinstance(e, BaseExceptionGroup) for e in leaves):
            leaves = tuple(x for e in leaves for x in (
                e.exceptions if isinstance(e, BaseExceptionGroup) else (e,)))
        return any(isinstance(e, MCPError) for e in leaves)
    return False


def test_an_agent_with_a_token_reads_and_proposes_over_http(daemon: Daemon,
                                                             shop: Hub) -> None:
    async def calls(session: ClientSession) -> Any:
        listed = await session.list_tools()
        accounts = await session.call_tool("accounts_list", {})
        drafted = await session.call_tool("posts_draft", {
            "body": "New in store today", "targets": ["sandbox:@demo"], "name": "in-store"})
        reads = {name: await session.call_tool(name, args) for name, args in (
            ("posts_list", {"status": "pending_approval"}), ("posts_show", {"post": "in-store"}),
            ("campaigns_list", {}), ("voices_list", {}), ("voices_show", {"name": "friendly"}),
            ("analytics_overview", {"days": 7}), ("inbox_list", {"unread": True}),
            ("approvals_list", {}), ("calendar_list", {"start": "2026-12-07", "days": 3}))}
        return listed, accounts, drafted, reads

    listed, accounts, drafted, reads = daemon.call(calls)
    answers = {name: _data(result) for name, result in reads.items()}
    assert [p["name"] for p in answers["posts_list"]["posts"]] == ["in-store"]
    assert answers["posts_show"]["review"]["created_by"].endswith(" via mcp")
    assert [p["name"] for p in answers["approvals_list"]["posts"]] == ["in-store"]
    assert answers["voices_show"]["name"] == "friendly"
    assert [v["name"] for v in answers["voices_list"]["voices"]] == ["friendly"]
    assert answers["inbox_list"] == {"items": [], "total": 0, "offset": 0}
    assert answers["campaigns_list"]["total"] == 0
    assert answers["calendar_list"]["from"] == "2026-12-07"
    assert (answers["analytics_overview"]["days"], answers["analytics_overview"]["accounts"]) == (
        7, ["sandbox:@demo"])
    hints = {t.name: t.annotations for t in listed.tools}
    assert hints["accounts_list"].read_only_hint is True
    assert hints["posts_draft"].read_only_hint is False
    assert [a["ref"] for a in _data(accounts)["accounts"]] == ["sandbox:@demo"]
    assert _data(drafted)["status"] == "pending_approval"
    with shop.context("cli") as ctx:
        assert get_post(ctx.session, ctx.org_id, "in-store").status == "pending_approval"
        rows = list_audit(ctx, AuditFilter(channel="mcp"), limit=None).items
    assert {(r["record_kind"], r["action"]) for r in rows} >= {
        ("Post", "create"), ("Post", "submit"), ("McpTool", "call")}


def test_no_token_or_a_wrong_one_is_refused_before_the_mcp_server(daemon: Daemon) -> None:
    hello = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    for headers in ({}, {"Authorization": f"Bearer {TOKEN}x"},
                    {"Authorization": f"Basic {TOKEN}"}):
        refused = httpx.post(daemon.url, json=hello, headers={
            "Accept": "application/json, text/event-stream", **headers})
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        assert refused.json()["error"]["code"] == "unauthorized"
    assert _refused(daemon, "not-the-token")


def test_the_daemon_token_guards_the_daemon_but_mcp_takes_its_own_tokens(
        shop: Hub) -> None:
    running = Daemon(shop, daemon_token=DAEMON_TOKEN, trusted=True)
    try:
        base = running.url.removesuffix("/mcp")
        assert httpx.get(f"{base}/metrics.json").status_code == 401
        assert httpx.get(f"{base}/metrics.json", headers={
            "Authorization": f"Bearer {DAEMON_TOKEN}"}).status_code == 200

        async def calls(session: ClientSession) -> Any:
            return await session.call_tool("posts_draft", {"body": "hi", "targets":
                                                           ["sandbox:@demo"]})

        assert _data(running.call(calls))["status"] == "draft"  # a trusted principal
        assert _refused(running, DAEMON_TOKEN)  # the daemon's token is not an API token
    finally:
        running.server.stop()
