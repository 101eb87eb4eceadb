"""The audit trail's SQL: appending chained rows, reading a chain back, the filtered list.

Every audit row is written by :func:`append_audit_rows`, which links it into its
organization's hash chain (``core/audit_chain.py``). Appends to one chain are
serialized: on PostgreSQL by a transaction-level advisory lock keyed on the
organization (two writers never read the same head; the unique ``prev_hash``
would refuse a fork anyway), on SQLite by its single writer. The head is read
under that lock, so rows are linked in id order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from socialhub.core.audit_chain import genesis_hash, link
from socialhub.db.models import AuditEvent
from socialhub.db.types import utcnow

#: First key of the two-key ``pg_advisory_xact_lock`` taken per chain ("shAu");
#: the second is the organization id (0 for org-less rows, ids start at 1).
CHAIN_LOCK_CLASS = 0x73684175


#: The columns every appended row gets (one multi-row INSERT needs the same keys in each).
_BLANK: dict[str, Any] = {"org_id": None, "at": None, "channel": None, "record_id": None,
                          "record_name": None}


def _chain(org_id: int | None) -> ColumnElement[bool]:
    return AuditEvent.org_id.is_(None) if org_id is None else AuditEvent.org_id == org_id


def lock_chain(session: Session, org_id: int | None) -> None:
    """Hold the append lock on the chain of ``org_id`` until the transaction ends
    (PostgreSQL; nothing on SQLite, whose writes are serialized already)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:c, :o)"),
                        {"c": CHAIN_LOCK_CLASS, "o": org_id or 0})


def chain_head(session: Session, org_id: int | None) -> str:
    """The ``hash`` of the newest row in the chain of ``org_id``, or the chain's genesis."""
    head = session.scalar(select(AuditEvent.hash).where(_chain(org_id))
                          .order_by(AuditEvent.id.desc()).limit(1))
    return head or genesis_hash(org_id)


def append_audit_rows(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Append these audit rows, in order, each linked into its organization's chain.

    Each row has ``org_id``, ``at``, ``actor``, ``channel``, ``action``,
    ``record_kind``, ``record_id``, ``record_name`` and ``change``; ``prev_hash``
    and ``hash`` are computed here. ``change`` must hold JSON values only (strings,
    numbers, booleans, None, lists, dicts with string keys: ``audit.record_event``
    and ``core.audit_chain.json_ready`` make them so), so the row reads back as it
    was hashed; anything else fails the INSERT. One multi-row INSERT per chain;
    nothing if ``rows`` is empty. Takes each chain's append lock first (held until
    the transaction ends).
    """
    if not rows:
        return
    chains: dict[int | None, list[dict[str, Any]]] = {}
    for row in rows:
        ready = {**_BLANK, **row, "change": row.get("change") or {}}
        if ready["at"] is None:
            ready["at"] = utcnow()
        chains.setdefault(row.get("org_id"), []).append(ready)
    for org_id in sorted(chains, key=lambda o: -1 if o is None else o):  # one lock order
        lock_chain(session, org_id)
        link(chains[org_id], chain_head(session, org_id))
        session.execute(insert(AuditEvent), chains[org_id])


def has_chain(session: Session, org_id: int | None) -> bool:
    """Whether the chain of ``org_id`` (None: rows of no organization) has any row."""
    return session.scalar(select(AuditEvent.id).where(_chain(org_id)).limit(1)) is not None


def chain_rows(session: Session, org_id: int | None) -> Iterator[dict[str, Any]]:
    """Every row of the chain of ``org_id`` in id order, as dicts (streamed)."""
    result = session.execute(select(AuditEvent.__table__).where(_chain(org_id))
                             .order_by(AuditEvent.id).execution_options(yield_per=1000))
    for row in result.mappings():
        yield dict(row)


def audit_conditions(org_id: int, *, since: datetime | None, until: datetime | None,
                     actor: str | None, kind: str | None, name: str | None,
                     channel: str | None) -> list[ColumnElement[bool]]:
    """WHERE conditions for the organization's audit rows at or after ``since``, before
    ``until``, by ``actor``, on records of ``kind`` (case-insensitive) called ``name``,
    through ``channel`` (None: any)."""
    where: list[ColumnElement[bool]] = [AuditEvent.org_id == org_id]
    if since is not None:
        where.append(AuditEvent.at >= since)
    if until is not None:
        where.append(AuditEvent.at < until)
    if actor:
        where.append(AuditEvent.actor == actor)
    if kind:
        where.append(func.lower(AuditEvent.record_kind) == kind.lower())
    if name:
        where.append(AuditEvent.record_name == name)
    if channel:
        where.append(AuditEvent.channel == channel)
    return where


def audit_page(session: Session, where: Sequence[ColumnElement[bool]], *,
               limit: int | None, offset: int, after: int | None = None) -> list[AuditEvent]:
    """The rows matching ``where``, newest first (by id), only those older than the row
    ``after`` (an id) when given, ``offset`` skipped, at most ``limit`` (None: all)."""
    q = select(AuditEvent).where(*where)
    if after is not None:
        q = q.where(AuditEvent.id < after)
    q = q.order_by(AuditEvent.id.desc()).offset(offset)
    if limit is not None:
        q = q.limit(limit)
    return list(session.scalars(q))


def audit_count(session: Session, where: Sequence[ColumnElement[bool]]) -> int:
    """How many rows match ``where``."""
    return int(session.scalar(select(func.count(AuditEvent.id)).where(*where)) or 0)
