"""Git sync: the per-repository sync state, locked while a sync applies.

Two daemons syncing one repository serialise on the state row's lock: on
PostgreSQL a transaction-level advisory lock keyed by the source; on SQLite
every write transaction is ``BEGIN IMMEDIATE`` already, so the whole sync is
exclusive. The second one then sees the commit already applied.
"""

from __future__ import annotations

import zlib

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from socialhub.db.models import GitSync


def lock_sync(session: Session, source: str) -> None:
    """Hold the sync lock of ``source`` until the transaction ends (waits for another
    holder). PostgreSQL: ``pg_advisory_xact_lock``; on SQLite the transaction began
    with ``BEGIN IMMEDIATE`` and holds the database's write lock already."""
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(f"socialhub-gitsync:{source}".encode())
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def sync_state(session: Session, org_id: int, source: str) -> GitSync:
    """The sync state of ``source`` in the organization, created (never synced) if new."""
    row = session.scalars(select(GitSync).where(GitSync.org_id == org_id,
                                                GitSync.source == source)).first()
    if row is None:
        row = GitSync(org_id=org_id, source=source, status="never")
        session.add(row)
        session.flush()
    return row


def sync_states(session: Session, org_id: int) -> list[GitSync]:
    """Every repository the organization syncs from, by source."""
    return list(session.scalars(select(GitSync).where(GitSync.org_id == org_id)
                                .order_by(GitSync.source)))
