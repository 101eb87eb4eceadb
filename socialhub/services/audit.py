"""The audit trail: who did what to which record, and what changed."""

from __future__ import annotations

import getpass
from typing import Any

from sqlalchemy.orm import Session

from socialhub.db.models import AuditEvent


def current_actor() -> str:
    """The person or process acting: the OS user name (``daemon`` for the daemon)."""
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"


def record_event(session: Session, org_id: int | None, action: str, kind: str, *,
                 record_id: int | None = None, name: str | None = None,
                 change: dict[str, Any] | None = None, actor: str | None = None) -> None:
    """Append an audit event in the caller's transaction (it commits or rolls back with it)."""
    session.add(AuditEvent(org_id=org_id, actor=actor or current_actor(), action=action,
                           record_kind=kind, record_id=record_id, record_name=name,
                           change=change or {}))
