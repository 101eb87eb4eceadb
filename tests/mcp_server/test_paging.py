"""The MCP list tools page by keyset cursor, like the CLI and the REST API: an agent passes
a page's ``next_cursor`` back as ``cursor`` and gets every row once, however many rows
were added meanwhile; a cursor the list did not give out is a one-line tool error.

Through the daemon's ``/mcp`` (the SDK's streamable-HTTP client, a real API token), a new
session per page as an agent coming back later would; SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from mcp import ClientSession

from socialhub.services.accounts.accounts import add_account
from socialhub.services.authoring.campaigns import add_campaign
from socialhub.services.authoring.posts import TargetSpec, create_post
from socialhub.services.authoring.scheduling import schedule_post
from socialhub.services.hub import Hub
from tests.inbox_kit import arrive as store
from tests.mcp_server.kit import Daemon, data
from tests.publishing_kit import when

ACCOUNT = "sandbox:@demo"
SOON = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=1)
#: Each list tool and the key its rows come under.
LISTS = {"posts_list": "posts", "campaigns_list": "campaigns", "inbox_list": "items"}


@pytest.fixture
def daemon(hub: Hub) -> Iterator[Daemon]:
    with hub.context("cli") as ctx:
        add_account(ctx, platform="sandbox", handle="demo", base_url="http://127.0.0.1:9")
    running = Daemon(hub)
    yield running
    running.server.stop()


def call(daemon: Daemon, tool: str, **arguments: Any) -> Any:
    """One call of ``tool`` in a session of its own (the raw result)."""
    async def calls(session: ClientSession) -> Any:
        return await session.call_tool(tool, arguments)

    return daemon.call(calls)


def walk(daemon: Daemon, tool: str, limit: int,
         between: Callable[[int], None] | None = None, **arguments: Any) -> list[Any]:
    """The ``name`` (or ``id``) of every row of ``tool``, following ``next_cursor``;
    ``between(n)`` runs after page n."""
    rows: list[Any] = []
    cursor = None
    for n in range(1, 50):
        page = data(call(daemon, tool, limit=limit, **arguments,
                         **({"cursor": cursor} if cursor else {})))
        assert len(page[LISTS[tool]]) <= limit
        rows += [r.get("name", r["id"]) for r in page[LISTS[tool]]]
        cursor = page["next_cursor"]
        if cursor is None:
            return rows
        if between is not None:
            between(n)
    raise AssertionError("the cursors never ended")


def post(hub: Hub, name: str, at: datetime | None = None) -> None:
    """A post to the sandbox account, scheduled at ``at`` (a draft without)."""
    with hub.context("cli") as ctx:
        create_post(ctx, name=name, body=name, targets=[TargetSpec(account=ACCOUNT)])
        if at is not None:
            schedule_post(ctx, name, at=when(at), now=datetime.now(UTC))


def test_posts_list_follows_the_cursor_with_posts_added_between_pages(
        daemon: Daemon, hub: Hub) -> None:
    for i in reversed(range(6)):  # created latest first: id order is not time order
        post(hub, f"p{i}", SOON + timedelta(hours=i))
    for i in range(2):
        post(hub, f"d{i}")
    every = [p["name"] for p in data(call(daemon, "posts_list", limit=200))["posts"]]
    assert every == [f"p{i}" for i in range(6)] + ["d0", "d1"]
    assert walk(daemon, "posts_list", 3) == every

    def add(n: int) -> None:
        if n == 1:
            post(hub, "sooner", SOON - timedelta(hours=5))  # before the position: not shown
            post(hub, "later", SOON + timedelta(hours=50))  # after it: shown once
            post(hub, "d2")  # the last draft: shown once, at the end

    seen = walk(daemon, "posts_list", 3, between=add)
    assert seen == [f"p{i}" for i in range(6)] + ["later", "d0", "d1", "d2"]
    assert len(set(seen)) == len(seen)

    # The same with offsets drifts: the post added before the position shifts the next
    # page by one, and the last post of the first page comes again.
    first = data(call(daemon, "posts_list", limit=3))
    post(hub, "soonest", SOON - timedelta(hours=9))
    second = data(call(daemon, "posts_list", limit=3, offset=3))
    assert first["posts"][-1]["name"] == second["posts"][0]["name"]
    assert second["offset"] == 3 and second["total"] == len(seen) + 2


def test_a_cursor_and_an_offset_combine_as_at_the_cli(daemon: Daemon, hub: Hub) -> None:
    for i in range(6):
        post(hub, f"p{i}", SOON + timedelta(hours=i))
    first = data(call(daemon, "posts_list", limit=2))
    assert [p["name"] for p in first["posts"]] == ["p0", "p1"]
    skipped = data(call(daemon, "posts_list", limit=2, cursor=first["next_cursor"], offset=1))
    assert [p["name"] for p in skipped["posts"]] == ["p3", "p4"]
    assert skipped["offset"] == 1 and skipped["next_cursor"] is not None
    last = data(call(daemon, "posts_list", limit=2, cursor=skipped["next_cursor"]))
    assert [p["name"] for p in last["posts"]] == ["p5"] and last["next_cursor"] is None


def test_campaigns_list_follows_the_cursor_with_campaigns_added_between_pages(
        daemon: Daemon, hub: Hub) -> None:
    start = date(2027, 3, 1)
    with hub.context("cli") as ctx:
        for i in reversed(range(5)):
            add_campaign(ctx, f"c{i}", starts_on=start + timedelta(days=i))
        add_campaign(ctx, "undated")  # no start date: last

    def add(n: int) -> None:
        if n == 1:
            with hub.context("cli") as ctx:
                add_campaign(ctx, "earliest", starts_on=start - timedelta(days=9))  # before
                add_campaign(ctx, "zz-undated")  # after the position: shown once

    seen = walk(daemon, "campaigns_list", 2, between=add)
    assert seen == [f"c{i}" for i in range(5)] + ["undated", "zz-undated"]
    page = data(call(daemon, "campaigns_list", limit=200))
    assert page["total"] == 8 and page["next_cursor"] is None


def test_inbox_list_follows_the_cursor_with_items_arriving_between_pages(
        daemon: Daemon, hub: Hub) -> None:
    now = datetime.now(UTC).replace(microsecond=0)

    def arrive(i: int, minutes: int) -> None:
        store(hub, i, now - timedelta(minutes=minutes))

    for i, minutes in enumerate([5, 1, 3, 1, 1, 2, 5, 4]):  # ties at 1 and 5
        arrive(i, minutes)
    every = [r["id"] for r in data(call(daemon, "inbox_list", limit=200))["items"]]
    assert len(every) == 8

    def more(n: int) -> None:
        if n == 1:
            arrive(100, 0)  # newer than every item: before the position, not shown now
            arrive(101, 60)  # older than every item: after it, shown at the end

    seen = walk(daemon, "inbox_list", 3, between=more)
    page = data(call(daemon, "inbox_list", limit=200))
    assert seen == [*every, page["items"][-1]["id"]]
    assert len(set(seen)) == len(seen) and page["total"] == 10


def test_a_cursor_the_list_did_not_give_out_is_a_one_line_tool_error(
        daemon: Daemon, hub: Hub) -> None:
    for i in range(3):
        post(hub, f"p{i}")
    with hub.context("cli") as ctx:
        for i in range(3):
            add_campaign(ctx, f"c{i}")
    posts_cursor = data(call(daemon, "posts_list", limit=1))["next_cursor"]
    campaigns_cursor = data(call(daemon, "campaigns_list", limit=1))["next_cursor"]
    assert posts_cursor and campaigns_cursor
    malformed = "cursor: not a cursor this list gave out (malformed or changed)"
    for tool, cursor, message in (
            ("posts_list", "nonsense", malformed),
            ("posts_list", "!!", malformed),
            ("posts_list", posts_cursor[:-2] + "xy", malformed),
            ("campaigns_list", "A" * 5000, malformed),
            ("inbox_list", "e30", malformed),  # base64 of {}
            ("campaigns_list", posts_cursor, "cursor: a cursor of another list, not of "
             "campaigns"),
            ("inbox_list", campaigns_cursor, "cursor: a cursor of another list, not of inbox"),
            ("posts_list", campaigns_cursor, "cursor: a cursor of another list, not of posts")):
        result = call(daemon, tool, cursor=cursor)
        assert result.is_error, (tool, cursor)
        # The SDK names the tool before socialhub's one line, as for every tool error.
        assert [c.text for c in result.content] == [
            f"Error executing tool {tool}: {message}"], (tool, cursor)


def test_the_list_tools_declare_cursor_and_offset(daemon: Daemon) -> None:
    listed = daemon.call(lambda session: session.list_tools())
    schemas = {t.name: t.input_schema for t in listed.tools}
    for tool in LISTS:
        properties = schemas[tool]["properties"]
        assert "next_cursor" in properties["cursor"]["description"], tool
        assert "cursor" not in schemas[tool].get("required", [])
        assert "Drifts" in properties["offset"]["description"], tool
        assert properties["offset"]["maximum"] == 1_000_000_000
