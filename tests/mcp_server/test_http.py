"""The MCP server over streamable HTTP, mounted on the daemon's app at ``/mcp``, served
by a real uvicorn on loopback and driven by the MCP SDK's own streamable-HTTP client;
callers authenticate with real API tokens (``tokens create``), as the daemon does
(``mcp_server.http.token_auth``). SQLite and PostgreSQL.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mcp import ClientSession
from mcp.shared.exceptions import MCPError
from sqlalchemy import func, select

from socialhub.db.models import Post
from socialhub.mcp_server.http import token_auth
from socialhub.services.access.tokens import create_token, list_tokens, revoke_token
from socialhub.services.accounts.accounts import add_account
from socialhub.services.ai.voices import add_voice
from socialhub.services.audit_trail.trail import AuditFilter, list_audit
from socialhub.services.authoring.posts import get_post
from socialhub.services.hub import Hub
from tests.mcp_server.kit import Daemon, data

DAEMON_TOKEN = secrets.token_urlsafe(24)


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
    answers = {name: data(result) for name, result in reads.items()}
    assert [p["name"] for p in answers["posts_list"]["posts"]] == ["in-store"]
    assert answers["posts_show"]["review"]["created_by"].endswith(" via mcp")
    assert [p["name"] for p in answers["approvals_list"]["posts"]] == ["in-store"]
    assert answers["voices_show"]["name"] == "friendly"
    assert [v["name"] for v in answers["voices_list"]["voices"]] == ["friendly"]
    assert answers["inbox_list"] == {"items": [], "total": 0, "offset": 0, "next_cursor": None}
    assert answers["campaigns_list"]["total"] == 0
    assert answers["calendar_list"]["from"] == "2026-12-07"
    assert (answers["analytics_overview"]["days"], answers["analytics_overview"]["accounts"]) == (
        7, ["sandbox:@demo"])
    hints = {t.name: t.annotations for t in listed.tools}
    assert hints["accounts_list"].read_only_hint is True
    assert hints["posts_draft"].read_only_hint is False
    assert [a["ref"] for a in data(accounts)["accounts"]] == ["sandbox:@demo"]
    assert data(drafted)["status"] == "pending_approval"
    with shop.context("cli") as ctx:
        assert get_post(ctx.session, ctx.org_id, "in-store").status == "pending_approval"
        rows = list_audit(ctx, AuditFilter(channel="mcp"), limit=None).items
    assert {(r["record_kind"], r["action"]) for r in rows} >= {
        ("Post", "create"), ("Post", "submit"), ("McpTool", "call")}


def test_no_token_or_a_wrong_one_is_refused_before_the_mcp_server(daemon: Daemon) -> None:
    hello = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    for headers in ({}, {"Authorization": f"Bearer {daemon.token}x"},
                    {"Authorization": f"Basic {daemon.token}"}):
        refused = httpx.post(daemon.url, json=hello, headers={
            "Accept": "application/json, text/event-stream", **headers})
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        assert refused.json()["error"]["code"] == "unauthorized"
    assert _refused(daemon, "not-the-token")


def test_a_revoked_token_is_refused_at_once(daemon: Daemon, shop: Hub) -> None:
    assert not _refused(daemon, daemon.token)
    with shop.context("cli") as ctx:
        (agent,) = [t["name"] for t in list_tokens(ctx)]
        revoke_token(ctx, agent)
    assert _refused(daemon, daemon.token)


def test_a_token_without_posts_write_cannot_draft_and_writes_nothing(daemon: Daemon,
                                                                      shop: Hub) -> None:
    with shop.context("cli") as ctx:
        reader = create_token(ctx, name="reader", scopes="posts:read").secret

    async def calls(session: ClientSession) -> Any:
        return await session.call_tool("posts_draft", {"body": "hi", "name": "nope",
                                                       "targets": ["sandbox:@demo"]})

    refused = daemon.call(calls, token=reader)
    assert refused.is_error
    assert "posts.write" in refused.content[0].text
    with shop.context("cli") as ctx:
        assert ctx.session.scalar(select(func.count()).select_from(Post)) == 0


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

        assert data(running.call(calls))["status"] == "draft"  # a trusted principal
        assert _refused(running, DAEMON_TOKEN)  # the daemon's token is not an API token
    finally:
        running.server.stop()


def test_the_config_trusts_a_named_token_and_no_other(shop: Hub) -> None:
    from socialhub.errors import ConfigError
    from socialhub.services.orgs import add_organization

    with shop.transaction() as session:
        add_organization(session, "other")
    mcp = shop.config.settings.mcp.model_copy(update={"trusted_tokens": ["ci-agent"]})
    shop.config = shop.config.model_copy(update={"settings": shop.config.settings.model_copy(
        update={"mcp": mcp})})

    async def draft(session: ClientSession) -> Any:
        return await session.call_tool("posts_draft", {"body": "hi", "targets":
                                                       ["sandbox:@demo"]})

    trusted = Daemon(shop, trusted=None, token_name="ci-agent")
    other = Daemon(shop, trusted=None, token_name="someone-else")
    try:
        assert data(trusted.call(draft))["status"] == "draft"
        assert data(other.call(draft))["status"] == "pending_approval"
    finally:
        trusted.server.stop()
        other.server.stop()
    from socialhub.db.queries.orgs import organization_id_named
    from socialhub.services.access.trust import trusted_tokens
    from socialhub.services.context import Principal

    with shop.transaction() as session:
        other_org = organization_id_named(session, "other")
    assert other_org is not None  # the same token name in another organization: not trusted
    assert not trusted_tokens(shop)(Principal(org_id=other_org, user_id=1, token_id=1,
                                              token_name="ci-agent", scopes=()))
    wrong = shop.config.settings.mcp.model_copy(update={"trusted_tokens": ["nowhere/ci-agent"]})
    shop.config = shop.config.model_copy(update={"settings": shop.config.settings.model_copy(
        update={"mcp": wrong})})
    with pytest.raises(ConfigError, match="no organization 'nowhere'"):
        token_auth(shop)
