"""The TUI application: wiring only — the hub, the screens, the global keys."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from datetime import date, datetime
from typing import Any, ClassVar, TypeVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from socialhub.config import LoadedConfig, load_config
from socialhub.errors import SocialhubError
from socialhub.services.clock import display_zone, now_utc
from socialhub.services.hub import Hub
from socialhub.services.tui_views import CalendarData, calendar_data, local_today

T = TypeVar("T")


def _queue_screen() -> Screen[None]:
    from socialhub.tui.queue_screen import QueueScreen

    return QueueScreen()


def _accounts_screen() -> Screen[None]:
    from socialhub.tui.accounts_screen import AccountsScreen

    return AccountsScreen()


class SocialhubApp(App[None]):
    """``socialhub tui``: plan, write and watch posts through the shared services."""

    CSS_PATH = "socialhub.tcss"
    # ctrl+p is "publish now" in the editor; Textual's default palette key would shadow it.
    COMMAND_PALETTE_BINDING = "ctrl+o"
    TITLE = "socialhub"
    # The queue and accounts screens (and their services) are imported and built
    # the first time they are shown: the first paint is the calendar's.
    SCREENS: ClassVar[dict[str, Callable[[], Screen[Any]]]] = {
        "queue": _queue_screen, "accounts": _accounts_screen}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("c", "show('calendar')", "Calendar"),
        Binding("Q", "show('queue')", "Queue"),
        Binding("A", "show('accounts')", "Accounts"),
        Binding("question_mark", "help", "Help"),
    ]

    def __init__(self, config: LoadedConfig | None = None, *, blink: bool = True,
                 refresh_every: float | None = 3.0) -> None:
        super().__init__()
        #: Seconds between the queue screen's re-reads while it is shown (None: never;
        #: snapshots turn it off so a re-read cannot land mid-screenshot).
        self.refresh_every = refresh_every
        self.hub = Hub(config or load_config())
        self.zone = display_zone(self.hub.config.settings)
        #: False in tests and snapshots: a blinking cursor makes screenshots differ.
        self.blink = blink
        # The first month is read while Textual starts (parses CSS, composes,
        # paints the empty frame): on a cold start that overlap saves a few hundred ms.
        self.first_month: Future[CalendarData] = Future()
        self._first_reader = threading.Thread(target=self._read_first_month, daemon=True,
                                              name="socialhub-first-month")
        self._first_reader.start()

    def _read_first_month(self) -> None:
        if not self.first_month.set_running_or_notify_cancel():
            return
        try:
            data = self.call_service(calendar_data, "month", self.today(), self.zone)
        except BaseException as exc:  # shown by the screen as a notification
            self.first_month.set_exception(exc)
        else:
            self.first_month.set_result(data)

    def now(self) -> datetime:
        """The current instant (honours SOCIALHUB_FAKE_NOW)."""
        return now_utc()

    def today(self) -> date:
        """Today in the display zone."""
        return local_today(self.now(), self.zone)

    def call_service(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(session, org_id, …)`` in one transaction. Call it from a thread worker."""
        with self.hub.transaction() as session:
            return fn(session, self.hub.org_id(session), *args, **kwargs)

    def report(self, exc: BaseException) -> None:
        """Turn an error into a notification instead of a crash."""
        message = str(exc) if isinstance(exc, SocialhubError) else f"{type(exc).__name__}: {exc}"
        hint = getattr(exc, "hint", None)
        self.notify(message + (f" ({hint})" if hint else ""), severity="error", timeout=8)

    def on_mount(self) -> None:
        from socialhub.tui.calendar_screen import CalendarScreen

        self.install_screen(CalendarScreen(), "calendar")
        self.push_screen("calendar")

    def action_show(self, name: str) -> None:
        """Switch to the calendar, queue or accounts screen."""
        if self.screen is not self.get_screen(name) and not self.screen.is_modal:
            self.switch_screen(name)

    def action_help(self) -> None:
        """Show every key binding of the current screen."""
        from socialhub.tui.help_screen import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def on_unmount(self) -> None:
        self._first_reader.join(timeout=10)
        self.hub.dispose()


def run() -> None:
    """Run the TUI in the current terminal until the user quits."""
    SocialhubApp().run()
