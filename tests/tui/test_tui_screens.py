"""Queue, accounts and help screens with Pilot: what they show and what their keys do."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rich.text import Text
from sqlalchemy import update
from textual.pilot import Pilot
from textual.widgets import DataTable

from socialhub.db.models import Account, Delivery
from socialhub.services.hub import Hub
from socialhub.services.settings import load_config
from socialhub.tui.app import SocialhubApp
from socialhub.tui.screens.accounts_screen import AccountsScreen
from socialhub.tui.screens.calendar_screen import CalendarScreen
from socialhub.tui.screens.help_screen import HelpScreen
from socialhub.tui.screens.queue_screen import QueueScreen
from tests.conftest import CLIResult
from tests.tui.tui_kit import notes, posts, screen_lines, settle

Run = Callable[..., CLIResult]
pytestmark = pytest.mark.anyio

LONG = "bluesky:@averyveryverylonghandle.example.com"


def add_long_handle_post(run: Run) -> None:
    """An account with a 44-character ref and a post to it on Thursday 19 Nov, 14:30."""
    for args in (("accounts", "add", LONG),
                 ("posts", "create", "-b", "A long announcement about the winter sale", "-t",
                  LONG, "--at", "2026-11-19 14:30", "--name", "winter-sale-announcement")):
        assert run(*args).exit_code == 0


def column_text(lines: list[str], first: str, after: str) -> str:
    """The cell that starts with ``first`` and ends before ``after`` on the same line,
    with the lines under it that continue it (a folded cell: the rest of the row blank)."""
    row = next(i for i, line in enumerate(lines) if first in line)
    start, end = lines[row].index(first), lines[row].index(after)
    parts = [lines[row][start:end].strip()]
    for line in lines[row + 1:]:
        if line[:start].strip() or line[end:].strip() or not line[start:end].strip():
            break
        parts.append(line[start:end].strip())
    return "".join(parts)


def cells(table: DataTable[object]) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_queue_lists_deliveries_and_x_cancels_one_after_yes(tui_cli: Run) -> None:
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("Q")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        table = app.screen.query_one(DataTable)
        rows = cells(table)
        assert [r[1:5] for r in rows] == [
            ["launch", "bluesky:@shop.example.com", "scheduled", "0"],
            ["launch", "mastodon:@me@social.example", "scheduled", "0"]]
        assert rows[0][5] == "2026-11-20 09:00"  # next attempt, in the user's zone
        await pilot.press("x", "y")
        await settle(pilot)
        assert [r[2] for r in cells(table)] == ["mastodon:@me@social.example"]
        await pilot.press("a")
        await settle(pilot)
        assert sorted(r[3] for r in cells(table)) == ["canceled", "scheduled"]
        await pilot.press("o")
        assert "this delivery has no remote URL yet" in notes(pilot)
    statuses = {t["account"]: t["delivery"]["status"] for t in posts(tui_cli)["launch"]["targets"]}
    assert statuses == {"bluesky:@shop.example.com": "canceled",
                        "mastodon:@me@social.example": "scheduled"}


async def test_queue_follows_changes_by_itself_while_it_is_shown(tui_cli: Run) -> None:
    app = SocialhubApp(blink=False, refresh_every=0.2)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("Q")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 2
        table.move_cursor(row=1)
        # The daemon (here: the CLI) changes a delivery; no key is pressed.
        assert tui_cli("queue", "cancel", "1").exit_code == 0
        for _ in range(50):
            await pilot.pause(0.05)
            if table.row_count == 1:
                break
        assert [r[2] for r in cells(table)] == ["mastodon:@me@social.example"]
        assert table.cursor_row == 0  # still on the delivery it was on
        await pilot.press("c")
        await settle(pilot)
        queue = app.get_screen("queue")
        assert isinstance(queue, QueueScreen) and queue.ticker is None  # stops when hidden


async def test_r_puts_the_selected_delivery_back_in_line_now(pilot: Pilot[None]) -> None:
    await pilot.press("Q")
    await settle(pilot)
    await pilot.press("r")
    await settle(pilot)
    assert "delivery 1: retrying (scheduled)" in notes(pilot)


async def test_queue_at_80_columns_shows_whole_handles_and_the_next_attempt(
        tui_cli: Run) -> None:
    # The fixed 120-column widths cut the handle to "bluesky:@averyveryverylongha" and
    # ran the time column off the right edge ("nex"); the last error gives way instead.
    add_long_handle_post(tui_cli)
    hub = Hub(load_config())
    with hub.transaction() as session:
        session.execute(update(Delivery).where(Delivery.id == 3).values(
            status="retry_scheduled", attempts=2))
    hub.dispose()
    app = SocialhubApp(blink=False, refresh_every=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("Q")
        await settle(pilot)
        lines = screen_lines(pilot)
        header = next(line for line in lines if line.lstrip().startswith("id "))
        assert header.rstrip().endswith("next attempt"), header
        assert column_text(lines, "bluesky:@avery", "retry_scheduled") == LONG, lines
        long_row = next(line for line in lines if "bluesky:@avery" in line)
        assert long_row.rstrip().endswith("retry_scheduled  2026-11-19 14:30"), long_row
        for account in ("bluesky:@shop.example.com", "mastodon:@me@social.example"):
            row = next(line for line in lines if account in line)
            assert row.rstrip().endswith("2026-11-20 09:00"), row
        await pilot.resize_terminal(150, 36)
        await settle(pilot)
        lines = screen_lines(pilot)  # wider: the post's name and the last error come back
        header = next(line for line in lines if line.lstrip().startswith("id "))
        assert header.split() == ["id", "post", "account", "status", "tries", "next",
                                  "attempt", "last", "error"], header
        assert any("winter-sale-announcement" in line and LONG in line for line in lines)


def mastodon_needs_reauth() -> None:
    """Flag the seeded Mastodon account as the daemon does after a refused refresh."""
    hub = Hub(load_config())
    with hub.transaction() as session:
        session.execute(update(Account).where(Account.platform == "mastodon")
                        .values(status="needs_reauth", status_reason="refresh token revoked"))
    hub.dispose()


async def test_accounts_at_80_columns_show_whole_handles_and_statuses(tui_cli: Run) -> None:
    # The fixed widths cut the handle to 30 cells and the reason ran off the right edge.
    add_long_handle_post(tui_cli)
    mastodon_needs_reauth()
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        lines = screen_lines(pilot)
        assert column_text(lines, "bluesky:@avery", "active") == LONG, lines
        row = next(line for line in lines if "mastodon:@me@social.example" in line)
        assert "needs_reauth" in row, row
        header = next(line for line in lines if line.lstrip().startswith("account "))
        assert header.rstrip().endswith("expires"), header
        assert not any("…" in line for line in lines), lines


async def test_accounts_highlight_the_one_that_needs_reauth(tui_cli: Run) -> None:
    mastodon_needs_reauth()
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        assert isinstance(app.screen, AccountsScreen)
        table = app.screen.query_one("#accounts-table", DataTable)
        rows = cells(table)
        assert [r[:3] for r in rows] == [["bluesky:@shop.example.com", "active", "none"],
                                         ["mastodon:@me@social.example", "needs_reauth", "none"]]
        assert rows[1][4] == "refresh token revoked"
        status = table.get_row_at(1)[1]
        assert isinstance(status, Text) and "red" in str(status.style)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CalendarScreen)


async def test_question_mark_lists_the_keys_of_the_screen_below(
        app: SocialhubApp, pilot: Pilot[None]) -> None:
    await pilot.press("question_mark")
    await pilot.pause()
    assert isinstance(app.screen, HelpScreen)
    text = app.screen.export_screenshot() if hasattr(app.screen, "export_screenshot") \
        else app.export_screenshot()
    for words in ("Today", "Move -1d", "Undo", "shift+arrows", "Quit"):
        assert words in text.replace("&#160;", " ")
    await pilot.press("escape")
    assert isinstance(app.screen, CalendarScreen)
