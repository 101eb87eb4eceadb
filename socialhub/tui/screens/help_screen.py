"""The help screen (`?`): every key of the screen underneath, and the global ones."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from socialhub.services.authoring.board import badge_key

EXTRA = [
    ("arrows / h j k l", "move the selected day (calendar)"),
    ("shift+arrows", "move the highlighted post a day / a week, after a confirmation"),
    ("- + , .", "move it an hour / a quarter hour earlier or later (same confirmation, u undoes)"),
    ("mouse drag", "drag a post to another day, or onto a free slot for its time too"),
    ("tab", "go to the agenda to pick another post of the day"),
    ("enter", "edit the highlighted agenda post"),
]


class HelpScreen(ModalScreen[None]):
    """A table of key bindings; any of escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark", "close", "Close")]

    def __init__(self, under: Screen[object]) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column(style="bold")
        table.add_column()
        seen: set[str] = set()
        bindings = [*self.under.BINDINGS, *self.app.BINDINGS]
        for b in bindings:
            if not isinstance(b, Binding) or b.key in seen:
                continue
            seen.add(b.key)
            keys = " ".join(self.app.get_key_display(Binding(k.strip(), b.action))
                            for k in b.key.split(","))
            table.add_row(keys, b.tooltip or b.description)
        if type(self.under).__name__ == "CalendarScreen":
            for key, text in EXTRA:
                table.add_row(key, text)
        with VerticalScroll(id="help-box"):
            yield Static(f"Keys: {type(self.under).__name__.removesuffix('Screen')}",
                         id="help-title")
            yield Static(table)
            yield Static(f"Calendar badges: {badge_key()} (the line under the calendar's "
                         "title names the accounts on screen)", id="help-badges")

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)
