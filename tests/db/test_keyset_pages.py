"""Keyset pages on SQLite and PostgreSQL: following the cursors yields every row once,
in the list's order (ties in the sort key, NULLs, mixed directions), and a row added
before the current position between two pages neither repeats a row nor hides one —
what an offset gets wrong.

Through the use cases the front ends call (``*_page``), with a small page so that
ties and NULL groups straddle page boundaries.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from socialhub.services.hub import Hub
from socialhub.services.paging import Keyset, Page, Window
from tests.publishing_kit import when

ACCOUNT = "sandbox:@shop"
Read = Callable[[Window], Page[dict[str, Any]]]


def walk(hub: Hub, keyset: Keyset, read: Callable[[Any, Window], Page[dict[str, Any]]],
         limit: int, between: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
    """Every row, page after page (each page in its own transaction, as a script's
    commands would), calling ``between(n)`` after the n-th page."""
    rows: list[dict[str, Any]] = []
    after = None
    for n in range(1, 200):
        with hub.context("cli") as ctx:
            page = read(ctx, Window(limit, 0, after))
        assert len(page.items) <= limit
        rows += page.items
        if page.next_cursor is None:
            return rows
        after = keyset.decode(page.next_cursor)
        if between is not None:
            between(n)
    raise AssertionError("the cursors never ended")


def seed_posts(hub: Hub, now: datetime) -> None:
    """Four posts at the same time (ties), three at later distinct times, three drafts
    (no time: last); made in an order where ids do not follow the list order."""
    from socialhub.services.accounts.accounts import add_account
    from socialhub.services.authoring.posts import TargetSpec, create_post
    from socialhub.services.authoring.scheduling import schedule_post

    times = {"late": 3, "tie-a": 1, "draft-a": None, "tie-b": 1, "mid": 2, "tie-c": 1,
             "draft-b": None, "later": 4, "tie-d": 1, "draft-c": None}
    with hub.context("cli") as ctx:
        add_account(ctx, platform="sandbox", handle="shop")
        for name, days in times.items():
            create_post(ctx, name=name, body=name, targets=[TargetSpec(account=ACCOUNT)])
            if days is not None:
                schedule_post(ctx, name, at=when(now + timedelta(days=days)), now=now)


def post_page(status: str | None = None) -> Callable[[Any, Window], Page[dict[str, Any]]]:
    from socialhub.services.authoring.scheduling import post_summaries_page

    return lambda ctx, win: post_summaries_page(ctx, win, status=status)


def every_post(hub: Hub) -> list[str]:
    from socialhub.services.authoring.scheduling import list_post_summaries

    with hub.context("cli") as ctx:
        return [p["name"] for p in list_post_summaries(ctx)]


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 9, 10, 11])
def test_walking_the_posts_yields_each_once_in_order(hub: Hub, limit: int) -> None:
    from socialhub.services.paging import POSTS

    seed_posts(hub, datetime.now(UTC))
    expected = every_post(hub)
    assert expected[:4] == ["tie-a", "tie-b", "tie-c", "tie-d"]  # ties by id
    assert expected[4:] == ["mid", "late", "later", "draft-a", "draft-b", "draft-c"]
    assert [p["name"] for p in walk(hub, POSTS, post_page(), limit)] == expected


def test_the_drivers_cursor_pages_are_the_hubs(hub: Hub) -> None:
    """On SQLite ``posts list`` reads through the driver alone: the same pages after
    every position (in a tie, in the NULL group, at the end) as through SQLAlchemy."""
    from socialhub.services.authoring.post_list_direct import post_summaries_page_direct
    from socialhub.services.authoring.scheduling import post_summaries_page
    from socialhub.services.paging import POSTS
    from tests.db.test_posts_direct import direct_read, is_sqlite

    if not is_sqlite(hub):
        pytest.skip("the driver's read is SQLite's")
    seed_posts(hub, datetime.now(UTC))
    positions: list[Any] = [None]
    with hub.context("cli") as ctx:
        for n in range(1, 10):
            page = post_summaries_page(ctx, Window(n))
            positions.append(POSTS.decode(page.next_cursor))
    for after in positions:
        for limit in (1, 3, None):
            win = Window(limit, 0, after)
            with hub.context("cli") as ctx:
                through_hub = post_summaries_page(ctx, win)
            assert direct_read(lambda ctx, win=win: post_summaries_page_direct(ctx, win)) == \
                through_hub, (after, limit)


def test_a_post_added_before_the_position_between_pages_is_no_repeat(hub: Hub) -> None:
    """An offset would show the row at the page boundary twice; the cursor does not,
    and a post added after the position still shows up."""
    from socialhub.services.authoring.posts import TargetSpec, create_post
    from socialhub.services.authoring.scheduling import list_post_summaries, schedule_post
    from socialhub.services.paging import POSTS

    now = datetime.now(UTC)
    seed_posts(hub, now)
    before = every_post(hub)

    def add(n: int) -> None:
        if n != 1:
            return
        with hub.context("cli") as ctx:
            create_post(ctx, name="sooner", body="x", targets=[TargetSpec(account=ACCOUNT)])
            schedule_post(ctx, "sooner", at=when(now + timedelta(hours=1)), now=now)
            create_post(ctx, name="new-draft", body="x", targets=[TargetSpec(account=ACCOUNT)])

    seen = [p["name"] for p in walk(hub, POSTS, post_page(), 3, between=add)]
    assert seen == [*before, "new-draft"]
    # What --offset 3 shows now: the third row again (everything moved down by one).
    with hub.context("cli") as ctx:
        shifted = [p["name"] for p in list_post_summaries(ctx, limit=3, offset=3)]
    assert shifted[0] == before[2]


def test_the_inbox_newest_first_with_items_arriving_meanwhile(hub: Hub) -> None:
    from socialhub.services.accounts.accounts import add_account
    from socialhub.services.inbox.items import inbox_filter, inbox_page, list_inbox
    from socialhub.services.paging import INBOX
    from tests.inbox_kit import arrive as store

    now = datetime.now(UTC).replace(microsecond=0)
    ages = [5, 1, 3, 1, 1, 2, 5, 4]  # minutes old; ties at 1 and 5

    def add(i: int, minutes: int) -> None:
        store(hub, i, now - timedelta(minutes=minutes))

    with hub.context("cli") as ctx:
        add_account(ctx, platform="sandbox", handle="shop")
    for i, minutes in enumerate(ages):
        add(i, minutes)

    def read(ctx: Any, win: Window) -> Page[dict[str, Any]]:
        return inbox_page(ctx, inbox_filter(ctx), win)

    with hub.context("cli") as ctx:
        expected = [r["id"] for r in list_inbox(ctx, inbox_filter(ctx))[0]]
    assert [r["id"] for r in walk(hub, INBOX, read, 3)] == expected

    def arrive(n: int) -> None:
        if n == 1:
            add(100, 0)   # newer than everything: before the position, not shown now
            add(101, 60)  # older than everything: after it, shown at the end

    seen = [r["id"] for r in walk(hub, INBOX, read, 3, between=arrive)]
    with hub.context("cli") as ctx:
        now_all = [r["id"] for r in list_inbox(ctx, inbox_filter(ctx))[0]]
    assert seen == [*expected, now_all[-1]]
    assert len(set(seen)) == len(seen)


def test_the_audit_trail_newest_first_while_events_are_written(hub: Hub) -> None:
    from socialhub.services.audit_trail.trail import audit_filter, audit_page
    from socialhub.services.authoring.campaigns import add_campaign
    from socialhub.services.paging import AUDIT

    with hub.context("cli") as ctx:
        for i in range(7):
            add_campaign(ctx, f"c{i}")

    def read(ctx: Any, win: Window) -> Page[dict[str, Any]]:
        return audit_page(ctx, audit_filter(ctx), win)

    with hub.context("cli") as ctx:
        expected = [r["id"] for r in audit_page(ctx, audit_filter(ctx), Window(None)).items]

    def write(n: int) -> None:
        with hub.context("cli") as ctx:
            add_campaign(ctx, f"meanwhile-{n}")

    seen = [r["id"] for r in walk(hub, AUDIT, read, 2, between=write)]
    assert seen == expected  # the rows written meanwhile are newer: before the position


def test_campaigns_by_start_date_with_those_without_one_last(hub: Hub) -> None:
    from socialhub.services.authoring.campaigns import add_campaign, campaigns_page
    from socialhub.services.paging import CAMPAIGNS

    starts = {"m": date(2026, 5, 1), "b": None, "k": date(2026, 5, 1), "a": date(2026, 6, 1),
              "z": date(2026, 1, 1), "c": None, "e": date(2026, 5, 1)}
    with hub.context("cli") as ctx:
        for name, day in starts.items():
            add_campaign(ctx, name, starts_on=day)
    order = ["z", "e", "k", "m", "a", "b", "c"]  # the same on both databases
    for limit in (1, 2, 3, 7):
        assert [c["name"] for c in walk(hub, CAMPAIGNS, campaigns_page, limit)] == order


def test_the_queue_with_deliveries_due_at_the_same_time(hub: Hub) -> None:
    from socialhub.services.paging import QUEUE
    from socialhub.services.publishing.queue import list_queue, queue_page

    seed_posts(hub, datetime.now(UTC))
    with hub.context("cli") as ctx:
        expected = [d["id"] for d in list_queue(ctx, limit=None)]
    assert len(expected) == 7
    for limit in (1, 2, 3):
        assert [d["id"] for d in walk(
            hub, QUEUE, lambda ctx, win: queue_page(ctx, win), limit)] == expected
