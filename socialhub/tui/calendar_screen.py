"""The calendar screen (the default): month or week, the day's agenda, moves with undo."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Header, OptionList, Static

from socialhub.services.calendar import View
from socialhub.services.tui_views import CalendarData, Move, calendar_data, move_post, undo_move
from socialhub.tui.agenda_panel import AgendaPanel
from socialhub.tui.background import run_service
from socialhub.tui.confirm_modal import ConfirmModal
from socialhub.tui.month_grid import MonthGrid
from socialhub.tui.week_view import WeekView

if TYPE_CHECKING:
    from socialhub.tui.app import SocialhubApp


def shift_month(day: date, months: int) -> date:
    """The same day ``months`` later (clamped to the month's last day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    first = date(year, month + 1, 1)
    last = ((first + timedelta(days=32)).replace(day=1) - timedelta(days=1)).day
    return first.replace(day=min(day.day, last))


class CalendarScreen(Screen[None]):
    """Month and week views of what goes out when, with free weekly slots."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "today", "Today"),
        Binding("left_square_bracket", "page(-1)", "Prev"),
        Binding("right_square_bracket", "page(1)", "Next"),
        Binding("m", "view('month')", "Month"),
        Binding("w", "view('week')", "Week"),
        Binding("n", "new", "New"),
        Binding("e", "edit", "Edit"),
        Binding("shift+left", "move(-1)", "Move -1d", show=False),
        Binding("shift+right", "move(1)", "Move +1d", show=False),
        Binding("shift+up", "move(-7)", "Move -1w", show=False),
        Binding("shift+down", "move(7)", "Move +1w", show=False),
        Binding("u", "undo", "Undo"),
        Binding("r", "reload", "Refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view: View = "month"
        self.selected = date(2000, 1, 1)
        self.loaded: CalendarData | None = None
        self.last_move: Move | None = None

    @property
    def hub_app(self) -> SocialhubApp:
        """The running app, typed."""
        return cast("SocialhubApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="calendar-body"):
            with Vertical(id="calendar-main"):
                yield Static("", id="calendar-title")
                with ContentSwitcher(initial="month", id="calendar-views"):
                    yield MonthGrid(id="month")
                    yield WeekView(id="week")
            yield AgendaPanel(id="agenda")
        yield Footer()

    def on_mount(self) -> None:
        self.selected = self.hub_app.today()
        for grid in self.query(MonthGrid):
            grid.today = self.selected
            grid.selected = self.selected
        self.query_one("#month", MonthGrid).focus()
        self.reload()

    def on_screen_resume(self) -> None:
        if self.loaded is not None:
            self.reload()

    @property
    def grid(self) -> MonthGrid:
        """The grid of the current view."""
        return self.query_one(f"#{self.view}", MonthGrid)

    def reload(self) -> None:
        """Fetch the current view's entries in a worker, then show them."""
        run_service(self, calendar_data, self.view, self.selected, self.hub_app.zone,
                    then=self._loaded)

    def action_reload(self) -> None:
        """Re-read the calendar from the database."""
        self.reload()

    def _loaded(self, data: CalendarData) -> None:
        if data.view != self.view or not data.start <= self.selected < data.end:
            return  # a stale answer for a view the person already left
        self.loaded = data
        grid = self.grid
        grid.data = data
        self._show_selection()

    def _show_selection(self) -> None:
        grid = self.grid
        grid.selected = self.selected
        title = (f"{self.selected:%B %Y}" if self.view == "month" else
                 f"Week of {grid.first_day():%d %b %Y}")
        self.query_one("#calendar-title", Static).update(f"{title}  ·  {self.hub_app.zone}")
        entries = self.loaded.days.get(self.selected, []) if self.loaded else []
        self.query_one(AgendaPanel).show(self.selected, entries)

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
        from socialhub.tui.editor_screen import EditorScreen

        self.app.push_screen(EditorScreen(None, day=self.selected))

    def action_edit(self) -> None:
        """Open the editor on the highlighted post."""
        from socialhub.tui.editor_screen import EditorScreen

        post = self.query_one(AgendaPanel).current_post
        if post is None:
            self.notify("no post on this day to edit", severity="warning")
            return
        self.app.push_screen(EditorScreen(post))

    def action_move(self, days: int) -> None:
        """Ask, then move the highlighted post by ``days`` (keeping its time of day)."""
        post = self.query_one(AgendaPanel).current_post
        if post is None:
            self.notify("no post on this day to move", severity="warning")
            return
        target = self.selected + timedelta(days=days)

        def answered(yes: bool | None) -> None:
            if yes:
                run_service(self, move_post, post, days, now=self.hub_app.now(),
                            then=lambda move: self._moved(move, target))

        self.app.push_screen(ConfirmModal(f"Move {post} to {target:%a %d %b %Y}?"), answered)

    def _moved(self, move: Move, target: date) -> None:
        self.last_move = move
        self.notify(f"moved {move.post} to {target:%a %d %b}; press u to undo")
        self.select_day(target)
        self.reload()

    def action_undo(self) -> None:
        """Undo the last move."""
        move = self.last_move
        if move is None:
            self.notify("nothing to undo", severity="warning")
            return

        def undone(_: None) -> None:
            self.last_move = None
            self.notify(f"moved {move.post} back")
            self.select_day(self.selected - timedelta(days=move.days))
            self.reload()

        run_service(self, undo_move, move, now=self.hub_app.now(), then=undone)
