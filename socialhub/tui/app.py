"""The TUI application: wiring only — the screens and the global keys (the rest: host.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.screen import Screen

from socialhub.tui.host import HubApp


def _queue_screen() -> Screen[None]:
    from socialhub.tui.screens.queue_screen import QueueScreen

    return QueueScreen()


def _approvals_screen() -> Screen[None]:
    from socialhub.tui.screens.approvals_screen import ApprovalsScreen

    return ApprovalsScreen()


def _analytics_screen() -> Screen[None]:
    from socialhub.tui.screens.analytics_screen import AnalyticsScreen

    return AnalyticsScreen()


def _accounts_screen() -> Screen[None]:
    from socialhub.tui.screens.accounts_screen import AccountsScreen

    return AccountsScreen()


def _inbox_screen() -> Screen[None]:
    from socialhub.tui.screens.inbox_screen import InboxScreen

    return InboxScreen()


class SocialhubApp(HubApp):
    """``socialhub tui``: plan, write and watch posts through the shared services."""

    CSS_PATH = "socialhub.tcss"
    # ctrl+p is "publish now" in the editor; Textual's default palette key would shadow it.
    COMMAND_PALETTE_BINDING = "ctrl+o"
    TITLE = "socialhub"
    # The queue and accounts screens (and their services) are imported and built
    # the first time they are shown: the first paint is the calendar's.
    SCREENS: ClassVar[dict[str, Callable[[], Screen[Any]]]] = {
        "queue": _queue_screen, "accounts": _accounts_screen,
        "approvals": _approvals_screen, "analytics": _analytics_screen, "inbox": _inbox_screen}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("c", "show('calendar')", "Calendar"),
        Binding("Q", "show('queue')", "Queue"),
        Binding("A", "show('accounts')", "Accounts"),
        # Not in the footers (they are full at 80 columns); the help (?) lists it.
        Binding("S", "show('analytics')", "Analytics (stats)", show=False),
        Binding("I", "show('inbox')", "Inbox", show=False),
        Binding("question_mark", "help", "Help"),
    ]

    def on_mount(self) -> None:
        from socialhub.tui.screens.calendar_screen import CalendarScreen

        self.install_screen(CalendarScreen(), "calendar")
        self.push_screen("calendar")

    def action_show(self, name: str) -> None:
        """Switch to the calendar, queue, accounts, approvals, analytics or inbox screen."""
        if self.screen is not self.get_screen(name) and not self.screen.is_modal:
            self.switch_screen(name)

    def action_help(self) -> None:
        """Show every key binding of the current screen."""
        from socialhub.tui.screens.help_screen import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))
