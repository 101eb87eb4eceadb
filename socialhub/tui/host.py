"""What the screens need from the running app: the hub, the zone, the clock, error reporting.

``tui/app.py`` builds on it (screens, global keys); the screens and widgets
import this module instead of ``app.py``, so the two never import each other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from textual.app import App

from socialhub.errors import SocialhubError
from socialhub.tui.startup.first_month import FirstMonth, FirstMonthHelper, read_first_month

if TYPE_CHECKING:
    from socialhub.config import LoadedConfig
    from socialhub.services.hub import Hub

# The database layer (SQLAlchemy, the models, the settings' pydantic schema) is
# imported only once the first month is on screen: see startup/first_month.py.

T = TypeVar("T")


class HubApp(App[None]):
    """The app as the screens see it: the services' entry point and the display zone."""

    def __init__(self, config: LoadedConfig | None = None, *, config_path: str | None = None,
                 helper: FirstMonthHelper | None = None, blink: bool = True,
                 refresh_every: float | None = 3.0) -> None:
        """Open on ``config`` (read in-process), or on the file at ``config_path``.

        With no ``config`` the month the calendar opens on is read by a helper
        process while Textual starts (``helper``, when the caller started it
        even earlier), which makes a cold launch much quicker.
        """
        super().__init__()
        #: Seconds between the queue screen's re-reads while it is shown (None: never;
        #: snapshots turn it off so a re-read cannot land mid-screenshot).
        self.refresh_every = refresh_every
        #: False in tests and snapshots: a blinking cursor makes screenshots differ.
        self.blink = blink
        self._config = config
        self._config_path = config_path
        self._hub: Hub | None = None
        self._hub_lock = threading.Lock()
        self._zone: str | None = None
        #: Why the TUI closed itself (it cannot work: bad config, unusable database).
        self.fatal: SocialhubError | None = None
        self._helper = helper or (FirstMonthHelper(config_path) if config is None else None)
        #: The month the calendar opens on, with the display zone and today.
        self.first_month: Future[FirstMonth] = Future()
        self._first_reader = threading.Thread(target=self._read_first_month, daemon=True,
                                              name="socialhub-first-month")
        self._first_reader.start()

    def _read_first_month(self) -> None:
        if not self.first_month.set_running_or_notify_cancel():
            return
        try:
            found = self._helper.result() if self._helper is not None else None
            if found is None:  # no helper, or it could not run: read it here
                found = read_first_month(self.hub)
        except BaseException as exc:  # shown by the screen as a notification
            self.first_month.set_exception(exc)
        else:
            self._zone = found.zone
            self.first_month.set_result(found)

    @property
    def hub(self) -> Hub:
        """The services' entry point, built (and the database layer imported) on first use."""
        with self._hub_lock:
            if self._hub is None:
                from socialhub.services.hub import Hub
                from socialhub.services.settings import load_config

                self._hub = Hub(self._config or load_config(self._config_path))
            return self._hub

    def open_database(self) -> None:
        """Load and check the whole config and open the database (its schema checked).

        Raises:
            SocialhubError: the config is invalid or the database cannot be used.
        """
        self.hub.engine  # noqa: B018 - opening it is the point

    @property
    def zone(self) -> str:
        """The zone times are shown and read in (config ``timezone``, else the machine's)."""
        if self._zone is None:
            from socialhub.services.clock import display_zone

            self._zone = display_zone(self.hub.config.settings)
        return self._zone

    def now(self) -> datetime:
        """The current instant (honours SOCIALHUB_FAKE_NOW)."""
        from socialhub.services.clock import now_utc

        return now_utc()

    def today(self) -> date:
        """Today in the display zone."""
        from socialhub.services.authoring.calendar_model import local_today

        return local_today(self.now(), self.zone)

    def call_service(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run the use case ``fn(ctx, …)`` in one ``tui`` context. Call it from a thread worker."""
        with self.hub.context("tui") as ctx:
            return fn(ctx, *args, **kwargs)

    def fail(self, exc: SocialhubError) -> None:
        """Close the TUI because it cannot work; ``socialhub tui`` then prints ``exc``."""
        self.fatal = exc
        self.exit(return_code=int(exc.exit_code))

    def report(self, exc: BaseException) -> None:
        """Turn an error into a notification instead of a crash."""
        # A SocialhubError's text already ends with its hint.
        message = str(exc) if isinstance(exc, SocialhubError) else f"{type(exc).__name__}: {exc}"
        self.notify(message, severity="error", timeout=8)

    def on_unmount(self) -> None:
        if self._helper is not None:
            self._helper.cancel()
        self._first_reader.join(timeout=10)
        if self._hub is not None:
            self._hub.dispose()
