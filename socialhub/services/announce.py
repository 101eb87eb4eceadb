"""Telling the world the schedule changed: running daemons, and ``scheduled`` webhooks.

Every service that puts a delivery in line (scheduling, publish now, retry,
``apply``, CSV import) calls :func:`announce_schedule` inside its
transaction, so the CLI, the TUI and scripts all announce alike:

* on PostgreSQL a ``NOTIFY`` is sent on commit, waking every listening
  daemon at once (SQLite daemons see the change on their next poll or due
  instant);
* for a post that was scheduled or rescheduled, the ``scheduled`` webhook
  fires after the commit — once per post and transaction, with the post as
  it was committed — to every hook that wants it. The hooks come from the
  settings the session was opened with (``Hub.transaction`` puts them in
  ``session.info``); a session without settings sends no webhooks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from socialhub.config import Settings

#: The PostgreSQL channel daemons LISTEN on.
NOTIFY_CHANNEL = "socialhub_schedule"
SETTINGS_KEY = "socialhub.settings"
_PENDING_KEY = "socialhub.scheduled_webhooks"
_NOTIFIED_KEY = "socialhub.notified"


def notify_schedule_changed(session: Session) -> None:
    """Tell running daemons the schedule changed (PostgreSQL NOTIFY, sent on commit).

    On SQLite this does nothing: daemons there see changes on their next
    safety-net poll (``daemon.poll_interval_s``) or their next due instant.
    """
    if session.info.get(_NOTIFIED_KEY) or session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
    # Once per transaction is enough (a CSV import schedules thousands of posts).
    session.info[_NOTIFIED_KEY] = True
    for moment in ("after_commit", "after_rollback"):
        event.listen(session, moment, _forget_notified, once=True)


def wants_scheduled_webhook(session: Session) -> bool:
    """Whether a committed schedule change in ``session`` would send any webhook."""
    settings: Settings | None = session.info.get(SETTINGS_KEY)
    return settings is not None and any("scheduled" in h.events
                                        for h in settings.daemon.webhooks)


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
    pending: dict[str, dict[str, Any]] | None = session.info.get(_PENDING_KEY)
    if pending is None:
        pending = session.info[_PENDING_KEY] = {}
        event.listen(session, "after_commit", _send_pending, once=True)
        event.listen(session, "after_rollback", _drop_pending, once=True)
    pending[post] = summary()


def _send_pending(session: Session) -> None:
    from socialhub.services.webhooks import WebhookNotifier

    pending: dict[str, dict[str, Any]] = session.info.pop(_PENDING_KEY, {})
    settings: Settings | None = session.info.get(SETTINGS_KEY)
    if not pending or settings is None:
        return
    notifier = WebhookNotifier(settings)
    try:
        for data in pending.values():
            notifier.emit("scheduled", data)
    finally:
        notifier.close()


def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


def _forget_notified(session: Session) -> None:
    session.info.pop(_NOTIFIED_KEY, None)
