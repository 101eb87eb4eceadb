"""Reading what the daemon status report and doctor show: job runs, the pending queue's
depth, and accounts that are not active; and the daemon's heartbeat writes (a job run's
row upserted every scheduler tick, old daemons' rows dropped)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from socialhub.db.models import Account, Delivery, JobRun, Post, Variant


def job_runs(session: Session) -> list[JobRun]:
    """Every job-run row (daemon heartbeats and jobs), by name."""
    return list(session.scalars(select(JobRun).order_by(JobRun.name)))


def upsert_job_run(session: Session, values: dict[str, Any]) -> None:
    """Insert the job-run row ``values`` (which names it), or overwrite every other column
    given of the row with that name (one statement: ``INSERT … ON CONFLICT DO UPDATE``)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(JobRun).values(**values)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(JobRun).values(**values)  # type: ignore[assignment]
    update = {k: v for k, v in values.items() if k != "name"}
    session.execute(stmt.on_conflict_do_update(index_elements=["name"], set_=update))


def delete_job_runs_finished_before(session: Session, name_prefix: str,
                                    before: datetime) -> None:
    """Delete the job-run rows whose name starts with ``name_prefix`` (a SQL ``LIKE``
    pattern's start: ``%`` and ``_`` in it are wildcards) that last finished before
    ``before``."""
    session.execute(delete(JobRun).where(JobRun.name.like(name_prefix + "%"),
                                         JobRun.last_finished_at < before))


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
