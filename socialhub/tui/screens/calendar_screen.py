"""The calendar screen (the default): month or week, the day's agenda, moves with undo."""

from __future__ import annotations

import time
from concurrent import futures
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Header, OptionList, Static

from socialhub.errors import SocialhubError
from socialhub.services.authoring.board_labels import legend, upcoming
from socialhub.services.authoring.calendar_model import CalendarData, View, calendar_span
from socialhub.tui.background import run_service
from socialhub.tui.screens.confirm_modal import ConfirmModal
from socialhub.tui.startup import collector
from socialhub.tui.startup.first_month import FirstMonth
from socialhub.tui.widgets.agenda_panel import AgendaPanel
from socialhub.tui.widgets.footer import compact_footer
from socialhub.tui.widgets.legend import Legend
from socialhub.tui.widgets.month_grid import MonthGrid
from socialhub.tui.widgets.week_view import WeekView

if TYPE_CHECKING:
    from socialhub.services.authoring.board import Move
    from socialhub.services.context import Ctx
    from socialhub.tui.host import HubApp

#: A cached month or week older than this is shown at once and re-read behind it.
STALE_AFTER_S = 20.0
#: While the calendar is shown, the view on screen is re-read this often (at least),
#: so statuses follow the daemon (scheduled → published/failed) without a key press.
LIVE_REFRESH_MIN_S = 10.0


def shift_month(day: date, months: int) -> date:
    """The same day ``months`` later (clamped to the month's last day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    first = date(year, month + 1, 1)
    last = ((first + timedelta(days=32)).replace(day=1) - timedelta(days=1)).day
    return first.replace(day=min(day.day, last))


@dataclass(frozen=True)
class Shift:
    """A move as the person asked for it: whole days, minutes of wall-clock time, or both."""

    days: int = 0
    minutes: int = 0
    to_slot: bool = False  # dropped onto a free slot: its day and time

    def describe(self) -> str:
        """'+1 day', '-15 min', '+1 h', 'to a free slot' — for the confirmation."""
        if self.to_slot:
            return "to a free slot"
        if self.days:
            return f"{self.days:+d} day{'s' if abs(self.days) > 1 else ''}"
        hours, rest = divmod(abs(self.minutes), 60)
        sign = "+" if self.minutes > 0 else "-"
        return f"{sign}{hours} h" if not rest else f"{sign}{abs(self.minutes)} min"


class CalendarScreen(Screen[None]):
    """Month and week views of what goes out when, with free weekly slots."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # Shown in the footer: what fits at 80 columns. The rest is in the help (?).
        Binding("n", "new", "New"),
        Binding("e", "edit", "Edit"),
        Binding("m", "view('month')", "Month"),
        Binding("w", "view('week')", "Week"),
        Binding("t", "today", "Today"),
        Binding("a", "approvals", "Approvals", show=False,
                tooltip="Posts waiting for a review"),
        Binding("left_square_bracket", "page(-1)", "Previous month/week", show=False),
        Binding("right_square_bracket", "page(1)", "Next month/week", show=False),
        Binding("shift+left", "move(-1)", "Move -1d", show=False),
        Binding("shift+right", "move(1)", "Move +1d", show=False),
        Binding("shift+up", "move(-7)", "Move -1w", show=False),
        Binding("shift+down", "move(7)", "Move +1w", show=False),
        Binding("minus", "move_time(-60)", "Move -1h", show=False),
        Binding("plus,equals_sign", "move_time(60)", "Move +1h", show=False),
        Binding("less_than_sign,comma", "move_time(-15)", "Move -15m", show=False),
        Binding("greater_than_sign,full_stop", "move_time(15)", "Move +15m", show=False),
        Binding("u", "undo", "Undo the last move", show=False),
        Binding("r", "reload", "Refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view: View = "month"
        self.selected = date(2000, 1, 1)
        self.loaded: CalendarData | None = None
        self.last_move: Move | None = None
        self.last_move_back: date | None = None  # the day to show after an undo
        #: Loaded views by (view, first day), with the monotonic time they were read.
        self.cache: dict[tuple[View, date], tuple[float, CalendarData]] = {}
        self.ticker: Timer | None = None
        self.refreshing = False

    @property
    def hub_app(self) -> HubApp:
        """The running app, typed."""
        return cast("HubApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="calendar-body"):
            with Vertical(id="calendar-main"):
                yield Static("", id="calendar-title")
                yield Legend(id="calendar-legend")
                with ContentSwitcher(initial="month", id="calendar-views"):
                    yield MonthGrid(id="month")
                    yield WeekView(id="week")
            yield AgendaPanel(id="agenda")
        yield compact_footer()

    def on_mount(self) -> None:
        self.query_one("#month", MonthGrid).focus()
        if self.hub_app.first_month.done():  # read before Textual was up: in the first frame
            # After the refresh Textual renders inside its start-up batch and never writes:
            # filled now, the whole month would be rendered once for nothing (~0.1 CPU-s).
            self.call_after_refresh(self._take_first_month)
        else:
            self.run_worker(self._await_first_month, thread=True, group="first-month",
                            exit_on_error=False)

    def _await_first_month(self) -> None:
        """Wait (off the UI thread) for the month the app started reading at launch."""
        futures.wait([self.hub_app.first_month], timeout=60)
        self.app.call_from_thread(self._take_first_month)

    def _take_first_month(self) -> None:
        """Show the month read at launch; an error that stops everything closes the TUI."""
        app = self.hub_app
        try:
            first = app.first_month.result(timeout=0)
        except SocialhubError as exc:  # bad config, unusable database: nothing can work
            collector.resume()
            app.fail(exc)
            return
        except Exception as exc:
            collector.resume()
            app.report(exc)
            self._show_today()
            return
        self._show_first(first)

    def _show_today(self) -> None:
        """Select today (in the display zone) in both grids, and read that month."""
        self._set_today(self.hub_app.today())
        self.reload()

    def _set_today(self, today: date) -> None:
        self.selected = today
        for grid in self.query(MonthGrid):
            grid.today = today
            grid.selected = today
            grid.now = self.hub_app.now()

    def _show_first(self, first: FirstMonth) -> None:
        self._set_today(first.today)
        self.cache[(first.data.view, first.data.start)] = (time.monotonic(), first.data)
        self._loaded(first.data, cache=False)
        self.call_after_refresh(collector.resume)  # the month is painted: see collector.py
        self.call_after_refresh(self._open_database)

    def _open_database(self) -> None:
        """After the first paint: open the database as every service will, then prefetch.

        The month may have been read without the full config check; a config or
        database the services cannot use closes the TUI with its error, as at launch.
        """
        app = self.hub_app

        def open_it() -> None:
            try:
                app.open_database()
            except SocialhubError as exc:
                app.call_from_thread(app.fail, exc)
            except Exception as exc:
                app.call_from_thread(app.report, exc)
            else:
                app.call_from_thread(self._prefetch)

        self.run_worker(open_it, thread=True, group="open-database", exit_on_error=False)

    def on_screen_resume(self) -> None:
        if self.loaded is not None:  # back from the editor: anything may have changed
            self.reload(fresh=True)
        every = self.hub_app.refresh_every
        if every and self.ticker is None:
            self.ticker = self.set_interval(max(LIVE_REFRESH_MIN_S, every), self._live_refresh)

    def on_screen_suspend(self) -> None:
        if self.ticker is not None:
            self.ticker.stop()
            self.ticker = None

    def _live_refresh(self) -> None:
        """Re-read the view on screen; repaint only if something changed (a post went out)."""
        if self.refreshing or self.loaded is None or self.app.screen is not self:
            return
        self.refreshing = True

        def read(data: CalendarData) -> None:
            self.refreshing = False
            if data == self.loaded:
                self.cache[(data.view, data.start)] = (time.monotonic(), data)
            else:
                self._loaded(data)

        def failed() -> None:
            self.refreshing = False

        from socialhub.services.authoring.board import calendar_data

        run_service(self, calendar_data, self.view, self.selected, self.hub_app.zone,
                    then=read, failed=failed)

    @property
    def grid(self) -> MonthGrid:
        """The grid of the current view."""
        return self.query_one(f"#{self.view}", MonthGrid)

    def reload(self, *, fresh: bool = False) -> None:
        """Show the current view, from the cache when it has it, else read it in a worker.

        ``fresh`` drops the cache first (after a change). A cached view older than
        STALE_AFTER_S is shown at once and re-read behind it.
        """
        if fresh:
            self.cache.clear()
        key = (self.view, calendar_span(self.view, self.selected).start)
        hit = self.cache.get(key)
        if hit is not None:
            self._loaded(hit[1], cache=False)
            if time.monotonic() - hit[0] < STALE_AFTER_S:
                return
        from socialhub.services.authoring.board import calendar_data

        run_service(self, calendar_data, self.view, self.selected, self.hub_app.zone,
                    then=self._loaded)

    def action_reload(self) -> None:
        """Re-read the calendar from the database."""
        self.reload(fresh=True)

    def _loaded(self, data: CalendarData, *, cache: bool = True) -> None:
        if cache:
            self.cache[(data.view, data.start)] = (time.monotonic(), data)
        if data.view != self.view or not data.start <= self.selected < data.end:
            return  # a stale answer for a view the person already left
        self.loaded = data
        self.grid.now = self.hub_app.now()  # slots that passed meanwhile stop being "free"
        self.grid.data = data
        self.query_one(Legend).show(legend(e for day in data.days.values() for e in day),
                                    "no posts or slots here")
        self._show_selection()
        if cache:  # after this paint: a cold start loads the database layer here
            self.call_after_refresh(self._prefetch)

    def _prefetch(self) -> None:
        """Read the previous and next month (or week) into the cache, after the paint."""
        view, anchor = self.view, self.selected
        steps = [shift_month(anchor, s) for s in (1, -1)] if view == "month" else \
            [anchor + timedelta(days=7 * s) for s in (1, -1)]
        missing = [d for d in steps if (view, calendar_span(view, d).start) not in self.cache]

        def keep(found: list[CalendarData]) -> None:
            for data in found:
                self.cache[(data.view, data.start)] = (time.monotonic(), data)

        if missing:
            run_service(self, _neighbours, view, missing, self.hub_app.zone, then=keep)

    def _show_selection(self) -> None:
        grid = self.grid
        grid.selected = self.selected
        title = (f"{self.selected:%B %Y}" if self.view == "month" else
                 f"Week of {grid.first_day():%d %b %Y}")
        self.query_one("#calendar-title", Static).update(f"{title}  ·  {self.hub_app.zone}")
        entries = self.loaded.days.get(self.selected, []) if self.loaded else []
        self.query_one(AgendaPanel).show(self.selected, upcoming(entries, self.grid.now))

    def select_day(self, day: date) -> None:
        """Select ``day``, fetching another month or week when it lies outside the view."""
        self.selected = day
        data = self.loaded
        inside = data is not None and data.view == self.view and data.start <= day < data.end
        if data is not None and inside and self.view == "month":
            inside = (day.year, day.month) == self._month_of(data)
        self._show_selection()
        if not inside:
            self.reload()

    @staticmethod
    def _month_of(data: CalendarData) -> tuple[int, int]:
        middle = data.start + (data.end - data.start) / 2
        return middle.year, middle.month

    def on_month_grid_day_selected(self, event: MonthGrid.DaySelected) -> None:
        self.select_day(event.day)

    def on_month_grid_post_dropped(self, event: MonthGrid.PostDropped) -> None:
        self.select_day(event.source)
        if event.slot_at is None:  # onto a day: the same time of day there
            self._ask_move(event.post, event.at, Shift(days=(event.target - event.source).days))
            return
        # Onto a free slot: its day and time (wall-clock, as the keys move posts).
        delta = (datetime.fromisoformat(event.slot_at).replace(tzinfo=None)
                 - datetime.fromisoformat(event.at).replace(tzinfo=None))
        self._ask_move(event.post, event.at,
                       Shift(days=delta.days, minutes=delta.seconds // 60, to_slot=True))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_edit()

    def action_today(self) -> None:
        """Jump to today."""
        self.select_day(self.hub_app.today())

    def action_page(self, step: int) -> None:
        """Previous/next month or week."""
        day = shift_month(self.selected, step) if self.view == "month" else \
            self.selected + timedelta(days=7 * step)
        self.select_day(day)

    def action_view(self, view: View) -> None:
        """Switch between the month and week views."""
        if view == self.view:
            return
        self.view = view
        self.query_one(ContentSwitcher).current = view
        self.grid.focus()
        self.loaded = None
        self._show_selection()
        self.reload()

    def action_new(self) -> None:
        """Open the editor on a new post."""
        from socialhub.tui.screens.editor_screen import EditorScreen

        self.app.push_screen(EditorScreen(None, day=self.selected))

    def action_approvals(self) -> None:
        """Show the approvals queue (posts waiting for a review)."""
        self.app.switch_screen("approvals")

    def action_edit(self) -> None:
        """Open the editor on the highlighted post."""
        from socialhub.tui.screens.editor_screen import EditorScreen

        post = self.query_one(AgendaPanel).current_post
        if post is None:
            self.notify("no post on this day to edit", severity="warning")
            return
        self.app.push_screen(EditorScreen(post))

    def action_move(self, days: int) -> None:
        """Ask, then move the highlighted post by ``days`` (keeping its time of day)."""
        self._move_highlighted(Shift(days=days))

    def action_move_time(self, minutes: int) -> None:
        """Ask, then move the highlighted post ``minutes`` earlier or later the same way."""
        self._move_highlighted(Shift(minutes=minutes))

    def _move_highlighted(self, shift: Shift) -> None:
        agenda = self.query_one(AgendaPanel)
        post, entry = agenda.current_post, agenda.current_entry
        if post is None or entry is None:
            self.notify("no post on this day to move", severity="warning")
            return
        self._ask_move(post, entry["at"], shift)

    def _ask_move(self, post: str, at: str, shift: Shift) -> None:
        """Confirm, then move ``post`` (shown at local ``at``) by ``shift``."""
        old = datetime.fromisoformat(at)
        new = old + timedelta(days=shift.days, minutes=shift.minutes)
        if new <= self.hub_app.now():  # refused before asking: the service would refuse too
            self.notify(f"{new:%a %d %b %H:%M} is in the past: a post can only move to a future "
                        "time", severity="warning")
            return
        question = (f"Move {post} ({shift.describe()}) from {old:%a %d %b %H:%M} "
                    f"to {new:%a %d %b %Y %H:%M}?")

        def answered(yes: bool | None) -> None:
            if yes:
                from socialhub.services.authoring.board import move_post

                run_service(self, move_post, post, shift.days, minutes=shift.minutes,
                            now=self.hub_app.now(),
                            then=lambda move: self._moved(move, new.date(), old.date()))

        self.app.push_screen(ConfirmModal(question), answered)

    def _moved(self, move: Move, target: date, source: date) -> None:
        self.last_move, self.last_move_back = move, source
        self.notify(f"moved {move.post} to {target:%a %d %b}; press u to undo")
        self.selected = target
        self._show_selection()
        self.reload(fresh=True)

    def action_undo(self) -> None:
        """Undo the last move."""
        move, back = self.last_move, self.last_move_back
        if move is None or back is None:
            self.notify("nothing to undo", severity="warning")
            return

        def undone(_: None) -> None:
            self.last_move = self.last_move_back = None
            self.notify(f"moved {move.post} back")
            self.selected = back
            self._show_selection()
            self.reload(fresh=True)

        from socialhub.services.authoring.board import undo_move

        run_service(self, undo_move, move, now=self.hub_app.now(), then=undone)


def _neighbours(ctx: Ctx, view: View, anchors: list[date],
                zone: str) -> list[CalendarData]:
    from socialhub.services.authoring.board import calendar_data

    return [calendar_data(ctx, view, a, zone) for a in anchors]
