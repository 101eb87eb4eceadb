"""Deliveries: the publishing hot path's SQL (due deliveries, leases, claims across
daemons) and the reads of a post's or a target's deliveries.

``services.publishing.delivery_claim`` decides what to take and writes the claims; the
statements it runs live here. On PostgreSQL the candidates are read with
``SELECT … FOR UPDATE SKIP LOCKED`` (several daemons on one database each get
different rows) and claims are serialised by a transaction-level advisory
lock; SQLite's ``BEGIN IMMEDIATE`` (``db/engine.py``) makes a claim exclusive.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, and_, bindparam, case, func, or_, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from socialhub.core.status import DeliveryStatus
from socialhub.db.models import OPEN_DELIVERY_STATUSES, Account, Delivery, Variant
from socialhub.db.queries.id_lists import constant, none_of, one_of

LEASED = (DeliveryStatus.CLAIMED, DeliveryStatus.PUBLISHING)

#: pg_advisory_xact_lock key that serialises claims across daemons ("sh-claim").
CLAIM_LOCK_KEY = 0x73682D636C61696D

_D, _ACCOUNTS = (cast(Table, m.__table__) for m in (Delivery, Account))


def is_postgres(session: Session) -> bool:
    """Whether ``session`` talks to PostgreSQL (row locks and advisory locks exist)."""
    return session.get_bind().dialect.name == "postgresql"


def due_condition(now: datetime) -> ColumnElement[bool]:
    """A delivery a claim may take at ``now``: fresh or unconfirmed and due with no live
    lease, or claimed/publishing with an expired lease."""
    no_lease = or_(Delivery.lease_expires_at.is_(None), Delivery.lease_expires_at <= now)
    return or_(
        and_(Delivery.status.in_(OPEN_DELIVERY_STATUSES),
             Delivery.next_attempt_at <= now, no_lease),
        and_(Delivery.status.in_(LEASED), Delivery.lease_expires_at <= now),
    )


class DueDelivery(NamedTuple):
    """What a claim needs of a due delivery (no ORM object: a claim takes dozens)."""

    id: int
    account_id: int
    status: str
    next_attempt_at: datetime
    platform: str


def due_candidates(session: Session, now: datetime, *, limit: int,
                   skip_platforms: Collection[str] = (), skip_accounts: Collection[int] = (),
                   ) -> list[DueDelivery]:
    """Up to ``limit`` due deliveries of active accounts with their platform, oldest due first
    (ties by id), leaving out the platforms and accounts given; on PostgreSQL the rows are
    locked ``FOR UPDATE SKIP LOCKED`` (rows another claim holds are passed over).

    The cost grows with the rows taken, not with the rows due: the waiting deliveries and
    the expired leases are read apart (each through its own index, in due order, stopping
    at ``limit``) and merged, with no join for a planner to misjudge on stale statistics.
    """
    statements = _due_statements(is_postgres(session), bool(skip_platforms),
                                 bool(skip_accounts))
    params = {"now": now, "limit": limit, "skip_platforms": list(skip_platforms),
              "skip_accounts": list(skip_accounts)}
    rows: list[DueDelivery] = []
    for statement in statements:
        rows.extend(DueDelivery._make(row)
                    for row in session.connection().execute(statement, params))
    rows.sort(key=lambda row: (row.next_attempt_at, row.id))
    return rows[:limit]


@functools.cache
def _due_statements(postgres: bool, skip_platforms: bool, skip_accounts: bool,
                    ) -> tuple[Select[Any], Select[Any]]:
    """The two reads of ``due_candidates`` (waiting rows, expired leases), built once for
    each shape: building them took half of a claim's read."""
    accounts = select(_ACCOUNTS.c.id).where(_ACCOUNTS.c.status == "active")
    if skip_platforms:
        accounts = accounts.where(none_of(_ACCOUNTS.c.platform, "skip_platforms",
                                          postgres=postgres))
    # On PostgreSQL ANY(ARRAY(…)) is computed once, before the scan (an InitPlan).
    of_accounts = (_D.c.account_id == func.any(func.array(accounts.scalar_subquery()))
                   if postgres else _D.c.account_id.in_(accounts))
    platform = (select(_ACCOUNTS.c.platform).where(_ACCOUNTS.c.id == _D.c.account_id)
                .scalar_subquery())
    now = bindparam("now", type_=_D.c.next_attempt_at.type)
    no_lease = or_(_D.c.lease_expires_at.is_(None), _D.c.lease_expires_at <= now)
    waiting = and_(_status_is(OPEN_DELIVERY_STATUSES), _D.c.next_attempt_at <= now, no_lease)
    lease_expired = and_(_status_is(LEASED), _D.c.lease_expires_at <= now)
    statements = []
    for condition in (waiting, lease_expired):
        q = (select(_D.c.id, _D.c.account_id, _D.c.status, _D.c.next_attempt_at, platform)
             .where(condition, of_accounts)
             .order_by(_D.c.next_attempt_at, _D.c.id).limit(bindparam("limit")))
        if skip_accounts:
            q = q.where(none_of(_D.c.account_id, "skip_accounts", postgres=postgres))
        if postgres:
            q = q.with_for_update(skip_locked=True, of=_D)
        statements.append(q)
    return statements[0], statements[1]


def _status_is(statuses: Collection[str]) -> ColumnElement[bool]:
    """``deliveries.status IN (…)`` with the values written into the SQL: PostgreSQL uses a
    partial index (ix_deliveries_open_due) only when it can prove its predicate from
    literals, and prepared statements would otherwise hide them."""
    return _D.c.status.in_(bindparam("statuses", [str(s) for s in statuses],
                                         expanding=True, literal_execute=True, unique=True))


def active_platforms(session: Session) -> list[str]:
    """The platforms of active accounts (what a claim could take deliveries of)."""
    return list(session.scalars(select(Account.platform).where(Account.status == "active")
                                .distinct()))


def lock_claims(session: Session) -> None:
    """Take the PostgreSQL advisory lock that serialises claims (it ends with the transaction)."""
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK_KEY})


def leases_held_elsewhere(session: Session, worker: str, now: datetime) -> list[tuple[int, int]]:
    """``(account_id, count)`` of claimed, publishing and unconfirmed deliveries whose live
    lease (expiring after ``now``) another owner than ``worker`` holds."""
    rows = session.execute(
        select(Delivery.account_id, func.count())
        .where(Delivery.status.in_([*LEASED, DeliveryStatus.UNCONFIRMED]),
               Delivery.lease_owner != worker, Delivery.lease_expires_at > now)
        .group_by(Delivery.account_id))
    return [(account_id, count) for account_id, count in rows]


def next_due_time(session: Session, now: datetime) -> datetime | None:
    """The earliest next attempt after ``now`` of a fresh or unconfirmed delivery of an
    active account, or None."""
    return session.scalar(
        select(func.min(Delivery.next_attempt_at)).join(Account, Account.id == Delivery.account_id)
        .where(Delivery.status.in_(OPEN_DELIVERY_STATUSES),
               Account.status == "active", Delivery.next_attempt_at > now))


def next_lease_expiry(session: Session, now: datetime) -> datetime | None:
    """The earliest lease expiry after ``now`` of a leased or unconfirmed delivery, or None."""
    return session.scalar(
        select(func.min(Delivery.lease_expires_at))
        .where(Delivery.status.in_([*LEASED, DeliveryStatus.UNCONFIRMED]),
               Delivery.lease_expires_at > now))


def count_due(session: Session, now: datetime) -> int:
    """How many deliveries of active accounts are due at ``now`` (``due_condition``)."""
    return int(session.scalar(
        select(func.count(Delivery.id)).join(Account, Account.id == Delivery.account_id)
        .where(due_condition(now), Account.status == "active")) or 0)


def unclaim(session: Session, worker: str) -> int:
    """Put ``worker``'s claimed (unsent) deliveries back as scheduled, or retry_scheduled
    if they were tried before, without a lease; returns how many rows changed."""
    result = session.execute(
        update(Delivery).where(Delivery.lease_owner == worker,
                               Delivery.status == DeliveryStatus.CLAIMED)
        .values(status=case((Delivery.attempts > 0, DeliveryStatus.RETRY_SCHEDULED.value),
                             else_=DeliveryStatus.SCHEDULED.value),
                lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def end_sending_leases(session: Session, worker: str, now: datetime) -> int:
    """End at ``now`` the leases ``worker`` holds on publishing and unconfirmed deliveries;
    returns how many rows changed."""
    result = session.execute(
        update(Delivery).where(Delivery.lease_owner == worker,
                               Delivery.status.in_([DeliveryStatus.PUBLISHING,
                                                    DeliveryStatus.UNCONFIRMED]))
        .values(lease_expires_at=now).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def live_lease_owners(session: Session, like: str, *, other_than: str,
                      now: datetime) -> list[str | None]:
    """The distinct lease owners matching the SQL pattern ``like``, except ``other_than``,
    with a lease still live after ``now``."""
    return list(session.scalars(
        select(Delivery.lease_owner).distinct()
        .where(Delivery.lease_owner.like(like), Delivery.lease_owner != other_than,
               Delivery.lease_expires_at > now)).all())


def end_leases_of(session: Session, owners: list[str], now: datetime) -> int:
    """End at ``now`` every lease the given owners hold; returns how many rows changed."""
    result = session.execute(
        update(Delivery).where(Delivery.lease_owner.in_(owners))
        .values(lease_expires_at=now).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def latest_live_delivery(session: Session, variant_id: int) -> Delivery | None:
    """The newest delivery of the target that is neither canceled nor dead, or None."""
    return session.scalar(select(Delivery).where(
        Delivery.variant_id == variant_id, Delivery.status.not_in(["canceled", "dead"]))
        .order_by(Delivery.id.desc()).limit(1))


@functools.cache
def _post_statuses(postgres: bool) -> Select[int, str]:
    return (select(Variant.post_id, Delivery.status).join(Variant)
            .where(one_of(cast(ColumnElement[int], Variant.post_id), "pids", postgres=postgres),
                   Delivery.status != constant("canceled", postgres=postgres)))


def posts_delivery_statuses(session: Session, post_ids: Collection[int]) -> dict[int, list[str]]:
    """The status of each of these posts' deliveries that is not canceled, by post id
    (a post without one is absent)."""
    # Only the columns, through Core (every settle derives the post's status: no ORM here).
    out: dict[int, list[str]] = {}
    statement = _post_statuses(is_postgres(session))
    for post_id, status in session.connection().execute(statement, {"pids": list(post_ids)}):
        out.setdefault(post_id, []).append(status)
    return out


def post_deliveries_in(session: Session, post_id: int, statuses: Collection[str]
                       ) -> list[Delivery]:
    """The post's deliveries in one of ``statuses``."""
    return list(session.scalars(select(Delivery).join(Variant).where(
        Variant.post_id == post_id, Delivery.status.in_(list(statuses)))))


def deliveries_of_variants(session: Session, variant_ids: list[int]) -> list[Delivery]:
    """Every delivery of these targets, oldest first (by id)."""
    return list(session.scalars(select(Delivery).where(
        Delivery.variant_id.in_(variant_ids)).order_by(Delivery.id)))


def count_unfinished(session: Session, ids: Collection[int],
                     finished: Collection[str]) -> int:
    """How many of the deliveries ``ids`` are in none of the ``finished`` statuses."""
    return int(session.scalar(select(func.count(Delivery.id)).where(
        Delivery.id.in_(list(ids)), Delivery.status.not_in(list(finished)))) or 0)


def deliveries_due_first(session: Session, ids: Collection[int]) -> list[Delivery]:
    """The deliveries ``ids`` that exist, soonest due first."""
    return list(session.scalars(select(Delivery).where(Delivery.id.in_(list(ids)))
                                .order_by(Delivery.due_at)))
