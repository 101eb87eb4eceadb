"""The month grid: whole weeks of days, each with its posts and free slots."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.control import strip_control_codes
from rich.segment import Segment
from rich.style import Style
from rich.terminal_theme import TerminalTheme
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.css.styles import RulesMap
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.visual import RenderOptions, Visual
from textual.widget import Widget

from socialhub.services.authoring.board_labels import badge, upcoming
from socialhub.services.authoring.calendar_model import CalendarData

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def status_class(status: str) -> str:
    """The colour family of a calendar status (draft, scheduled, published, failed…)."""
    if status == "free":
        return "free"
    if status in ("published", "partially_published"):
        return "published"
    if status in ("dead", "failed"):
        return "failed"
    if status in ("unconfirmed", "retry_scheduled"):
        return "unconfirmed"
    if status in ("draft", "pending_approval", "changes_requested", "approved"):
        return "draft"
    return "scheduled"


#: A painted line: runs of text, each with its style (None: the widget's own).
Line = list[tuple[str, Style | None]]


class GridLines(Visual):
    """The grid as painted: lines of styled runs, turned into strips directly.

    Textual paints a rich ``Text`` by converting it to ``Content``, combining the
    widget's style with each span's on every line and tagging every segment with
    its offset (for text selection, which the grid does not offer). That was the
    costliest part of a cold launch's first frame (≈ 70 ms of CPU for a full
    month). The grid has a dozen distinct styles, so each is combined with the
    widget's style once here, exactly as that conversion combines them: the
    strips show the same characters in the same colours (a test compares them).
    """

    def __init__(self, lines: list[Line], ansi_theme: TerminalTheme | None) -> None:
        self.lines = lines
        self.ansi_theme = ansi_theme

    @property
    def plain(self) -> str:
        """The grid's text, lines joined by newlines (as ``Text.plain`` would give)."""
        return "\n".join("".join(text for text, _ in line) for line in self.lines)

    def to_text(self) -> Text:
        """The same lines as a rich ``Text`` (what the grid painted before)."""
        out = Text(no_wrap=True, overflow="crop")
        for number, line in enumerate(self.lines):
            if number:
                out.append("\n")
            for text, style in line:
                out.append(text, style)
        return out

    def render_strips(self, width: int, height: int | None, style: VisualStyle,
                      options: RenderOptions) -> list[Strip]:
        """One strip per line, each run in the widget's style plus its own."""
        combined: dict[Style | None, Style] = {}

        def rich_style(span: Style | None) -> Style:
            found = combined.get(span)
            if found is None:  # as Content renders a span: base + (base + span)
                text_style = style + VisualStyle.from_rich_style(span, self.ansi_theme) \
                    if span else style
                found = combined[span] = (style + text_style).rich_style
            return found

        lines = self.lines if height is None else self.lines[:height]
        strips = [Strip([Segment(text, rich_style(span)) for text, span in line if text])
                  for line in lines]
        if any(strip.cell_length > width for strip in strips):  # wide characters: let
            return Content.from_rich_text(self.to_text()).render_strips(  # Textual fold them
                width, height, style, options)
        return strips

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        """The widest line."""
        return max((sum(cell_len(text) for text, _ in line) for line in self.lines), default=0)

    def get_height(self, rules: RulesMap, width: int) -> int:
        """One row per line."""
        return len(self.lines)


class MonthGrid(Widget, can_focus=True):
    """Days in a grid; the selected day moves with arrows/hjkl or a click."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "grid--header", "grid--day", "grid--other", "grid--today", "grid--selected",
        "grid--draft", "grid--scheduled", "grid--published", "grid--failed",
        "grid--unconfirmed", "grid--free", "grid--more",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,h", "step(-1)", "Day back", show=False),
        Binding("right,l", "step(1)", "Day on", show=False),
        Binding("up,k", "step(-7)", "Week back", show=False),
        Binding("down,j", "step(7)", "Week on", show=False),
    ]

    class DaySelected(Message):
        """The person picked another day."""

        def __init__(self, day: date) -> None:
            super().__init__()
            self.day = day

    class PostDropped(Message):
        """A post was dragged with the mouse to another day, or onto a free slot.

        ``slot_at`` is the free slot's local time when it was dropped on one.
        """

        def __init__(self, post: str, at: str, source: date, target: date,
                     slot_at: str | None = None) -> None:
            super().__init__()
            self.post, self.at, self.source, self.target = post, at, source, target
            self.slot_at = slot_at

    data: reactive[CalendarData | None] = reactive(None)
    selected: reactive[date] = reactive(date(2000, 1, 1))
    today: reactive[date] = reactive(date(2000, 1, 1))

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        #: Per painted day, the entry shown on each line of its cell (None: no post there).
        self._lines: dict[date, list[dict[str, Any] | None]] = {}
        self._dragging: tuple[dict[str, Any], date] | None = None
        self._styles: dict[str, Style] = {}
        self._dropped = False  # the click that ends a drag selects nothing
        #: The current instant: free slots before it are not shown (None: show all).
        self.now: datetime | None = None

    def first_day(self) -> date:
        """The Monday at the top-left of the grid."""
        start = self.selected.replace(day=1)
        return start - timedelta(days=start.weekday())

    def weeks(self) -> int:
        """How many week rows the grid shows."""
        first = self.selected.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return (last - self.first_day()).days // 7 + 1

    def action_step(self, days: int) -> None:
        """Move the selection by ``days``."""
        self.select(self.selected + timedelta(days=days))

    def select(self, day: date) -> None:
        """Select ``day`` and tell the screen."""
        self.selected = day
        self.post_message(self.DaySelected(day))

    def _at(self, x: int, y: int) -> tuple[date, int] | None:
        """The day under (x, y) and the line inside its cell (0 = the day's number)."""
        col_w = max(1, self.size.width // 7)
        row_h = self._row_height()
        row, col = (y - 1) // row_h, min(x // col_w, 6)
        if y < 1 or not 0 <= row < self.weeks():
            return None
        return self.first_day() + timedelta(days=row * 7 + col), (y - 1) % row_h

    def on_click(self, event: events.Click) -> None:
        spot, dropped, self._dropped = self._at(event.x, event.y), self._dropped, False
        if spot is not None and not dropped:
            self.select(spot[0])

    def on_mouse_down(self, event: events.MouseDown) -> None:
        # A press on a post's line starts a drag; releasing on another day drops it there.
        spot = self._at(event.x, event.y)
        self._dragging = None
        if spot is None:
            return
        entry = self._entry_at(*spot)
        if entry is not None and entry["kind"] == "post":
            self._dragging = (entry, spot[0])
            self.capture_mouse()

    def on_mouse_up(self, event: events.MouseUp) -> None:
        drag, self._dragging = self._dragging, None
        self.release_mouse()
        if drag is None:
            return
        spot = self._at(event.x, event.y)
        entry, source = drag
        slot = self._entry_at(*spot) if spot is not None else None
        slot_at = slot["at"] if slot is not None and slot["kind"] == "slot" else None
        if spot is None or (spot[0] == source and slot_at is None):
            self.select(source)
            return
        self._dropped = True
        self.post_message(self.PostDropped(entry["post"], entry["at"], source, spot[0],
                                           slot_at=slot_at))

    def _entry_at(self, day: date, line: int) -> dict[str, Any] | None:
        """The entry painted on ``line`` of ``day``'s cell, if any."""
        lines = self._lines.get(day, [])
        return lines[line] if 0 <= line < len(lines) else None

    def _row_height(self) -> int:
        return max(2, (self.size.height - 1) // self.weeks())

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"grid--{name}", partial=True)

    def entry_lines(self, entry: dict[str, Any], width: int, text_lines: int = 2) -> list[str]:
        """The lines one entry takes in a cell (one in the month grid: ``text_lines``, the
        most lines of the post's text, is the week view's)."""
        return [self.entry_label(entry, width)]

    def fit_entries(self, entries: list[dict[str, Any]], width: int, room: int,
                    text_lines: int = 2) -> list[list[str]]:
        """The lines of the first entries that fit in ``room`` lines of a cell, keeping a
        line for the count of the rest when not all of them fit."""
        blocks: list[list[str]] = []
        used = 0
        # Only the entries that fit are laid out: a busy day may hold a hundred.
        for i, e in enumerate(entries):
            block = self.entry_lines(e, width, text_lines)
            rest = len(entries) - i - 1
            if used + len(block) > room - (1 if rest else 0):
                break
            blocks.append(block)
            used += len(block)
        return blocks

    def entry_label(self, entry: dict[str, Any], width: int) -> str:
        """One entry in a cell: time, platform badge, then as much text as fits."""
        label = f"{entry['time']} {badge(entry['platform'])}"
        if len(label) > width:  # a cut badge names nothing: the time alone
            return str(entry["time"])[:width]
        if entry["kind"] == "slot":
            label += " free" if width >= len(label) + 5 else ""
        elif width > len(label) + 2:
            label += " " + " ".join(entry["text"].split())
        return label[:width]

    def render(self) -> GridLines:
        width = self.size.width
        col_w = max(1, width // 7)
        row_h = self._row_height()
        self._styles = {name: self._style(name) for name in (
            "header", "day", "other", "today", "selected", "draft", "scheduled", "published",
            "failed", "unconfirmed", "free", "more")}
        self._lines = {}
        header = "".join(name[: col_w - 1].ljust(col_w) for name in WEEKDAY_NAMES)
        lines: list[Line] = [[(header.ljust(width), self._styles["header"])]]
        days = self.data.days if self.data else {}
        first = self.first_day()
        for row in range(self.weeks()):
            cells: list[list[tuple[str, Style]]] = []
            for col in range(7):
                day = first + timedelta(days=row * 7 + col)
                entries = upcoming(days.get(day, []), self.now)
                cells.append(self._cell(day, entries, col_w - 1, row_h))
            for line in range(row_h):
                runs: Line = []
                for cell in cells:
                    text, style = cell[line]
                    runs.append((set_cell_size(strip_control_codes(text), col_w - 1), style))
                    runs.append((" ", None))
                lines.append(runs)
        return GridLines(lines, self.app.ansi_theme)

    def _cell(self, day: date, entries: list[dict[str, Any]], width: int,
              height: int) -> list[tuple[str, Style]]:
        styles = self._styles
        kind = "day" if day.month == self.selected.month or self.data is None or \
            self.data.view == "week" else "other"
        style = styles[kind]
        if day == self.today:
            style += styles["today"]
        if day == self.selected:
            style += styles["selected"]
        posts = sum(1 for e in entries if e["kind"] == "post")
        count = f"{posts}" if posts else ""
        head = f"{day.day:>2}{'*' if day == self.today else ' '}"
        lines = [(head + count.rjust(max(0, width - len(head))), style)]
        shown: list[dict[str, Any] | None] = [None]
        blocks = self.fit_entries(entries, width, height - 1)
        for e, block in zip(entries, blocks, strict=False):
            entry_style = styles[status_class(e["status"])]
            lines.extend((line, entry_style) for line in block)
            shown.extend([e] * len(block))
        if len(blocks) < len(entries):
            more = f"+{len(entries) - len(blocks)} more"  # on a narrow cell the count alone
            lines.append((more if len(more) <= width else more.split()[0], styles["more"]))
        self._lines[day] = shown
        lines += [("", Style())] * (height - len(lines))
        return lines[:height]

    def watch_data(self) -> None:
        self.refresh()

    def watch_selected(self) -> None:
        self.refresh()
