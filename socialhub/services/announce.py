"""Telling the world the schedule changed: running daemons, and ``scheduled`` webhooks.

Every service that puts a delivery in line (scheduling, publish now, retry,
``apply``, CSV import) calls :func:`announce_schedule` or
:func:`notify_schedule_changed` inside its transaction, so the CLI, the TUI
and scripts all announce alike. Both publish ``schedule.changed`` on the event
bus (``services/events.py``); its after-commit subscribers
(``services/event_subscribers.py``) do the rest:

* on PostgreSQL a ``NOTIFY`` is sent once the transaction commits, waking
  every listening daemon at once (SQLite daemons see the change on their next
  poll or due instant);
* for a post that was scheduled or rescheduled, the ``scheduled`` webhook
  fires after the commit — once per post and transaction, with the post as
  it was last announced — to every hook that wants it. A rolled-back
  transaction announces nothing; a session opened without settings (not
  through ``Hub.transaction``) sends no webhooks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from socialhub.services.events import Event, publish, settings_of

#: The PostgreSQL channel daemons LISTEN on.
NOTIFY_CHANNEL = "socialhub_schedule"
#: The event both functions publish.
SCHEDULE_CHANGED = "schedule.changed"


def notify_schedule_changed(session: Session) -> None:
    """Tell running daemons the schedule changed (PostgreSQL NOTIFY, sent after commit).

    On SQLite nobody listens: daemons there see changes on their next
    safety-net poll (``daemon.poll_interval_s``) or their next due instant.
    Once per transaction is enough (a CSV import schedules thousands of posts).
    """
    publish(session, Event(SCHEDULE_CHANGED), key=SCHEDULE_CHANGED)


def wants_scheduled_webhook(session: Session) -> bool:
    """Whether a committed schedule change in ``session`` would send any webhook."""
    from socialhub.services.webhooks.hooks import wants

    return wants(settings_of(session), SCHEDULE_CHANGED)


def announce_schedule(session: Session, post: str | None = None,
                      summary: Callable[[], dict[str, Any]] | None = None) -> None:
    """Wake daemons; and when ``post`` was (re)scheduled, queue its ``scheduled`` webhook.

    ``summary()`` describes the post for the webhook; it is called only when a
    hook wants the event, and the last one given for a post in a
    transaction is the one sent.
    """
    notify_schedule_changed(session)
    if post is None or summary is None or not wants_scheduled_webhook(session):
        return
    publish(session, Event(SCHEDULE_CHANGED, subject=post, data=summary()),
            key=(SCHEDULE_CHANGED, post))
