"""The inbox screen under Pilot: reachable from the calendar with `I`, j/k move and the
conversation follows, `r` replies with the platform's counter (through the queue), `e`
archives, `a` assigns, and items synced meanwhile appear without a restart; one snapshot."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static, TextArea

from socialhub.db.models import Account, Delivery, InboxItem
from socialhub.tui.app import SocialhubApp
from socialhub.tui.screens.inbox_screen import InboxScreen
from tests.conftest import CLIResult
from tests.publishing_kit import make_hub
from tests.tui.tui_kit import BS, MA, screen_lines, settle

BASE = datetime(2026, 11, 18, 8, 0, tzinfo=UTC)
ITEMS = [  # (account, kind, author, text, sentiment, flags, minutes before NOW)
    (BS, "mention", "ana.example.com", "Love the new shop, thank you!", "positive", [], 50),
    (MA, "reply", "ben@social.example", "When does the order ship? It has been a week.",
     "negative", [], 40),
    (BS, "reply", "chloe.example.com", "Merci beaucoup, c'est génial !", "positive", [], 30),
    (MA, "message", "spam@bots.example", "Free followers!!! click the link", "neutral",
     ["spam"], 20),
]


def add_items(items: list[tuple[Any, ...]] = ITEMS, *, first: int = 0) -> None:
    """Store inbox items as a sync would (fixed times, already analysed)."""
    hub = make_hub()
    try:
        with hub.transaction() as session:
            accounts = {a.ref: a for a in session.scalars(select(Account))}
            for n, (ref, kind, author, text, mood, flags, ago) in enumerate(items, first):
                account = accounts[ref]
                session.add(InboxItem(
                    org_id=account.org_id, account_id=account.id, platform=account.platform,
                    remote_id=f"remote-{n}", kind=kind, author_handle=author, text=text,
                    received_at=BASE + timedelta(minutes=120 - ago), sentiment=mood,
                    sentiment_score=0.0, flags=flags, language="en", context={"cid": "c"},
                    conversation_id=f"conv-{n}"))
    finally:
        hub.dispose()


async def open_inbox(pilot: Pilot[Any]) -> InboxScreen:
    await settle(pilot)
    await pilot.press("I")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, InboxScreen)
    return screen


def _thread(screen: InboxScreen) -> str:
    return str(screen.query_one("#inbox-thread", Static).render())


@pytest.mark.anyio
async def test_inbox_keys_move_reply_archive_assign(tui_cli: Callable[..., CLIResult]) -> None:
    add_items()
    assert tui_cli("members", "add", "alice", "--role", "editor").exit_code == 0
    app = SocialhubApp(blink=False, refresh_every=None)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_inbox(pilot)
        table = screen.query_one(DataTable)
        assert table.row_count == 4
        assert "spam@bots.example" in _thread(screen)  # newest first, its conversation shown
        await pilot.press("j")
        await settle(pilot)
        assert table.cursor_row == 1 and "chloe.example.com" in _thread(screen)
        await pilot.press("j", "k")
        await settle(pilot)
        assert table.cursor_row == 1
        # r: the reply modal counts as you type (Bluesky: 300 graphemes)
        await pilot.press("r")
        await settle(pilot)
        area = pilot.app.screen.query_one(TextArea)
        area.text = "x" * 301
        await settle(pilot)
        counter = pilot.app.screen.query_one(".counter", Static)
        assert "301" in str(counter.render()) and counter.has_class("invalid")
        area.text = "Merci à vous !"
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "you [scheduled]" in _thread(screen)
        # a: assign
        await pilot.press("a")
        await settle(pilot)
        pilot.app.screen.query_one(Input).value = "alice"
        await pilot.press("enter")
        await settle(pilot)
        assert "assigned to alice" in _thread(screen)
        # e: archive; the item leaves the list
        await pilot.press("e")
        await settle(pilot)
        assert table.row_count == 3
    hub = make_hub()
    try:
        with hub.transaction() as session:
            item = session.scalars(select(InboxItem).where(
                InboxItem.remote_id == "remote-2")).one()
            assert (item.archived, item.assignee, item.read) == (True, "alice", True)
            [delivery] = session.scalars(select(Delivery).where(
                Delivery.inbox_item_id.is_not(None))).all()
            assert delivery.inbox_item_id == item.id and delivery.status == "scheduled"
    finally:
        hub.dispose()


@pytest.mark.anyio
async def test_new_items_appear_without_a_restart(tui_cli: Callable[..., CLIResult]) -> None:
    add_items(ITEMS[:1])
    app = SocialhubApp(blink=False, refresh_every=0.2)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_inbox(pilot)
        table = screen.query_one(DataTable)
        assert table.row_count == 1
        add_items(ITEMS[1:2], first=1)  # what the daemon's sync would store
        for _ in range(20):
            await pilot.pause(0.1)
            await settle(pilot)
            if table.row_count == 2:
                break
        assert table.row_count == 2


def test_inbox_snapshot(tui_cli: object, snap_compare: Any) -> None:
    add_items()

    async def run_before(pilot: Pilot[Any]) -> None:
        await open_inbox(pilot)
        await pilot.press("j")
        await settle(pilot)

    assert snap_compare(SocialhubApp(blink=False, refresh_every=None), terminal_size=(120, 36),
                        run_before=run_before)


HOSTILE = "Great [/b] see [link] and :x: — [bold]loud[/bold]"


@pytest.mark.anyio
async def test_text_from_strangers_is_shown_as_written_never_as_markup(
        tui_cli: Callable[..., CLIResult]) -> None:
    # A comment saying `[/b]` stopped the screen (MarkupError) and the reply box with it;
    # `[link]` vanished and `:x:` became an emoji. Shown as written now, and a reply
    # typed with the same characters previews as written.
    add_items([(BS, "reply", "dana.example.com", HOSTILE, "neutral", [], 10)])
    app = SocialhubApp(blink=False, refresh_every=None)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_inbox(pilot)
        table = screen.query_one(DataTable)
        assert table.row_count == 1
        shown = str(table.get_row_at(0)[4])  # cut to its column, never read as markup
        assert len(shown) > 10 and HOSTILE.startswith(shown.removesuffix("…")), shown
        assert HOSTILE in _thread(screen)
        await pilot.press("r")
        await settle(pilot)
        assert str(pilot.app.screen.query_one("#reply-quote", Static).render()) == HOSTILE
        pilot.app.screen.query_one(TextArea).text = "Thanks! [/b] :x:"
        await settle(pilot)
        preview = pilot.app.screen.query_one(".preview", Static)
        assert str(preview.render()) == "Thanks! [/b] :x:"


@pytest.mark.anyio
async def test_escape_sequences_from_strangers_are_shown_as_symbols(
        tui_cli: Callable[..., CLIResult]) -> None:
    # Textual passes ESC through to the terminal; a comment must not drive it.
    add_items([(BS, "reply", "mallory.example.com", "hi \x1b]0;pwned\x1b\\ \x1b[2J",
                "neutral", [], 10)])
    app = SocialhubApp(blink=False, refresh_every=None)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_inbox(pilot)
        cell = str(screen.query_one(DataTable).get_row_at(0)[4])
        assert cell == "hi ␛]0;pwned␛\\ ␛[2J"
        assert "\x1b" not in _thread(screen) and "hi ␛]0;pwned" in _thread(screen)


@pytest.mark.anyio
async def test_at_80_columns_the_senders_handle_is_whole_and_the_text_gives_way(
        tui_cli: Callable[..., CLIResult]) -> None:
    # At 80×24 the text column kept 22 cells and cut the sender to its 14: "@someone.wit…"
    # beside a 2-cell stub of text. The handle is whole now; the text (whole in the
    # conversation beside the table) leaves the table, and comes back on a wide screen.
    author = "someone.with.a.long.name@mastodon.example"
    add_items([(MA, "mention", author, "Is the shop open on Sunday?", "neutral", [], 10)])
    app = SocialhubApp(blink=False, refresh_every=None)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_inbox(pilot)
        table = screen.query_one(DataTable)
        labels = [str(c.label) for c in table.columns.values()]
        assert labels == ["id", "when", "kind", "from"], labels
        assert str(table.get_row_at(0)[3]) == f"@{author}"  # whole, folded over lines
        drawn = "".join(line.split("│")[0].strip() for line in screen_lines(pilot)[3:7])
        assert f"@{author}" in drawn, drawn
        assert "Is the shop open on Sunday?" in _thread(screen)
        await pilot.resize_terminal(160, 36)
        await settle(pilot)
        assert [str(c.label) for c in table.columns.values()][-1] == "text"
