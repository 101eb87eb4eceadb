"""PostgreSQL LISTEN: a schedule made from the CLI, the TUI or a script wakes the daemon at once.

Every service that puts a delivery in line (scheduling, publish now, retry,
``apply``) publishes ``schedule.changed`` on the event bus in its transaction,
whichever front end called it; once the transaction commits, the bus's
subscriber sends one NOTIFY (``services/event_subscribers.py``). A dedicated autocommit
connection waits for it here and calls ``on_notify``. If the connection
drops it reconnects; the safety-net poll covers the gap.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from socialhub.services.announce import NOTIFY_CHANNEL

log = logging.getLogger(__name__)
RETRY_S = 2.0


def _conninfo(sqlalchemy_url: str) -> str:
    from socialhub.services.publishing.schedule_listen import listen_conninfo

    return listen_conninfo(sqlalchemy_url)


class ScheduleListener:
    """A thread that LISTENs on the schedule channel until ``stop()``."""

    def __init__(self, database_url: str, on_notify: Callable[[], None]) -> None:
        self.conninfo = _conninfo(database_url)
        self.on_notify = on_notify
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="listen", daemon=True)

    def start(self) -> None:
        """Begin listening in the background."""
        self._thread.start()

    def _run(self) -> None:
        import psycopg

        lost = False  # log the loss once and the reconnection once, not every retry
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    log.info("schedule listener reconnected" if lost else
                             "listening for schedule changes on PostgreSQL")
                    lost = False
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            self.on_notify()
            except Exception as exc:  # reconnect; the poll covers the gap
                if not lost:
                    log.warning("schedule listener lost its connection (%s); retrying every "
                                "%.0f s, the poll covers the gap", type(exc).__name__, RETRY_S)
                lost = True
                self._stop.wait(RETRY_S)

    def stop(self) -> None:
        """Stop listening (returns within about a second)."""
        self._stop.set()
        self._thread.join(timeout=3)
