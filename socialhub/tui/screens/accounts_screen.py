"""Accounts with token status and expiry (re-auth needs highlighted), and voice profiles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Header, Label

from socialhub.services.accounts.overview import account_rows
from socialhub.services.ai.voice_rows import voice_rows
from socialhub.services.context import Ctx
from socialhub.services.when import load_zone
from socialhub.tui.background import run_service
from socialhub.tui.widgets.fit_columns import Column, fill_table, table_room
from socialhub.tui.widgets.footer import compact_footer

if TYPE_CHECKING:
    from socialhub.tui.host import HubApp


#: On a narrow screen the reason (and a voice's description) is cut first, then the
#: token status and the reason leave; the account, its status and the expiry stay whole
#: (a very long handle folds onto a second line).
ACCOUNT_COLUMNS = (Column("account"), Column("status", least=len("needs_reauth")),
                   Column("token", drop=2), Column("expires", least=16),
                   Column("reason", shrink=12, widest=60, drop=1))
VOICE_COLUMNS = (Column("voice"), Column("default"),
                 Column("description", shrink=12, widest=60))


def _accounts_and_voices(ctx: Ctx) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return account_rows(ctx), voice_rows(ctx)


class AccountsScreen(Screen[None]):
    """Who we publish as, and whether each account can still publish."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("g", "reload", "Refresh")]

    def __init__(self) -> None:
        super().__init__()
        self.shown: tuple[list[dict[str, Any]], list[dict[str, Any]]] | None = None
        self.fitted_to = 0  # the width the columns were fitted to

    @property
    def hub_app(self) -> HubApp:
        """The running app, typed."""
        return cast("HubApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("Accounts", classes="section")
        # Columns are added with the rows, fitted to the tables' width (fit_columns).
        yield DataTable(id="accounts-table", cursor_type="row")
        yield Label("Voice profiles", classes="section")
        yield DataTable(id="voices-table", cursor_type="row")
        yield compact_footer()

    def on_screen_resume(self) -> None:
        self.action_reload()

    def on_resize(self) -> None:
        self.call_after_refresh(self._refit)  # once the tables have their new size

    def _refit(self) -> None:
        if self.shown is not None and \
                self.fitted_to != table_room(self.query_one("#accounts-table", DataTable)):
            self._show(self.shown)

    def action_reload(self) -> None:
        """Re-read accounts and voices."""
        run_service(self, _accounts_and_voices, then=self._show)

    def _show(self, data: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
        self.shown = data
        accounts, voices = data
        zone = load_zone(self.hub_app.zone)
        table = self.query_one("#accounts-table", DataTable)
        if self.screen.focused is not table:
            table.focus()  # the same widget has focus however fast the rows arrived
        rows: list[list[str | Text]] = []
        for a in accounts:
            bad = a["status"] != "active"
            style = "bold red1" if a["status"] == "needs_reauth" else "grey50" if bad else ""
            expires = a["token_expires_at"]
            rows.append([
                Text(a["ref"], style=style), Text(a["status"], style=style),
                a["token_status"] or "-",
                expires.astimezone(zone).strftime("%Y-%m-%d %H:%M") if expires else "-",
                a["status_reason"] or ""])
        self.fitted_to = fill_table(table, ACCOUNT_COLUMNS, rows)
        fill_table(self.query_one("#voices-table", DataTable), VOICE_COLUMNS,
                   [[v["name"], "yes" if v["default"] else "", v["description"]]
                    for v in voices])
