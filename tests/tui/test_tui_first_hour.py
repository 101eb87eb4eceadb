"""The TUI's first impressions ("First hour" #12, item 9), driven with Pilot.

Readable week entries, no past slot offered as free, a legend for the badges,
footers that fit at 80 and 120 columns, and a new post that never starts in
the past. The clock is frozen at Wednesday 18 Nov 2026, 11:00 Berlin.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from textual.pilot import Pilot
from textual.widgets import Footer, Input, OptionList
from textual.widgets._footer import FooterKey

from socialhub.tui.app import SocialhubApp
from socialhub.tui.screens.calendar_screen import CalendarScreen
from socialhub.tui.screens.confirm_modal import ConfirmModal
from socialhub.tui.screens.editor_screen import EditorScreen
from socialhub.tui.widgets.legend import pack_pairs
from socialhub.tui.widgets.month_grid import MonthGrid
from tests.conftest import CLIResult
from tests.tui import tui_kit
from tests.tui.tui_kit import notes, screen_lines, settle

Run = Callable[..., CLIResult]
pytestmark = pytest.mark.anyio
SIZES = [(120, 36), (80, 24)]


def calendar(app: SocialhubApp) -> CalendarScreen:
    assert isinstance(app.screen, CalendarScreen)
    return app.screen


def day_text(grid: MonthGrid, weekday: int) -> str:
    """One day's cell in the week view, its lines joined (Monday: 0)."""
    return "".join(line[2 * weekday][0].strip() for line in grid.render().lines[1:])


def agenda_ids(app: SocialhubApp) -> list[str | None]:
    options = app.screen.query_one("#agenda-list", OptionList)
    return [options.get_option_at_index(i).id for i in range(options.option_count)]


async def test_the_week_names_the_account_and_offers_no_past_slot(
        app: SocialhubApp, pilot: Pilot[None]) -> None:
    await pilot.press("w")
    await settle(pilot)
    week = calendar(app).grid.render().plain
    friday = day_text(calendar(app).grid, 4)  # a handle may take several lines, never "…"
    assert "@shop.example.com" in friday and "@me@social.example" in friday  # not "bs" / "ma"
    # Tuesday 17 Nov 10:00 (the weekly slot) has passed: it is not offered as free.
    assert "10:00" not in week and "free" not in week
    await pilot.press("right_square_bracket")  # next week: Tuesday 24 is ahead
    await settle(pilot)
    week = calendar(app).grid.render().plain
    assert "10:00 bs" in week and " free" in week
    assert "@shop.example.com" in day_text(calendar(app).grid, 1)


async def test_the_month_shows_free_slots_only_ahead(app: SocialhubApp, pilot: Pilot[None]) -> None:
    grid = calendar(app).grid
    grid.render()
    slots = {day for day, lines in grid._lines.items()
             for e in lines if e is not None and e["kind"] == "slot"}
    assert slots == {date(2026, 11, 24), date(2026, 12, 1)}
    await pilot.press("left")  # Tuesday 17: its slot has passed, the agenda agrees
    await settle(pilot)
    assert agenda_ids(app) == [None]  # "nothing planned"
    await pilot.press("down")  # Tuesday 24: the slot is ahead
    await settle(pilot)
    assert agenda_ids(app) == ["slot-0"]


async def test_the_legend_at_80_columns_wraps_between_accounts_and_cuts_no_handle(
        tui_cli: Run) -> None:
    # One line cut at the edge: "bs @averyveryverylonghandle.example.com · bs" and the
    # other two handles were not shown at all.
    long = "bluesky:@averyveryverylonghandle.example.com"
    assert tui_cli("accounts", "add", long).exit_code == 0
    assert tui_cli("posts", "create", "-b", "Winter sale", "-t", long, "--at",
                   "2026-11-19 14:30", "--name", "winter").exit_code == 0
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        lines = screen_lines(pilot)
        grid = next(i for i, line in enumerate(lines) if line.startswith("Mon"))
        for pair in ("bs @averyveryverylonghandle.example.com", "bs @shop.example.com",
                     "ma @me@social.example"):
            assert any(pair in line for line in lines[2:grid]), lines[:grid]


def test_a_legend_too_long_for_its_lines_counts_the_rest() -> None:
    pairs = [f"bs @account{n}.example.com" for n in range(9)]
    lines = pack_pairs(pairs, 44, max_lines=3)
    assert len(lines) == 3 and all(len(line) <= 44 for line in lines), lines
    shown = sum(line.count("@") for line in lines)
    assert lines[-1].endswith(f"+{9 - shown} more"), lines


async def test_a_legend_and_the_help_spell_out_the_badges(tui_cli: Run) -> None:
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        line = str(app.screen.query_one("#calendar-legend").render())
        assert "bs @shop.example.com" in line and "ma @me@social.example" in line
        await pilot.press("question_mark")
        await settle(pilot)
        badges = str(app.screen.query_one("#help-badges").render())
        assert "bs bluesky" in badges and "ma mastodon" in badges


@pytest.mark.parametrize("size", SIZES, ids=["120x36", "80x24"])
@pytest.mark.parametrize("keys", [(), ("w",), ("Q",), ("A",), ("n",)],
                         ids=["month", "week", "queue", "accounts", "editor"])
async def test_every_footer_fits_and_keeps_help_reachable(tui_cli: Run, size: tuple[int, int],
                                                         keys: tuple[str, ...]) -> None:
    app = SocialhubApp(blink=False, refresh_every=None)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press(*keys)
        await settle(pilot)
        footer = app.screen.query_one(Footer)
        drawn = [k for k in footer.query(FooterKey) if k.display]
        shown = [k for k in drawn if not k.has_class("-command-palette")]
        assert shown, "the footer shows no key"
        # Room: up to the right edge, or up to the palette key docked there (it covers keys).
        room = min([size[0], *(k.region.x for k in drawn if k.has_class("-command-palette"))])
        right = max(k.region.right for k in shown)
        assert right <= room, f"the footer is cut: it needs {right} of {room} columns"
        labels = {k.description for k in shown}
        if not keys or keys == ("w",):
            assert {"New", "Help", "Quit"} <= labels


async def test_a_post_cannot_be_moved_onto_a_past_day(
        tui_cli: Run, app: SocialhubApp, pilot: Pilot[None]) -> None:
    await pilot.press("right", "right")  # Friday 20, the launch post
    await settle(pilot)
    await pilot.press("shift+up")  # a week earlier: Friday 13 has passed
    await settle(pilot)
    assert not isinstance(app.screen, ConfirmModal)  # not even asked
    assert any("Fri 13 Nov 09:00 is in the past" in n for n in notes(pilot))
    assert tui_kit.posts(tui_cli)["launch"]["targets"][0]["at"].startswith("2026-11-20")


async def test_a_post_dropped_where_a_past_slot_was_is_refused_without_asking(
        tui_cli: Run, app: SocialhubApp, pilot: Pilot[None]) -> None:
    grid = calendar(app).grid
    col_w, row_h = grid.size.width // 7, (grid.size.height - 1) // grid.weeks()
    # Friday 20's post (4th row, 2nd line) onto Tuesday 17's 2nd line: its 10:00 slot
    # has passed, so this is a drop onto a past day, not onto a free slot.
    await pilot.mouse_down(grid, offset=(4 * col_w + 2, 1 + 3 * row_h + 1))
    await pilot.mouse_up(grid, offset=(1 * col_w + 2, 1 + 3 * row_h + 1))
    await settle(pilot)
    assert not isinstance(app.screen, ConfirmModal)
    assert any("Tue 17 Nov 09:00 is in the past" in n for n in notes(pilot))
    assert tui_kit.posts(tui_cli)["launch"]["targets"][0]["at"].startswith("2026-11-20")


@pytest.mark.parametrize(("day", "expected"), [
    (date(2026, 11, 18), "2026-11-18 12:00"),  # today, 09:00 has passed: the next full hour
    (date(2026, 11, 16), "2026-11-18 12:00"),  # a past day: the next full hour from now
    (date(2026, 11, 20), "2026-11-20 09:00"),  # a day ahead: its morning
], ids=["today", "past-day", "future-day"])
async def test_a_new_post_starts_at_a_time_still_ahead(
        day: date, expected: str, app: SocialhubApp, pilot: Pilot[None]) -> None:
    await pilot.press(*["left"] * (date(2026, 11, 18) - day).days,
                      *["right"] * (day - date(2026, 11, 18)).days)
    await pilot.press("n")
    await settle(pilot)
    assert isinstance(app.screen, EditorScreen)
    assert app.screen.query_one("#at", Input).value == expected


def test_the_default_time_is_never_past_across_zones_and_dst() -> None:
    from socialhub.services.authoring.board import default_time

    now = datetime(2026, 3, 29, 0, 40, tzinfo=UTC)  # Berlin springs forward at 01:00 UTC
    assert default_time(None, now, "Europe/Berlin") == "2026-03-29 03:00"  # 02:xx never was
    india = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # 15:30 in Kolkata
    assert default_time(None, india, "Asia/Kolkata") == "2026-11-18 16:00"
    assert default_time(date(2026, 11, 19), india, "Asia/Kolkata") == "2026-11-19 09:00"
