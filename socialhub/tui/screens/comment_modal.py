"""Ask for a comment (a request for changes): enter sends it, escape cancels."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class CommentModal(ModalScreen[str | None]):
    """Ask ``question``; dismisses with the comment, or None when canceled or empty."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="comment-box"):
            yield Static(self.question, id="comment-question", markup=False)
            yield Input(placeholder="what should change? (enter sends, escape cancels)",
                        id="comment-input")

    def on_mount(self) -> None:
        self.query_one("#comment-input", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        """Close without a comment."""
        self.dismiss(None)
