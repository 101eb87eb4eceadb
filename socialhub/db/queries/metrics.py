"""What metric capture and the digest need: published deliveries due for a capture,
accounts due for their daily counts, ingest lag, and what went out, died or waits in a
window."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from socialhub.db.models import (
    Account,
    AccountSnapshot,
    Delivery,
    MetricLatest,
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


def accounts_due_for_profile(session: Session, day: date) -> list[tuple[int, str]]:
    """``(account id, platform)`` of active accounts with no account snapshot on ``day``."""
    done = select(AccountSnapshot.account_id).where(AccountSnapshot.captured_on == day)
    return [(a_id, platform) for a_id, platform in session.execute(
        select(Account.id, Account.platform)
        .where(Account.status == "active", Account.id.not_in(done)).order_by(Account.id))]


def account_snapshot_on(session: Session, account_id: int, day: date
                        ) -> AccountSnapshot | None:
    """The account's snapshot of ``day`` (UTC), if one was stored."""
    return session.execute(select(AccountSnapshot).where(
        AccountSnapshot.account_id == account_id,
        AccountSnapshot.captured_on == day)).scalar_one_or_none()


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
