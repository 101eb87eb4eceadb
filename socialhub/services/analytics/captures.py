"""Storing what was measured: a post's capture (its snapshot, and its newest numbers
in ``metric_latest``) and an account's counts of the day. Used by the daemon's
collection and by ``analytics import``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from socialhub.db.models import AccountSnapshot, MetricLatest, MetricSnapshot
from socialhub.db.queries.metrics import account_snapshot_on


def record_capture(session: Session, delivery_id: int, captured_at: datetime,
                   values: dict[str, int | None], raw: dict[str, Any], *,
                   source: str = "platform") -> None:
    """Store one capture: a new snapshot row, and the delivery's latest metrics
    updated by it (``values`` maps metric names to counts, None where absent).

    The snapshot keeps exactly what was measured. The latest row keeps, for a metric
    this capture lacks, the value an earlier capture found: X gives link clicks only
    for 30 days, and a network's passing silence must not erase a count (absent
    stays absent only until a capture has it)."""
    session.add(MetricSnapshot(delivery_id=delivery_id, captured_at=captured_at, raw=raw,
                               **values))
    latest = session.get(MetricLatest, delivery_id)
    if latest is None:
        session.add(MetricLatest(delivery_id=delivery_id, source=source,
                                 first_captured_at=captured_at, captured_at=captured_at,
                                 snapshots=1, **values))
        return
    latest.captured_at, latest.snapshots, latest.source = (
        captured_at, latest.snapshots + 1, source)
    for name, value in values.items():
        if value is not None:
            setattr(latest, name, value)


def record_account_snapshot(session: Session, account_id: int, captured_at: datetime,
                            counts: dict[str, int | None], raw: dict[str, Any]) -> None:
    """Store an account's counts for ``captured_at``'s UTC day (replacing that day's)."""
    day = captured_at.astimezone(UTC).date()
    row = account_snapshot_on(session, account_id, day)
    if row is None:
        session.add(AccountSnapshot(account_id=account_id, captured_on=day,
                                    captured_at=captured_at, raw=raw, **counts))
        return
    row.captured_at, row.raw = captured_at, raw
    for name, value in counts.items():
        setattr(row, name, value)
