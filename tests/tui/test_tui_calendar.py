"""The calendar screen driven by keys with Pilot: views, navigation, moves and undo."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from rich.style import Style
from textual.content import Content
from textual.pilot import Pilot
from textual.strip import Strip
from textual.visual import Visual

from socialhub.tui.app import SocialhubApp
from socialhub.tui.screens.calendar_screen import CalendarScreen
from socialhub.tui.widgets.agenda_panel import AgendaPanel
from socialhub.tui.widgets.month_grid import GridLines, MonthGrid
from tests.conftest import CLIResult
from tests.tui import tui_kit
from tests.tui.tui_kit import notes, posts, settle

Run = Callable[..., CLIResult]
pytestmark = pytest.mark.anyio


@pytest.fixture
def run(tui_cli: Run) -> Run:
    return tui_cli


def screen(app: SocialhubApp) -> CalendarScreen:
    assert isinstance(app.screen, CalendarScreen)
    return app.screen


def grid_text(app: SocialhubApp) -> str:
    return screen(app).grid.render().plain


def in_cell(grid: MonthGrid, col: int, row: int, line: int, x: int = 2) -> tuple[int, int]:
    """The offset of ``line`` (0: the day's number) in the cell at ``col``, ``row`` (from 0)."""
    col_w = grid.size.width // 7
    row_h = (grid.size.height - 1) // grid.weeks()
    return col * col_w + x, 1 + row * row_h + line


async def test_month_opens_on_today_with_posts_in_the_users_zone_and_free_slots(
        app: SocialhubApp, pilot: Pilot[None]) -> None:
    cal = screen(app)
    assert cal.selected == date(2026, 11, 18)
    assert "18*" in grid_text(app)
    assert "09:00 bs We" in grid_text(app)  # 08:00 UTC shown as 09:00 Berlin
    assert "09:00 ma" in grid_text(app)
    assert "10:00 bs" in grid_text(app)  # the Tuesday slot, dimmed
    assert "November 2026" in str(app.screen.query_one("#calendar-title").render())


def cells(strips: list[Strip]) -> list[list[tuple[str, object]]]:
    """Each painted cell's character and style (colours, attributes, link; not metadata)."""
    def look(style: Style | None) -> object:
        return None if style is None else (style.color, style.bgcolor, style._attributes,
                                           style._set_attributes, style.link)
    return [[(ch, look(seg.style)) for seg in strip for ch in seg.text] for strip in strips]


def painted(grid: MonthGrid, visual: Visual) -> list[list[tuple[str, object]]]:
    width, height = grid.size
    return cells(Visual.to_strips(grid, visual, width, height, grid.visual_style))


@pytest.mark.parametrize("view", ["month", "week"])
async def test_the_grid_paints_each_cell_as_textual_paints_the_same_text(
        app: SocialhubApp, pilot: Pilot[None], view: str) -> None:
    # The grid turns its styled runs into strips itself (Textual's conversion of a rich
    # Text was the costliest part of a cold launch's first frame): every cell must show
    # the same character in the same style as Textual's own rendering of that Text.
    await pilot.press("w" if view == "week" else "m")
    await settle(pilot)
    grid = screen(app).grid
    assert grid.id == view
    ours = grid.render()
    assert isinstance(ours, GridLines)
    theirs = Content.from_rich_text(ours.to_text(), console=app.console)
    assert painted(grid, ours) == painted(grid, theirs)
    assert "09:00 bs" in ours.plain and ours.plain == ours.to_text().plain
    width, _ = grid.size  # a line wider than the grid (wide characters): Textual folds it
    wide = GridLines([[("界" * width, Style(bold=True)), (" ", None)], [("Mon", None)]],
                     app.ansi_theme)
    assert painted(grid, wide) == painted(grid, Content.from_rich_text(wide.to_text()))


async def test_arrows_and_hjkl_move_the_day_and_t_comes_back_to_today(
        app: SocialhubApp, pilot: Pilot[None]) -> None:
    await pilot.press("right", "l", "down", "j", "k", "h", "up")
    assert screen(app).selected == date(2026, 11, 18 + 1 + 1 + 7 + 7 - 7 - 1 - 7)
    await pilot.press("right")
    assert screen(app).selected == date(2026, 11, 20)
    assert app.screen.query_one(AgendaPanel).current_post == "launch"
    await pilot.press("t")
    assert screen(app).selected == date(2026, 11, 18)


async def test_brackets_page_months_and_load_the_new_month(
        app: SocialhubApp, pilot: Pilot[None]) -> None:
    await pilot.press("right_square_bracket")
    await settle(pilot)
    assert screen(app).selected == date(2026, 12, 18)
    assert "December 2026" in str(app.screen.query_one("#calendar-title").render())
    assert "We ship" not in grid_text(app)
    await pilot.press("left_square_bracket", "left_square_bracket")
    await settle(pilot)
    assert screen(app).selected == date(2026, 10, 18)


async def test_w_shows_the_week_and_m_the_month(app: SocialhubApp, pilot: Pilot[None]) -> None:
    await pilot.press("w")
    await settle(pilot)
    cal = screen(app)
    assert cal.view == "week" and cal.grid.id == "week"
    assert "Week of 16 Nov 2026" in str(app.screen.query_one("#calendar-title").render())
    assert "09:00 bs" in grid_text(app)
    assert " We ship on" in grid_text(app) and " Monday" in grid_text(app)
    await pilot.press("right_square_bracket")
    await settle(pilot)
    assert cal.selected == date(2026, 11, 25) and "We ship" not in grid_text(app)
    await pilot.press("m")
    await settle(pilot)
    assert cal.view == "month" and isinstance(cal.grid, MonthGrid)


async def test_clicking_a_day_selects_it(app: SocialhubApp, pilot: Pilot[None]) -> None:
    grid = screen(app).grid
    await pilot.click(grid, offset=in_cell(grid, 4, 3, 1, x=1))  # Fri, 4th row
    assert screen(app).selected == date(2026, 11, 20)


async def test_shift_right_moves_the_post_after_yes_and_u_puts_it_back(
        run: Run, app: SocialhubApp, pilot: Pilot[None]) -> None:
    await pilot.press("right", "right", "shift+right")
    await pilot.pause()
    assert type(app.screen).__name__ == "ConfirmModal"
    await pilot.press("y")
    await settle(pilot)
    assert screen(app).selected == date(2026, 11, 21)
    assert {t["at"] for t in posts(run)["launch"]["targets"]} == {
        "2026-11-21T09:00 Europe/Berlin"}
    assert any("press u to undo" in n for n in notes(pilot))
    await pilot.press("u")
    await settle(pilot)
    assert {t["at"] for t in posts(run)["launch"]["targets"]} == {
        "2026-11-20T09:00 Europe/Berlin"}
    assert screen(app).selected == date(2026, 11, 20)


async def test_answering_no_leaves_the_post_where_it_was(
        run: Run, app: SocialhubApp, pilot: Pilot[None]) -> None:
    await pilot.press("right", "right", "shift+down", "n")
    await settle(pilot)
    assert isinstance(app.screen, CalendarScreen)
    assert {t["at"] for t in posts(run)["launch"]["targets"]} == {
        "2026-11-20T09:00 Europe/Berlin"}


async def test_moving_into_the_past_is_a_notification_not_a_crash(
        run: Run, app: SocialhubApp, pilot: Pilot[None]) -> None:
    await pilot.press("right", "right", "shift+up", "y")
    await settle(pilot)
    assert any("in the past" in n for n in notes(pilot))
    assert app.is_running and isinstance(app.screen, CalendarScreen)
    assert {t["at"] for t in posts(run)["launch"]["targets"]} == {
        "2026-11-20T09:00 Europe/Berlin"}


async def test_moving_on_an_empty_day_says_there_is_nothing_to_move(pilot: Pilot[None]) -> None:
    await pilot.press("shift+right", "u")
    await pilot.pause()
    assert notes(pilot) == ["no post on this day to move", "nothing to undo"]


async def test_a_change_made_by_the_cli_shows_after_refresh(
        run: Run, app: SocialhubApp, pilot: Pilot[None]) -> None:
    assert run("posts", "create", "-b", "Second post", "-t", "bluesky:@shop.example.com",
               "--at", "2026-11-18 15:00", "--name", "second").exit_code == 0
    await pilot.press("r")
    await settle(pilot)
    assert app.screen.query_one(AgendaPanel).current_post == "second"


async def test_plus_moves_the_post_an_hour_later_after_yes_and_u_puts_it_back(
        run: Run, app: SocialhubApp, pilot: Pilot[None]) -> None:
    await pilot.press("right", "right", "plus")
    await pilot.pause()
    assert type(app.screen).__name__ == "ConfirmModal"
    assert "Fri 20 Nov 2026 10:00" in str(app.screen.query_one("#confirm-question").render())
    await pilot.press("y")
    await settle(pilot)
    assert {t["at"] for t in posts(run)["launch"]["targets"]} == {
        "2026-11-20T10:00 Europe/Berlin"}
    assert "10:00 bs" in grid_text(app)
    await pilot.press("u")
    await settle(pilot)
    assert {t["at"] for t in posts(run)["launch"]["targets"]} == {
        "2026-11-20T09:00 Europe/Berlin"}


async def test_comma_moves_a_quarter_hour_earlier_and_no_leaves_it(
        run: Run, pilot: Pilot[None]) -> None:
    await pilot.press("right", "right", "full_stop", "n")
    await settle(pilot)
    assert {t["at"] for t in posts(run)["launch"]["targets"]} == {
        "2026-11-20T09:00 Europe/Berlin"}
    await pilot.press("comma", "y")
    await settle(pilot)
    assert {t["at"] for t in posts(run)["launch"]["targets"]} == {
        "2026-11-20T08:45 Europe/Berlin"}


async def test_a_post_dragged_to_another_day_moves_after_yes(
        run: Run, app: SocialhubApp, pilot: Pilot[None]) -> None:
    grid = screen(app).grid
    # Friday 20 Nov is in the 4th row; its first post is on the cell's second line.
    await pilot.mouse_down(grid, offset=in_cell(grid, 4, 3, 1))
    await pilot.mouse_up(grid, offset=in_cell(grid, 6, 3, 1))  # Sunday 22
    await pilot.pause()
    assert type(app.screen).__name__ == "ConfirmModal"
    await pilot.press("y")
    await settle(pilot)
    assert screen(app).selected == date(2026, 11, 22)
    assert {t["at"] for t in posts(run)["launch"]["targets"]} == {
        "2026-11-22T09:00 Europe/Berlin"}  # the whole post moves, every target


async def test_a_post_dropped_on_a_free_slot_takes_its_day_and_time(
        run: Run, app: SocialhubApp, pilot: Pilot[None]) -> None:
    grid = screen(app).grid
    # Friday 20 Nov (4th row) to Tuesday 24 Nov's free 10:00 slot (5th row, 2nd line).
    slot = grid._lines[date(2026, 11, 24)][1]
    assert slot is not None and (slot["kind"], slot["time"]) == ("slot", "10:00")
    await pilot.mouse_down(grid, offset=in_cell(grid, 4, 3, 1))
    await pilot.mouse_up(grid, offset=in_cell(grid, 1, 4, 1))
    await pilot.pause()
    assert type(app.screen).__name__ == "ConfirmModal"
    question = str(app.screen.query_one("#confirm-question").render())
    assert "to a free slot" in question and "Tue 24 Nov 2026 10:00" in question
    await pilot.press("y")
    await settle(pilot)
    assert screen(app).selected == date(2026, 11, 24)
    assert {t["at"] for t in posts(run)["launch"]["targets"]} == {
        "2026-11-24T10:00 Europe/Berlin"}
    await pilot.press("u")  # and back, as any move
    await settle(pilot)
    assert {t["at"] for t in posts(run)["launch"]["targets"]} == {
        "2026-11-20T09:00 Europe/Berlin"}


async def test_a_post_dropped_on_a_slot_of_its_own_day_changes_only_the_time(run: Run) -> None:
    assert run("slots", "add", tui_kit.MA, "--day", "fri", "--time", "17:30").exit_code == 0
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("w")  # the week view: Friday's cell lists 09:00 bs, ma, 17:30 free
        await settle(pilot)
        grid = screen(app).grid
        lines = grid._lines[date(2026, 11, 20)]
        slot_line = next(i for i, e in enumerate(lines) if e and e["kind"] == "slot")
        post_line = next(i for i, e in enumerate(lines) if e and e["kind"] == "post")
        await pilot.mouse_down(grid, offset=in_cell(grid, 4, 0, post_line))
        await pilot.mouse_up(grid, offset=in_cell(grid, 4, 0, slot_line))
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmModal"
        await pilot.press("y")
        await settle(pilot)
        assert {t["at"] for t in posts(run)["launch"]["targets"]} == {
            "2026-11-20T17:30 Europe/Berlin"}


async def test_dragging_an_empty_place_only_selects_the_day(
        app: SocialhubApp, pilot: Pilot[None]) -> None:
    grid = screen(app).grid
    await pilot.click(grid, offset=in_cell(grid, 5, 3, 2))  # Sat 21, empty
    await pilot.pause()
    assert isinstance(app.screen, CalendarScreen)
    assert screen(app).selected == date(2026, 11, 21)


async def test_the_next_month_is_prefetched_and_shown_without_a_read(
        app: SocialhubApp, pilot: Pilot[None]) -> None:
    cal = screen(app)
    assert (cal.view, date(2026, 11, 30)) in cal.cache  # December's grid starts Mon 30 Nov
    await pilot.press("right_square_bracket")
    assert cal.loaded is not None and cal.loaded.start == date(2026, 11, 30)
    assert not [w for w in app.workers if w.group == "calendar_data"]


async def test_r_rereads_after_a_change_the_cache_had_not_seen(
        run: Run, app: SocialhubApp, pilot: Pilot[None]) -> None:
    assert run("posts", "create", "-b", "December news", "-t", "bluesky:@shop.example.com",
               "--at", "2026-12-02 15:00", "--name", "december").exit_code == 0
    await pilot.press("right_square_bracket")
    await settle(pilot)
    await pilot.press("r")
    await settle(pilot)
    assert "15:00 bs" in grid_text(app)


async def test_the_calendar_on_screen_follows_changes_made_elsewhere_without_a_key(
        run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    from socialhub.tui.screens import calendar_screen

    monkeypatch.setattr(calendar_screen, "LIVE_REFRESH_MIN_S", 0.3)
    app = SocialhubApp(blink=False, refresh_every=0.3)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("right", "right")  # Friday 20th, the launch post highlighted
        assert app.screen.query_one(AgendaPanel).current_post == "launch"
        moved = run("posts", "schedule", "launch", "--at", "2026-11-21 10:00")  # another user
        assert moved.exit_code == 0, moved.stderr
        for _ in range(40):  # no key pressed: the calendar re-reads by itself
            await pilot.pause(0.1)
            if "09:00 bs" not in grid_text(app):
                break
        assert "09:00 bs" not in grid_text(app) and "10:00 bs We" in grid_text(app)
        shown = screen(app).loaded
        assert shown is not None
        assert [(e["post"], e["time"]) for e in shown.days[date(2026, 11, 21)]] == [
            ("launch", "10:00"), ("launch", "10:00")]
        assert app.screen.query_one(AgendaPanel).current_post is None  # gone from Friday
        assert screen(app).selected == date(2026, 11, 20)  # the person's place is kept


@pytest.mark.parametrize("view", ["month", "week"])
async def test_wide_characters_in_a_post_keep_every_column_in_its_place(
        run: Run, app: SocialhubApp, pilot: Pilot[None], view: str) -> None:
    # Emoji and CJK take two terminal cells each: a cell cut by characters spilled into
    # its neighbours and pushed the rest of the week to the right.
    from rich.cells import cell_len

    assert run("posts", "create", "-b", "新商品のお知らせ 🎉🎉🎉 週末セール開催中です", "-t",
               "bluesky:@shop.example.com", "--at", "2026-11-18 15:00",
               "--name", "wide").exit_code == 0
    await pilot.press("w" if view == "week" else "m")
    await pilot.press("r")
    await settle(pilot)
    grid = screen(app).grid
    col_w = grid.size.width // 7
    lines = grid.render().lines
    assert any("新" in text for line in lines for text, _ in line), grid.render().plain
    for line in lines[1:]:
        assert [cell_len(text) for text, _ in line] == [col_w - 1, 1] * 7


def busy_thursday(run: Run, hours: tuple[int, ...], body: str) -> None:
    """One post on @shop.example.com at each of ``hours`` on Thursday 19 November
    (``body`` with ``{hour}`` filled in)."""
    for hour in hours:
        assert run("posts", "create", "-b", body.format(hour=hour), "-t",
                   "bluesky:@shop.example.com", "--at", f"2026-11-19 {hour}:00",
                   "--name", f"busy-{hour}").exit_code == 0


async def test_a_narrow_cell_counts_the_posts_it_cannot_show_without_cutting_the_count(
        run: Run) -> None:
    # At 80×24 a day's cell is 10 cells wide and two lines tall: "+3 more" was cut to
    # "+3 mor"; the count alone is shown instead.
    busy_thursday(run, (15, 16, 17, 18), "post at {hour}")
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        grid = screen(app).grid
        cells = [text.strip() for line in grid.render().lines for text, _ in line]
        counts = [c for c in cells if c.startswith("+")]
        assert counts and all(c.split()[0][1:].isdigit() for c in counts), counts
        assert all(c.endswith("more") or " " not in c for c in counts), counts


def day_column(grid: MonthGrid, weekday: int) -> list[str]:
    """The lines of one day's cell in the week view, as painted (Monday: 0)."""
    return [line[2 * weekday][0].strip() for line in grid.render().lines[1:]]


async def test_the_week_at_80_columns_shows_every_handle_whole_and_cuts_only_text(
        run: Run) -> None:
    # At 80×24 a day's column is 7 cells (5 before the agenda narrowed): handles were cut
    # to "@av…", "@sh…", "@me…".
    # Now the badge goes under the time and the handle takes the lines it needs.
    long = "@averyveryverylonghandle.example.com"
    assert run("accounts", "add", f"bluesky:{long}").exit_code == 0
    assert run("posts", "create", "-b", "A long announcement about the winter sale", "-t",
               f"bluesky:{long}", "--at", "2026-11-19 14:30", "--name", "winter").exit_code == 0
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        grid = screen(app).grid
        assert grid.size.width // 7 - 1 == 7  # the narrow case this test is about
        thursday, friday = day_column(grid, 3), day_column(grid, 4)
        assert thursday[1:3] == ["14:30", "bs"], thursday
        assert long in "".join(thursday), thursday
        assert "@shop.example.com" in "".join(friday), friday
        assert "@me@social.example" in "".join(friday), friday
        assert [line for line in friday if ":" in line] == ["09:00", "09:00"], friday
        ends = next(i for i in range(len(thursday)) if long in "".join(thursday[:i + 1]))
        assert not any("…" in line for line in thursday[:ends + 1]), thursday  # up to the
        assert "…" in "".join(thursday[ends + 1:]), thursday  # handle's end; the text is cut


async def test_the_week_shows_fewer_lines_of_text_before_it_leaves_a_post_out(
        run: Run) -> None:
    # Three posts on a narrow day do not fit with two lines of text each: the text gives
    # way (one line, then none) before a post is hidden behind "+N more".
    busy_thursday(run, (15, 16, 17), "the post at {hour} with some words")
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        thursday = day_column(screen(app).grid, 3)
        assert [line for line in thursday if ":" in line] == ["15:00", "16:00", "17:00"]
        assert not any(line.startswith("+") for line in thursday), thursday
        assert "".join(thursday).count("@shop.example.com") == 3, thursday
