"""The audit trail: who did what to which record, and what changed.

Services call :func:`record_event`, which publishes the change on the event bus
(``services/events.py``) as ``<record kind>.<action, past tense>`` —
``post.created``, ``delivery.retried``, ``voice_profile.trained``. The trail is
an in-transaction subscriber (:func:`write_audit_row`): the row is written in
the publisher's transaction, so it commits or rolls back with the change it
records and no crash between two transactions can lose it.
"""

from __future__ import annotations

import getpass
import re
from typing import Any

from sqlalchemy.orm import Session

from socialhub.db.models import AuditEvent
from socialhub.services.events import Event, Scope, publish

#: Audit actions and the past tense their event names use; an action not listed
#: is used as it is.
PAST_TENSE = {
    "create": "created", "update": "updated", "delete": "deleted", "schedule": "scheduled",
    "unschedule": "unscheduled", "cancel": "canceled", "retry": "retried",
    "publish_now": "publish_requested", "reconnect": "reconnected", "train": "trained",
    "import": "imported",
    # teams: members and the review of posts
    "add": "added", "remove": "removed", "change_role": "role_changed",
    "submit": "submitted", "approve": "approved", "request_changes": "changes_requested",
    "comment": "commented", "bypass_approval": "approval_bypassed",
}


def current_actor() -> str:
    """The person or process acting: the OS user name (``daemon`` for the daemon)."""
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"


#: Where a session remembers who acts and through which channel (``session.info``).
ACTING_KEY = "socialhub.acting"


def bind_acting(session: Session, actor: str, channel: str) -> None:
    """Remember on ``session`` who acts and through which channel, so every change
    recorded in it names them (``hub.context`` calls this for each ``Ctx``)."""
    session.info[ACTING_KEY] = (actor, channel)


def acting(session: Session) -> tuple[str | None, str | None]:
    """The actor and channel bound to ``session`` by :func:`bind_acting`, or Nones."""
    found = session.info.get(ACTING_KEY)
    return (found[0], found[1]) if found else (None, None)


def event_name(kind: str, action: str) -> str:
    """The bus event for ``action`` on a record of ``kind``: ``("VoiceProfile", "train")``
    gives ``voice_profile.trained``."""
    noun = re.sub(r"(?<!^)(?=[A-Z])", "_", kind).lower()
    return f"{noun}.{PAST_TENSE.get(action, action)}"


def record_event(session: Session, org_id: int | None, action: str, kind: str, *,
                 record_id: int | None = None, name: str | None = None,
                 change: dict[str, Any] | None = None, actor: str | None = None) -> None:
    """Publish a change to a record; its audit row joins the caller's transaction.

    The event carries ``record_kind``, ``action``, ``record_id`` and ``change``
    in its data and the record's name as its subject; the audit row is written
    before this returns, and commits or rolls back with the caller's change.
    """
    bound_actor, channel = acting(session)
    publish(session, Event(
        name=event_name(kind, action), org_id=org_id, subject=name,
        data={"record_kind": kind, "action": action, "record_id": record_id,
              "change": dict(change or {})},
        actor=actor or bound_actor or current_actor(), channel=channel))


def is_record_change(event: Event) -> bool:
    """True for an event published by :func:`record_event` (one the trail records)."""
    return "record_kind" in event.data and "action" in event.data


def write_audit_row(event: Event, scope: Scope) -> None:
    """The audit trail's subscriber (in-transaction): one row per record change.

    Other events are ignored. Runs in the publisher's session, so the row
    commits or rolls back with the change.
    """
    if not is_record_change(event) or scope.session is None:
        return
    data = event.data
    scope.session.add(AuditEvent(
        org_id=event.org_id, actor=event.actor or current_actor(), action=data["action"],
        record_kind=data["record_kind"], record_id=data.get("record_id"),
        record_name=None if event.subject is None else str(event.subject),
        change=dict(data.get("change") or {})))
