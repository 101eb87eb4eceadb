"""``socialhub mcp serve`` as a desktop client runs it: a real subprocess on stdio, driven
by the MCP SDK's own client, against a temporary SQLite database with a sandbox account.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import ClientSession, MCPError, StdioServerParameters, stdio_client

from tests.conftest import CLIResult
from tests.mcp_server.kit import data

Run = Callable[..., CLIResult]
SOCIALHUB = str(Path(sys.executable).parent / "socialhub")

READS = {"calendar_list", "posts_list", "posts_show", "accounts_list", "campaigns_list",
         "voices_list", "voices_show", "analytics_overview", "inbox_list", "approvals_list"}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WRITES = {"posts_draft", "posts_update", "posts_submit", "posts_comment"}


@pytest.fixture
def shop(cli: Run) -> Run:
    """An isolated home with a sandbox account and a campaign; the OS user is the owner."""
    for args in (("accounts", "add", "sandbox:@demo", "--base-url", "http://127.0.0.1:9"),
                 ("campaigns", "add", "spring"),
                 ("slots", "add", "sandbox:@demo", *(x for d in DAYS for x in ("-d", d)),
                  "--time", "09:00"),
                 ("voices", "add", "friendly", "--tone", "warm")):
        r = cli(*args)
        assert r.exit_code == 0, r.stderr
    return cli


def session_calls(calls: Callable[[ClientSession], Any], **env: str) -> Any:
    """Start ``socialhub mcp serve`` with this test's environment (plus ``env``), run
    ``calls(session)`` with the SDK's client and return what it returns."""
    params = StdioServerParameters(command=SOCIALHUB, args=["mcp", "serve"],
                                   env={**os.environ, **env})

    async def main() -> Any:
        with open(os.devnull, "w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write), \
                    ClientSession(read, write) as session:
                await session.initialize()
                return await calls(session)

    return anyio.run(main)


def test_a_desktop_agent_lists_the_calendar_and_proposes_a_post_that_waits(
        shop: Run) -> None:
    async def calls(session: ClientSession) -> Any:
        listed = await session.list_tools()
        calendar = await session.call_tool("calendar_list", {"days": 7})
        drafted = await session.call_tool("posts_draft", {
            "body": "Spring is here: 20% off everything this week",
            "targets": ["sandbox:@demo"], "name": "spring-sale", "campaign": "spring",
            "note": "written from last year's best post"})
        resource = await session.read_resource("post://spring-sale")
        week = await session.read_resource("calendar://today/7")
        voice = await session.read_resource("voice://friendly")
        try:
            await session.read_resource("voice://nobody")
        except MCPError as exc:
            missing = exc.error.message
        too_long = await session.call_tool("posts_draft", {
            "body": "x" * 5000, "targets": ["sandbox:@demo"]})
        return listed, calendar, drafted, resource, week, voice, missing, too_long

    before = datetime.now(UTC)
    (listed, calendar, drafted, resource, week, voice, missing,
     too_long) = session_calls(calls)
    after = datetime.now(UTC)
    tools = {t.name: t for t in listed.tools}
    assert set(tools) >= READS | WRITES
    for name in READS:
        assert tools[name].annotations.read_only_hint is True, name
    for name in WRITES:
        hints = tools[name].annotations
        assert hints.read_only_hint is False and hints.idempotent_hint is False, name
    assert tools["posts_update"].annotations.destructive_hint is True
    assert tools["posts_draft"].annotations.destructive_hint is False
    schema = tools["posts_draft"].input_schema
    assert set(schema["required"]) == {"body", "targets"}
    assert schema["properties"]["targets"]["type"] == "array"

    days = data(calendar)
    # A free slot a day at 09:00 UTC, today's only while it is still ahead.
    ahead = {7 - (at.hour >= 9) for at in (before, after)}
    assert days["zone"] == "UTC" and len(days["entries"]) in ahead, (ahead, days["entries"])
    assert {(e["kind"], e["account"], e["time"]) for e in days["entries"]} == {
        ("slot", "sandbox:@demo", "09:00")}

    post = data(drafted)
    assert post["status"] == "pending_approval"
    assert post["review"]["approval"] == "pending_approval"
    assert post["campaign"] == "spring" and post["targets"][0]["delivery"] is None
    assert json.loads(resource.contents[0].text)["review"]["comments"][0]["body"] == (
        "written from last year's best post")

    assert len(json.loads(week.contents[0].text)["entries"]) in ahead
    assert json.loads(voice.contents[0].text)["tone"] == ["warm"]
    assert "no voice profile named 'nobody'" in missing
    assert too_long.is_error and "sandbox:@demo" in too_long.content[0].text

    shown = shop("posts", "show", "spring-sale", "--json")
    assert shown.exit_code == 0 and shown.json()["status"] == "pending_approval"
    queue = shop("posts", "list", "--status", "pending_approval", "--json")
    assert [p["name"] for p in queue.json()] == ["spring-sale"]
    assert shown.json()["targets"][0]["delivery"] is None  # nothing scheduled
    # The person the agent acts for approves it (the agent wrote as "<login> via mcp").
    approved = shop("posts", "approve", "spring-sale", "-m", "good", "--json")
    assert approved.exit_code == 0, approved.stderr
    assert approved.json()["created_by"].endswith(" via mcp")
    trail = shop("audit", "list", "--channel", "mcp", "--json").json()
    actions = {(row["record_kind"], row["action"], row["record_name"]) for row in trail}
    assert {("Post", "create", "spring-sale"), ("Post", "submit", "spring-sale"),
            ("McpTool", "call", "posts_draft"), ("McpTool", "call", "calendar_list")
            } <= actions
    assert {row["channel"] for row in trail} == {"mcp"}


def test_a_viewer_cannot_draft_and_nothing_is_written(shop: Run) -> None:
    assert shop("members", "add", "vic", "--role", "viewer").exit_code == 0
    before = shop("audit", "list", "--json").json()

    async def calls(session: ClientSession) -> Any:
        drafted = await session.call_tool("posts_draft", {
            "body": "hello", "targets": ["sandbox:@demo"], "name": "sneaky"})
        listed = await session.call_tool("posts_list", {})
        return drafted, listed

    drafted, listed = session_calls(calls, SOCIALHUB_LOGIN="vic")
    assert drafted.is_error
    assert "vic (viewer) may not posts.write" in drafted.content[0].text
    assert data(listed)["total"] == 0  # a viewer may read
    assert shop("posts", "show", "sneaky").exit_code != 0
    after = shop("audit", "list", "--json").json()
    new = [row for row in after if row not in before]
    assert [(r["record_kind"], r["record_name"]) for r in new] == [("McpTool", "posts_list")]


def test_a_trusted_agent_leaves_plain_drafts(shop: Run, home: Path) -> None:
    config = home / "trusted.yaml"
    config.write_text("mcp:\n  trust_drafts: true\n")

    async def calls(session: ClientSession) -> Any:
        return await session.call_tool("posts_draft", {"body": "hi", "targets":
                                                       ["sandbox:@demo"]})

    post = data(session_calls(calls, SOCIALHUB_CONFIG=str(config)))
    assert post["status"] == "draft" and post["review"]["approval"] == "not_required"
