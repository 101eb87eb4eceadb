"""Writing a reply to an inbox item, with the platform's live counter (the editor's tab)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea

from socialhub.services.terminal_text import printable
from socialhub.tui.widgets.target_tab import TargetTab


class ReplyModal(ModalScreen[str | None]):
    """The reply's text for ``ref`` on ``platform``; dismisses with it, or None to cancel."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "Send"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, ref: str, platform: str, quote: str, *, blink: bool = True) -> None:
        super().__init__()
        self.ref, self.platform, self.quote, self.blink = ref, platform, quote, blink

    def compose(self) -> ComposeResult:
        with Vertical(id="reply-box"):
            yield Static(printable(" ".join(self.quote.split())[:160]), id="reply-quote",
                         markup=False)
            yield TargetTab(self.ref, self.platform, blink=self.blink, id="reply-tab",
                            hint="your reply")
            with Horizontal(id="reply-buttons"):
                yield Button("Send (ctrl+s)", id="send", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "send":
            self.action_send()
        else:
            self.action_cancel()

    def action_send(self) -> None:
        """Send the text (the service refuses, with the count, what is too long)."""
        text = self.query_one(TargetTab).own_text.strip()
        if not text:
            self.notify("the reply is empty", severity="warning")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        """Close without replying."""
        self.dismiss(None)
