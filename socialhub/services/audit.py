"""The audit trail: who did what to which record, and what changed.

Services call :func:`record_event`, which publishes the change on the event bus
(``services/events.py``) as ``<record kind>.<action, past tense>`` —
``post.created``, ``delivery.retried``, ``voice_profile.trained``. The trail is
an in-transaction subscriber (:func:`write_audit_row`): the row is written in
the publisher's transaction, so it commits or rolls back with the change it
records and no crash between two transactions can lose it.

Every row is linked into its organization's hash chain by
``db/queries/audit.append_audit_rows`` (see ``core/audit_chain.py``), and its
``change`` — ``{field: {"before": x, "after": y}}`` for the fields that changed,
built with :func:`changes` — passes through ``security.redact.redact_fields``
first, so no token, password or credential is ever written to the trail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from socialhub.core.audit_chain import clip_text, json_ready
from socialhub.db.queries.audit import append_audit_rows
from socialhub.security.redact import redact_fields
from socialhub.services.context import current_actor
from socialhub.services.events import Event, Scope, publish

#: Audit actions and the past tense their event names use; an action not listed
#: is used as it is.
PAST_TENSE = {
    "create": "created", "update": "updated", "delete": "deleted", "schedule": "scheduled",
    "unschedule": "unscheduled", "cancel": "canceled", "retry": "retried",
    "publish_now": "publish_requested", "reconnect": "reconnected", "train": "trained",
    "import": "imported", "revoke": "revoked",
    # teams: members and the review of posts
    "add": "added", "remove": "removed", "change_role": "role_changed",
    "submit": "submitted", "approve": "approved", "request_changes": "changes_requested",
    "comment": "commented", "bypass_approval": "approval_bypassed",
    # an agent's call of an MCP tool
    "call": "called",
    # experiments and the evergreen queue
    "promote": "promoted", "requeue": "requeued", "find_winner": "winner_found",
}


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
    (secret fields masked, long texts clipped) in its data and the record's name as its
    subject; the audit row is written before this returns, and commits or rolls
    back with the caller's change.
    """
    bound_actor, channel = acting(session)
    publish(session, Event(
        name=event_name(kind, action), org_id=org_id, subject=name,
        data={"record_kind": kind, "action": action, "record_id": record_id,
              "change": clean_change(json_ready(dict(change or {})))},
        actor=actor or bound_actor or current_actor(), channel=channel))


def record_tool_call(session: Session, org_id: int, tool: str,
                     arguments: Mapping[str, Any]) -> None:
    """Record that an agent called the MCP tool ``tool`` with ``arguments``: one
    ``mcp_tool.called`` row in the caller's transaction, so a call that fails leaves
    none (secret-looking arguments masked and long texts clipped like any change)."""
    given = {k: v for k, v in arguments.items() if v is not None}
    record_event(session, org_id, "call", "McpTool", name=tool,
                 change={"arguments": {"before": None, "after": given}})


def is_record_change(event: Event) -> bool:
    """True for an event published by :func:`record_event` (one the trail records)."""
    return "record_kind" in event.data and "action" in event.data


def changes(before: Mapping[str, Any], after: Mapping[str, Any],
            fields: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """The audit ``change`` between two snapshots of a record:
    ``{field: {"before": old, "after": new}}`` for each field (of ``fields``, else of
    either snapshot) whose value differs. A field missing from a snapshot is None."""
    names = list(fields) if fields is not None else sorted({*before, *after})
    return {n: {"before": before.get(n), "after": after.get(n)}
            for n in names if before.get(n) != after.get(n)}


def snapshot(record: object, fields: Iterable[str]) -> dict[str, Any]:
    """The values of ``fields`` on ``record`` as the trail stores them (dates as ISO
    text, decimals as strings), to compare before and after a change."""
    return {f: json_ready(getattr(record, f)) for f in fields}


def deleted(before: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The audit ``change`` of a removed record: each field it had, from its value to None."""
    return {n: {"before": v, "after": None} for n, v in before.items() if v is not None}


def created(after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The audit ``change`` of a new record: each given field from None to its value."""
    return {n: {"before": None, "after": v} for n, v in after.items() if v is not None}


def clean_change(change: Mapping[str, Any] | None) -> dict[str, Any]:
    """A ``change`` as the trail stores it: secret fields masked, long texts clipped
    (``core.audit_chain.clip_text``). Its values must be JSON values already (what
    :func:`snapshot` gives; :func:`record_event` makes any change so)."""
    cleaned: dict[str, Any] = redact_fields(dict(change or {}), text=clip_text)
    return cleaned


def audit_row(*, org_id: int | None, actor: str, channel: str | None, action: str,
              kind: str, record_id: int | None, name: str | None,
              change: Mapping[str, Any] | None) -> dict[str, Any]:
    """One audit row as ``append_audit_rows`` takes it, its change cleaned
    (:func:`clean_change`; its values JSON values already)."""
    return {"org_id": org_id, "actor": actor, "channel": channel, "action": action,
            "record_kind": kind, "record_id": record_id, "record_name": name,
            "change": clean_change(change)}


def write_audit_rows(session: Session, rows: Iterable[dict[str, Any]]) -> None:
    """Append rows built by :func:`audit_row` to the trail in one go (an apply's new
    posts); each is chained like a row written for an event."""
    append_audit_rows(session, list(rows))


def write_audit_row(event: Event, scope: Scope) -> None:
    """The audit trail's subscriber (in-transaction): one chained row per record change.

    Other events are ignored. Runs in the publisher's session, so the row
    commits or rolls back with the change.
    """
    if not is_record_change(event) or scope.session is None:
        return
    data = event.data
    append_audit_rows(scope.session, [audit_row(
        org_id=event.org_id, actor=event.actor or current_actor(), channel=event.channel,
        action=data["action"], kind=data["record_kind"], record_id=data.get("record_id"),
        name=None if event.subject is None else str(event.subject),
        change=data.get("change"))])
