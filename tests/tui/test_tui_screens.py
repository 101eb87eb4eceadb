"""Queue, accounts and help screens with Pilot: what they show and what their keys do."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rich.text import Text
from sqlalchemy import update
from textual.pilot import Pilot
from textual.widgets import DataTable

from socialhub.db.models import Account
from socialhub.services.hub import Hub
from socialhub.services.settings import load_config
from socialhub.tui.app import SocialhubApp
from socialhub.tui.screens.accounts_screen import AccountsScreen
from socialhub.tui.screens.calendar_screen import CalendarScreen
from socialhub.tui.screens.help_screen import HelpScreen
from socialhub.tui.screens.queue_screen import QueueScreen
from tests.conftest import CLIResult
from tests.tui.tui_kit import notes, posts, settle

Run = Callable[..., CLIResult]
pytestmark = pytest.mark.anyio


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


async def test_accounts_highlight_the_one_that_needs_reauth(tui_cli: Run) -> None:
    hub = Hub(load_config())
    with hub.transaction() as session:
        session.execute(update(Account).where(Account.platform == "mastodon")
                        .values(status="needs_reauth", status_reason="refresh token revoked"))
    hub.dispose()
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
