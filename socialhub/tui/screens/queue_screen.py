"""The queue: deliveries with status, attempts, next attempt and last error; retry or cancel."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Header, Static

from socialhub.services.publishing.queue import cancel_delivery, retry_delivery
from socialhub.services.publishing.queue_rows import queue_rows
from socialhub.services.when import load_zone
from socialhub.tui.background import run_service
from socialhub.tui.screens.confirm_modal import ConfirmModal
from socialhub.tui.widgets.fit_columns import Column, fill_table, refit, table_room
from socialhub.tui.widgets.footer import compact_footer

if TYPE_CHECKING:
    from socialhub.tui.host import HubApp

COLOURS = {"published": "green3", "dead": "red1", "unconfirmed": "orange1",
           "retry_scheduled": "orange1", "canceled": "grey50", "publishing": "magenta",
           "claimed": "magenta"}


#: On a narrow screen the last error is cut first, then tries, the error and the post
#: leave, in that order (`socialhub queue show ID` has them); the id, account, status
#: and next attempt stay whole (a very long handle folds onto a second line).
COLUMNS = (Column("id"), Column("post", drop=1), Column("account"),
           Column("status", least=max(map(len, COLOURS))), Column("tries", drop=3),
           Column("next attempt", least=16), Column("last error", shrink=12, widest=60, drop=2))


class QueueScreen(Screen[None]):
    """Deliveries soonest first; `a` shows finished ones too."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "retry", "Retry"),
        Binding("x", "cancel", "Cancel"),
        Binding("o", "open", "Open", tooltip="Open the published post's URL"),
        Binding("a", "toggle_all", "All", tooltip="Show every delivery / only open ones"),
        Binding("g", "reload", "Refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.show_all = False
        self.rows: list[dict[str, Any]] = []
        self.ticker: Timer | None = None
        self.reading = False  # a read is under way: the timer skips a beat rather than pile up
        self.fitted_to = 0  # the width the columns were fitted to

    @property
    def hub_app(self) -> HubApp:
        """The running app, typed."""
        return cast("HubApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="queue-title")
        # Columns are added with the rows, fitted to the table's width (fit_columns).
        yield DataTable(id="queue-table", cursor_type="row", zebra_stripes=True)
        yield compact_footer()

    def on_screen_resume(self) -> None:
        self.action_reload()
        every = self.hub_app.refresh_every
        if every and self.ticker is None:
            # While the queue is visible it follows the daemon: a re-read through the
            # service every few seconds (stopped when another screen is shown).
            self.ticker = self.set_interval(every, self._tick)

    def on_screen_suspend(self) -> None:
        if self.ticker is not None:
            self.ticker.stop()
            self.ticker = None

    def _tick(self) -> None:
        if not self.reading and not self.app.screen.is_modal:
            self.action_reload()

    def action_reload(self) -> None:
        """Re-read the queue."""
        self.reading = True

        def failed() -> None:
            self.reading = False

        run_service(self, queue_rows, show_all=self.show_all, then=self._show, failed=failed)

    def _when(self, value: datetime | None) -> str:
        if value is None:
            return "-"
        return value.astimezone(load_zone(self.hub_app.zone)).strftime("%Y-%m-%d %H:%M")

    def _show(self, rows: list[dict[str, Any]]) -> None:
        self.reading = False
        what = "all deliveries" if self.show_all else "open deliveries"
        self.query_one("#queue-title", Static).update(
            f"Queue: {len(rows)} {what} · times in {self.hub_app.zone}")
        table = self.query_one(DataTable)
        if self.screen.focused is not table:
            table.focus()  # the same widget has focus however fast the rows arrived
        if rows == self.rows and table.row_count == len(rows) and \
                self.fitted_to == table_room(table):
            return  # nothing changed: no repaint, the cursor stays put
        # Keep the cursor on the same delivery across a refresh.
        keep = self.rows[table.cursor_row]["id"] if self.rows and \
            0 <= table.cursor_row < len(self.rows) else None
        self.rows = rows
        self._fill(table)
        ids = [r["id"] for r in rows]
        if keep in ids:
            table.move_cursor(row=ids.index(keep), animate=False)

    def _fill(self, table: DataTable[Any]) -> None:
        """The rows in columns fitted to the table's width."""
        self.fitted_to = fill_table(table, COLUMNS, [
            [str(r["id"]), r["post"], r["account"],
             Text(r["status"], style=COLOURS.get(r["status"], "dodger_blue1")),
             str(r["attempts"]), self._when(r["next_attempt_at"]),
             r["waiting_for"] or r["last_error"] or ""] for r in self.rows],
            keys=[str(r["id"]) for r in self.rows])

    def on_resize(self) -> None:
        self.call_after_refresh(self._refit)  # once the table has its new size

    def _refit(self) -> None:
        if self.rows:
            refit(self.query_one(DataTable), self.fitted_to, self._fill)

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
