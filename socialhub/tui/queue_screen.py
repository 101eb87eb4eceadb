"""The queue: deliveries with status, attempts, next attempt and last error; retry or cancel."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from socialhub.core.when import load_zone
from socialhub.services.queue import cancel_delivery, retry_delivery
from socialhub.services.tui_views import queue_rows
from socialhub.tui.background import run_service
from socialhub.tui.confirm_modal import ConfirmModal

if TYPE_CHECKING:
    from socialhub.tui.app import SocialhubApp

COLOURS = {"published": "green3", "dead": "red1", "unconfirmed": "orange1",
           "retry_scheduled": "orange1", "canceled": "grey50", "publishing": "magenta",
           "claimed": "magenta"}


class QueueScreen(Screen[None]):
    """Deliveries soonest first; `a` shows finished ones too."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "retry", "Retry"),
        Binding("x", "cancel", "Cancel"),
        Binding("o", "open", "Open URL"),
        Binding("a", "toggle_all", "All/open"),
        Binding("g", "reload", "Refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.show_all = False
        self.rows: list[dict[str, Any]] = []

    @property
    def hub_app(self) -> SocialhubApp:
        """The running app, typed."""
        return cast("SocialhubApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="queue-title")
        table: DataTable[Any] = DataTable(id="queue-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("id", "post", "account", "status", "tries", "next attempt",
                          "last error")
        yield table
        yield Footer()

    def on_screen_resume(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        """Re-read the queue."""
        run_service(self, queue_rows, show_all=self.show_all, then=self._show)

    def _when(self, value: datetime | None) -> str:
        if value is None:
            return "-"
        return value.astimezone(load_zone(self.hub_app.zone)).strftime("%Y-%m-%d %H:%M")

    def _show(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        what = "all deliveries" if self.show_all else "open deliveries"
        self.query_one("#queue-title", Static).update(
            f"Queue: {len(rows)} {what} · times in {self.hub_app.zone}")
        table = self.query_one(DataTable)
        table.clear()
        table.focus()  # the same widget has focus however fast the rows arrived
        for r in rows:
            error = r["waiting_for"] or (r["last_error"] or "")
            table.add_row(str(r["id"]), r["post"], r["account"],
                          Text(r["status"], style=COLOURS.get(r["status"], "dodger_blue1")),
                          str(r["attempts"]), self._when(r["next_attempt_at"]),
                          " ".join(error.split())[:60], key=str(r["id"]))

    def _current(self) -> dict[str, Any] | None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            self.notify("no delivery selected", severity="warning")
            return None
        return self.rows[table.cursor_row]

    def action_toggle_all(self) -> None:
        """Show every delivery, or only the open ones."""
        self.show_all = not self.show_all
        self.action_reload()

    def action_retry(self) -> None:
        """Put the selected delivery back in line now."""
        row = self._current()
        if row is not None:
            run_service(self, retry_delivery, row["id"], now=self.hub_app.now(),
                        actor="tui", then=self._done("retrying"))

    def action_cancel(self) -> None:
        """Ask, then cancel the selected delivery."""
        row = self._current()
        if row is None:
            return

        def answered(yes: bool | None) -> None:
            if yes and row is not None:
                run_service(self, cancel_delivery, row["id"], then=self._done("canceled"))

        self.app.push_screen(ConfirmModal(f"Cancel delivery {row['id']} of {row['post']} "
                                          f"to {row['account']}?"), answered)

    def _done(self, verb: str) -> Any:
        def then(row: dict[str, Any]) -> None:
            self.notify(f"delivery {row['id']}: {verb} ({row['status']})")
            self.action_reload()
        return then

    def action_open(self) -> None:
        """Open the published post in a browser."""
        row = self._current()
        if row is None:
            return
        if not row["remote_url"]:
            self.notify("this delivery has no remote URL yet", severity="warning")
            return
        self.app.open_url(row["remote_url"])
