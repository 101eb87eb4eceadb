"""Asking whom to assign an inbox item to (a login; empty unassigns)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class AssignModal(ModalScreen[str | None]):
    """Dismisses with the login typed ("" unassigns), or None on escape."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: str | None) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="assign-box"):
            yield Static("Assign to (a login; empty unassigns, enter confirms, esc cancels)")
            yield Input(self.current or "", id="assign-login")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        """Close without a change."""
        self.dismiss(None)
