"""Reading what the daemon status report and doctor show: job runs, the pending queue's
depth, and accounts that are not active."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from socialhub.db.models import Account, Delivery, JobRun, Post, Variant


def job_runs(session: Session) -> list[JobRun]:
    """Every job-run row (daemon heartbeats and jobs), by name."""
    return list(session.scalars(select(JobRun).order_by(JobRun.name)))


def count_by_status(session: Session, statuses: Collection[str]) -> dict[str, int]:
    """How many deliveries are in each of ``statuses`` (statuses with none left out)."""
    return {s: int(n) for s, n in session.execute(
        select(Delivery.status, func.count(Delivery.id)).where(Delivery.status.in_(statuses))
        .group_by(Delivery.status))}


def oldest_due(session: Session, statuses: Collection[str], now: datetime) -> Any:
    """The row ``(id, due_at, status, name)`` of the delivery in ``statuses`` with its next
    attempt at or before ``now`` that was due first, with its post's name; or None."""
    due = (select(Delivery.id, Delivery.due_at, Delivery.status, Post.name)
           .join(Variant, Variant.id == Delivery.variant_id).join(Post, Post.id == Variant.post_id)
           .where(Delivery.status.in_(statuses), Delivery.next_attempt_at <= now))
    return session.execute(due.order_by(Delivery.due_at).limit(1)).first()


def count_due_in(session: Session, statuses: Collection[str], now: datetime) -> int:
    """How many deliveries in ``statuses`` have their next attempt at or before ``now``."""
    return session.scalar(select(func.count(Delivery.id)).where(
        Delivery.status.in_(statuses), Delivery.next_attempt_at <= now)) or 0


def inactive_accounts(session: Session) -> list[Account]:
    """Every account whose status is not ``active``, by platform then handle."""
    return list(session.scalars(select(Account).where(Account.status != "active")
                                .order_by(Account.platform, Account.handle)))
