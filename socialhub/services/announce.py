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
_STATE_KEY = "socialhub.announced"


def _announced(session: Session) -> dict[str, Any]:
    """What this transaction has announced so far; forgotten when it commits or rolls back.

    ``notified``: the NOTIFY was sent; ``webhooks``: the ``scheduled`` data by
    post, sent after the commit.
    """
    state: dict[str, Any] | None = session.info.get(_STATE_KEY)
    if state is None:
        state = session.info[_STATE_KEY] = {"notified": False, "webhooks": {}}
        event.listen(session, "after_commit", _send_webhooks, once=True)
        event.listen(session, "after_rollback", _forget, once=True)
    return state


def notify_schedule_changed(session: Session) -> None:
    """Tell running daemons the schedule changed (PostgreSQL NOTIFY, sent on commit).

    On SQLite this does nothing: daemons there see changes on their next
    safety-net poll (``daemon.poll_interval_s``) or their next due instant.
    Once per transaction is enough (a CSV import schedules thousands of posts).
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    state = _announced(session)
    if not state["notified"]:
        session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
        state["notified"] = True


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
    _announced(session)["webhooks"][post] = summary()


def _send_webhooks(session: Session) -> None:
    from socialhub.services.webhooks import WebhookNotifier

    state: dict[str, Any] = session.info.pop(_STATE_KEY, {})
    pending: dict[str, dict[str, Any]] = state.get("webhooks", {})
    settings: Settings | None = session.info.get(SETTINGS_KEY)
    if not pending or settings is None:
        return
    notifier = WebhookNotifier(settings)
    try:
        for data in pending.values():
            notifier.emit("scheduled", data)
    finally:
        notifier.close()


def _forget(session: Session) -> None:
    session.info.pop(_STATE_KEY, None)
