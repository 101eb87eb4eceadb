"""Whether the database answers, told in a few log lines instead of one traceback per poll.

The daemon's jobs all touch the database; when it goes away every job of
every poll fails the same way. :class:`DatabaseWatch` turns those failures
into one line when the database becomes unreachable (with the cause, any
password removed), a short reminder 10 s, 30 s and 60 s into the outage and
every 5 minutes after, and one line when it answers again. Its state feeds
the health endpoint and ``daemon status``.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from datetime import datetime

from socialhub.errors import DatabaseError
from socialhub.security.redact import redact
from socialhub.services.clock import now_utc

#: Seconds into an outage at which a reminder is logged; then every REPEAT_S.
REMINDERS_S = (10.0, 30.0, 60.0)
REPEAT_S = 300.0
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]*@", re.IGNORECASE)


def is_database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) means the database cannot be reached or used."""
    from sqlalchemy import exc as sa_exc

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (DatabaseError, sa_exc.OperationalError, sa_exc.InterfaceError,
                                sa_exc.DisconnectionError)):
            return True
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        current = current.__cause__ or current.__context__
    return False


def describe_cause(exc: BaseException) -> str:
    """The first line of the error, with URL passwords and anything token-like masked."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return redact(_URL_PASSWORD.sub(r"\1***@", text))


def _reminder_at(index: int) -> float:
    if index < len(REMINDERS_S):
        return REMINDERS_S[index]
    return REMINDERS_S[-1] + REPEAT_S * (index - len(REMINDERS_S) + 1)


class DatabaseWatch:
    """Tracks one process's view of the database: reachable, or unreachable since when."""

    def __init__(self, log: logging.Logger, *,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.log = log
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._down_at: float | None = None
        self._since: datetime | None = None
        self._cause = ""
        self._reminders = 0

    def failed(self, exc: BaseException) -> bool:
        """Note a failure; True (and logged as the schedule says) if it is a database outage.

        A False return means ``exc`` is something else, for the caller to log.
        """
        if not is_database_unavailable(exc):
            return False
        with self._lock:
            now = self._monotonic()
            if self._down_at is None:
                self._down_at, self._since = now, now_utc()
                self._cause, self._reminders = describe_cause(exc), 0
                self.log.error("database unreachable: %s", self._cause,
                               extra={"event": "database_unreachable"})
                return True
            elapsed = now - self._down_at
            if elapsed >= _reminder_at(self._reminders):
                self._reminders += 1
                self._cause = describe_cause(exc)
                self.log.warning("database still unreachable after %d s: %s", elapsed,
                                 self._cause, extra={"event": "database_unreachable"})
        return True

    def ok(self) -> None:
        """Note a success; logs one line if the database had been unreachable."""
        with self._lock:
            if self._down_at is None:
                return
            elapsed = self._monotonic() - self._down_at
            self._down_at, self._since, self._cause = None, None, ""
        self.log.info("database reachable again after %d s", elapsed,
                      extra={"event": "database_reachable"})

    @property
    def reachable(self) -> bool:
        """False during an outage."""
        return self._down_at is None

    def state(self) -> str:
        """``ok``, or ``unreachable since <ISO-8601 UTC>: <cause>``."""
        with self._lock:
            if self._since is None:
                return "ok"
            return f"unreachable since {self._since.isoformat(timespec='seconds')}: {self._cause}"
