"""Reading what metric capture and the digest need: published deliveries with their last
capture, and what went out, died or waits in a window."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from socialhub.db.models import Account, Delivery, MetricSnapshot, Post, Variant


def published_with_last_capture(
        session: Session, published_since: datetime, *, limit: int,
) -> list[tuple[int, int, str | None, datetime, datetime | None]]:
    """``(id, account_id, remote_id, published_at, last captured_at or None)`` of up to
    ``limit`` published deliveries with a remote id, of active accounts, published at or
    after ``published_since``, newest first."""
    last = (select(MetricSnapshot.delivery_id, func.max(MetricSnapshot.captured_at).label("at"))
            .group_by(MetricSnapshot.delivery_id).subquery())
    return [(d_id, account_id, remote_id, published_at, last_at)
            for d_id, account_id, remote_id, published_at, last_at in session.execute(
        select(Delivery.id, Delivery.account_id, Delivery.remote_id, Delivery.published_at,
               last.c.at)
        .join(Account, Account.id == Delivery.account_id)
        .outerjoin(last, last.c.delivery_id == Delivery.id)
        .where(Delivery.status == "published", Delivery.remote_id.is_not(None),
               Delivery.published_at >= published_since, Account.status == "active")
        .order_by(Delivery.published_at.desc()).limit(limit))]


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
