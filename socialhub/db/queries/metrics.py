"""What metric capture and the digest need: published deliveries due for a capture,
storing a capture (snapshot + latest), account snapshots, ingest lag, and what went
out, died or waits in a window."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from socialhub.db.models import (
    Account,
    AccountSnapshot,
    Delivery,
    MetricLatest,
    MetricSnapshot,
    Post,
    Variant,
)


def due_for_capture(
        session: Session, now: datetime, *, young: timedelta, max_age: timedelta, limit: int,
) -> list[tuple[int, int, str, str]]:
    """``(delivery id, account id, platform, remote id)`` of up to ``limit`` published
    deliveries of active accounts whose capture is due at ``now``: never captured, or
    last captured an hour ago while younger than ``young``, a day ago after that, and
    published within ``max_age``. The longest-waiting come first (never captured first)."""
    hour_ago, day_ago = now - timedelta(hours=1), now - timedelta(days=1)
    waited = case((MetricLatest.captured_at.is_(None), 0), else_=1)
    rows = session.execute(
        select(Delivery.id, Delivery.account_id, Account.platform, Delivery.remote_id)
        .join(Account, Account.id == Delivery.account_id)
        .outerjoin(MetricLatest, MetricLatest.delivery_id == Delivery.id)
        .where(Delivery.status == "published", Delivery.remote_id.is_not(None),
               Delivery.published_at >= now - max_age, Account.status == "active",
               or_(MetricLatest.captured_at.is_(None),
                   and_(Delivery.published_at > now - young,
                        MetricLatest.captured_at <= hour_ago),
                   MetricLatest.captured_at <= day_ago))
        .order_by(waited, MetricLatest.captured_at, Delivery.id).limit(limit))
    return [(d_id, account_id, platform, str(remote_id))
            for d_id, account_id, platform, remote_id in rows]


def record_capture(session: Session, delivery_id: int, captured_at: datetime,
                   values: dict[str, int | None], raw: dict[str, Any], *,
                   source: str = "platform") -> None:
    """Store one capture: a new snapshot row, and the delivery's latest metrics
    replaced by it (``values`` maps metric names to counts, None where absent)."""
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
        setattr(latest, name, value)


def accounts_due_for_profile(session: Session, day: date) -> list[tuple[int, str]]:
    """``(account id, platform)`` of active accounts with no account snapshot on ``day``."""
    done = select(AccountSnapshot.account_id).where(AccountSnapshot.captured_on == day)
    return [(a_id, platform) for a_id, platform in session.execute(
        select(Account.id, Account.platform)
        .where(Account.status == "active", Account.id.not_in(done)).order_by(Account.id))]


def record_account_snapshot(session: Session, account_id: int, captured_at: datetime,
                            counts: dict[str, int | None], raw: dict[str, Any]) -> None:
    """Store an account's counts for ``captured_at``'s UTC day (replacing that day's)."""
    day = captured_at.astimezone(UTC).date()
    row = session.execute(select(AccountSnapshot).where(
        AccountSnapshot.account_id == account_id,
        AccountSnapshot.captured_on == day)).scalar_one_or_none()
    if row is None:
        session.add(AccountSnapshot(account_id=account_id, captured_on=day,
                                    captured_at=captured_at, raw=raw, **counts))
        return
    row.captured_at, row.raw = captured_at, raw
    for name, value in counts.items():
        setattr(row, name, value)


def ingest_lags(session: Session, since: datetime) -> list[float]:
    """Seconds from publishing to first capture of each delivery published at or after
    ``since`` whose metrics came from its platform (imports excluded), oldest first."""
    return [(first - published).total_seconds() for published, first in session.execute(
        select(Delivery.published_at, MetricLatest.first_captured_at)
        .join(MetricLatest, MetricLatest.delivery_id == Delivery.id)
        .where(MetricLatest.source == "platform", Delivery.published_at >= since)
        .order_by(Delivery.published_at)) if published is not None]


def uncaptured_since(session: Session, since: datetime) -> int:
    """How many deliveries published at or after ``since`` (with a remote id) have no
    capture yet."""
    return session.scalar(
        select(func.count(Delivery.id))
        .outerjoin(MetricLatest, MetricLatest.delivery_id == Delivery.id)
        .where(Delivery.status == "published", Delivery.remote_id.is_not(None),
               Delivery.published_at >= since, MetricLatest.delivery_id.is_(None))) or 0


def published_since(session: Session, since: datetime) -> Sequence[Any]:
    """Rows ``(id, name, platform, handle, remote_url)`` of deliveries published at or after
    ``since``, with their post's name and account."""
    return (session.execute(
        select(Delivery.id, Post.name, Account.platform, Account.handle, Delivery.remote_url)
        .join(Variant, Variant.id == Delivery.variant_id).join(Post, Post.id == Variant.post_id)
        .join(Account, Account.id == Delivery.account_id)
        .where(Delivery.status == "published", Delivery.published_at >= since)).all())


def dead_since(session: Session, since: datetime) -> Sequence[Any]:
    """Rows ``(id, name, last_error)`` of deliveries dead and last changed at or after ``since``."""
    return (session.execute(
        select(Delivery.id, Post.name, Delivery.last_error)
        .join(Variant, Variant.id == Delivery.variant_id).join(Post, Post.id == Variant.post_id)
        .where(Delivery.status == "dead", Delivery.updated_at >= since)).all())


def count_unconfirmed(session: Session) -> int:
    """How many deliveries are unconfirmed (sent, outcome not known yet)."""
    return session.scalar(select(func.count(Delivery.id))
                          .where(Delivery.status == "unconfirmed")) or 0


def count_due_before(session: Session, until: datetime) -> int:
    """How many scheduled or retrying deliveries are due before ``until``."""
    return session.scalar(select(func.count(Delivery.id)).where(
        Delivery.status.in_(["scheduled", "retry_scheduled"]),
        Delivery.due_at < until)) or 0
