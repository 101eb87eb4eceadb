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
from socialhub.tui.widgets.footer import compact_footer
from socialhub.tui.widgets.plain import plain_cells

if TYPE_CHECKING:
    from socialhub.tui.host import HubApp


def _accounts_and_voices(ctx: Ctx) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return account_rows(ctx), voice_rows(ctx)


class AccountsScreen(Screen[None]):
    """Who we publish as, and whether each account can still publish."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("g", "reload", "Refresh")]

    @property
    def hub_app(self) -> HubApp:
        """The running app, typed."""
        return cast("HubApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("Accounts", classes="section")
        accounts: DataTable[Any] = DataTable(id="accounts-table", cursor_type="row")
        # Fixed widths: auto-width columns are measured on the table's idle, and a
        # screenshot (or a person) could catch the rows drawn at the headers' widths.
        for label, width in (("account", 30), ("status", 13), ("token", 10), ("expires", 16),
                             ("reason", 34)):
            accounts.add_column(label, width=width)
        yield accounts
        yield Label("Voice profiles", classes="section")
        voices: DataTable[Any] = DataTable(id="voices-table", cursor_type="row")
        for label, width in (("voice", 20), ("default", 7), ("description", 44)):
            voices.add_column(label, width=width)
        yield voices
        yield compact_footer()

    def on_screen_resume(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        """Re-read accounts and voices."""
        run_service(self, _accounts_and_voices, then=self._show)

    def _show(self, data: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
        accounts, voices = data
        zone = load_zone(self.hub_app.zone)
        table = self.query_one("#accounts-table", DataTable)
        if self.screen.focused is not table:
            table.focus()  # the same widget has focus however fast the rows arrived
        table.clear()
        for a in accounts:
            bad = a["status"] != "active"
            style = "bold red1" if a["status"] == "needs_reauth" else "grey50" if bad else ""
            expires = a["token_expires_at"]
            table.add_row(*plain_cells(
                Text(a["ref"], style=style), Text(a["status"], style=style),
                a["token_status"] or "-",
                expires.astimezone(zone).strftime("%Y-%m-%d %H:%M") if expires else "-",
                a["status_reason"] or ""))
        vtable = self.query_one("#voices-table", DataTable)
        vtable.clear()
        for v in voices:
            vtable.add_row(*plain_cells(v["name"], "yes" if v["default"] else "",
                                        v["description"][:60]))
