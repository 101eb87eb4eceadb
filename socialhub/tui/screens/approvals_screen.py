"""The approvals queue: posts waiting for a review; approve, request changes, or open one."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from socialhub.services.authoring.review import approvals_queue, approve_post, request_changes
from socialhub.services.when import load_zone
from socialhub.tui.background import run_service
from socialhub.tui.screens.comment_modal import CommentModal
from socialhub.tui.widgets.fit_columns import Column, fill_table, refit
from socialhub.tui.widgets.footer import compact_footer

if TYPE_CHECKING:
    from socialhub.tui.host import HubApp

#: The post's name, who wrote it, its targets and the time stay whole (a long list of
#: targets folds onto more lines); the text is cut first, then leaves on a narrow terminal.
COLUMNS = (Column("post"), Column("by"), Column("targets"), Column("waiting since", least=16),
           Column("text", shrink=10, widest=60, drop=1))


class ApprovalsScreen(Screen[None]):
    """Posts pending approval in the current organization, oldest first."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "approve", "Approve"),
        Binding("x", "request_changes", "Request changes"),
        Binding("o", "open", "Open", tooltip="Open the post in the editor (or enter)"),
        Binding("g", "reload", "Refresh", show=False),
        Binding("escape", "back", "Back", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] = []
        self.fitted_to = -1  # the table width the columns were last fitted to

    @property
    def hub_app(self) -> HubApp:
        """The running app, typed."""
        return cast("HubApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="approvals-title")
        yield DataTable(id="approvals-table", cursor_type="row", zebra_stripes=True)
        yield compact_footer()

    def on_screen_resume(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        """Re-read the posts waiting for a review."""
        run_service(self, approvals_queue, then=self._show)

    def _when(self, value: datetime | None) -> str:
        if value is None:
            return "-"
        return value.astimezone(load_zone(self.hub_app.zone)).strftime("%Y-%m-%d %H:%M")

    def _show(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.query_one("#approvals-title", Static).update(
            f"Approvals: {len(rows)} post{'' if len(rows) == 1 else 's'} waiting for a review"
            " · y approve · x request changes · enter open")
        table = self.query_one(DataTable)
        self._fill(table)
        table.focus()

    def _fill(self, table: DataTable[Any]) -> None:
        """The rows in columns fitted to the table's width."""
        self.fitted_to = fill_table(table, COLUMNS, [
            [r["name"], r["created_by"] or "-", ", ".join(r["targets"]),
             self._when(r["submitted_at"]), " ".join(r["body"].split())[:80]]
            for r in self.rows], keys=[r["name"] for r in self.rows])

    def on_resize(self) -> None:
        self.call_after_refresh(self._refit)  # once the table has its new size

    def _refit(self) -> None:
        if self.rows:
            refit(self.query_one(DataTable), self.fitted_to, self._fill)

    def _current(self) -> dict[str, Any] | None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            self.notify("no post waiting for a review", severity="warning")
            return None
        return self.rows[table.cursor_row]

    def _done(self, verb: str) -> Any:
        def then(data: dict[str, Any]) -> None:
            self.notify(f"{verb} {data['name']} ({data['status']})")
            self.action_reload()
        return then

    def action_approve(self) -> None:
        """Approve the selected post as it is."""
        row = self._current()
        if row is not None:
            run_service(self, approve_post, row["name"], then=self._done("approved"))

    def action_request_changes(self) -> None:
        """Ask for a comment, then send the selected post back to its author."""
        row = self._current()
        if row is None:
            return
        name = row["name"]

        def answered(comment: str | None) -> None:
            if comment:
                run_service(self, request_changes, name, comment=comment,
                            then=self._done("changes requested on"))

        self.app.push_screen(CommentModal(f"Request changes on {name}:"), answered)

    def action_open(self) -> None:
        """Open the selected post in the editor."""
        from socialhub.tui.screens.editor_screen import EditorScreen

        row = self._current()
        if row is not None:
            self.app.push_screen(EditorScreen(row["name"]))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row opens it (the table takes the key before the bindings)."""
        event.stop()
        self.action_open()

    def action_back(self) -> None:
        """Back to the calendar."""
        self.app.switch_screen("calendar")
