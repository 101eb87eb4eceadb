"""Claiming due deliveries with a lease, and giving leases back.

A claim is one short write transaction. On PostgreSQL the candidate rows are
read with ``SELECT … FOR UPDATE SKIP LOCKED``, so several daemons on one
database each get different rows without waiting on one another; on SQLite
the engine opens every transaction with ``BEGIN IMMEDIATE`` (see
``db/engine.py``), which makes the claim exclusive. Either way the claim
re-reads each row's status inside the transaction, so a delivery canceled a
moment earlier is never taken.

The per-account concurrency cap holds across daemons: on PostgreSQL claims
are serialised by an advisory lock and count what other daemons hold live
leases on (``in_flight_elsewhere``). The per-platform cap is each daemon's
own: it sizes a daemon's share of the work.

A lease is ``lease_owner`` + ``lease_expires_at`` on the Delivery row. A
crashed daemon's lease simply expires; what happens then depends on how far it
got: a ``claimed`` delivery was never sent and is sent again, while a
``publishing`` one may have reached the platform and becomes ``unconfirmed``,
to be looked up rather than resent.
"""

from __future__ import annotations

import os
import socket
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from socialhub.core.status import DeliveryStatus
from socialhub.db.models import Account, Delivery

SEND = "send"
RECONCILE = "reconcile"
_FRESH = (DeliveryStatus.SCHEDULED, DeliveryStatus.RETRY_SCHEDULED)
_LEASED = (DeliveryStatus.CLAIMED, DeliveryStatus.PUBLISHING)


@dataclass(frozen=True)
class Claim:
    """One delivery this worker now holds the lease on, and what to do with it."""

    delivery_id: int
    account_id: int
    platform: str
    mode: str  # SEND or RECONCILE


def make_worker_id() -> str:
    """A lease owner name unique to this process: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}"


def _due_condition(now: datetime) -> ColumnElement[bool]:
    no_lease = or_(Delivery.lease_expires_at.is_(None), Delivery.lease_expires_at <= now)
    return or_(
        and_(Delivery.status.in_([*_FRESH, DeliveryStatus.UNCONFIRMED]),
             Delivery.next_attempt_at <= now, no_lease),
        and_(Delivery.status.in_(_LEASED), Delivery.lease_expires_at <= now),
    )


def claim_due_deliveries(
    session: Session, worker: str, now: datetime, *, limit: int, lease_seconds: float,
    accept: Callable[[int, str], bool] | None = None,
    skip_platforms: Collection[str] = (), skip_accounts: Collection[int] = (),
) -> list[Claim]:
    """Take the lease on up to ``limit`` due deliveries of active accounts, oldest first.

    Args:
        session: a session in a fresh transaction (committed by the caller).
        worker: the lease owner to record.
        now: the current instant (UTC).
        limit: how many to claim at most.
        lease_seconds: how long the lease lasts unless renewed.
        accept: ``accept(account_id, platform)`` may refuse a candidate (concurrency
            caps); it is called once per candidate in order and must count what it accepts.
        skip_platforms: platforms not to consider at all (their cap is reached).
        skip_accounts: accounts not to consider at all (their cap is reached).

    Returns:
        The claims, in due order. ``publishing`` rows whose lease expired come
        back as RECONCILE claims and are marked ``unconfirmed`` here.
    """
    if limit <= 0:
        return []
    q = (select(Delivery, Account.platform).join(Account, Account.id == Delivery.account_id)
         .where(_due_condition(now), Account.status == "active")
         .order_by(Delivery.next_attempt_at, Delivery.id)
         .limit(limit * 2 if accept else limit))
    if skip_platforms:
        q = q.where(Account.platform.not_in(list(skip_platforms)))
    if skip_accounts:
        q = q.where(Delivery.account_id.not_in(list(skip_accounts)))
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True, of=Delivery)
    claims: list[Claim] = []
    until = now + timedelta(seconds=lease_seconds)
    for delivery, platform in session.execute(q).all():
        if len(claims) >= limit:
            break
        if accept is not None and not accept(delivery.account_id, platform):
            continue
        if delivery.status == DeliveryStatus.PUBLISHING:
            # The owner died mid-send: the post may exist, so it is looked up, never resent.
            delivery.status = DeliveryStatus.UNCONFIRMED
            delivery.last_error = "the daemon stopped while sending; checking whether it went out"
            delivery.last_error_class = "OutcomeUnknownError"
        mode = RECONCILE if delivery.status == DeliveryStatus.UNCONFIRMED else SEND
        if mode == SEND:
            delivery.status = DeliveryStatus.CLAIMED
        delivery.lease_owner = worker
        delivery.lease_expires_at = until
        claims.append(Claim(delivery.id, delivery.account_id, platform, mode))
    return claims


#: pg_advisory_xact_lock key that serialises claims across daemons ("sh-claim").
CLAIM_LOCK_KEY = 0x73682D636C61696D


def in_flight_elsewhere(session: Session, worker: str, now: datetime) -> Counter[int]:
    """Per account, the sends and look-ups other daemons hold live leases on.

    So ``daemon.concurrency_per_account`` holds across daemons. On PostgreSQL
    this first takes a transaction-level advisory lock, so the claims of
    several daemons run one after another (each a few milliseconds) and each
    sees the others' committed claims; the lock ends with the caller's
    transaction. On SQLite there is one daemon per database (its claims are
    exclusive anyway) and nothing is counted.
    """
    if session.get_bind().dialect.name != "postgresql":
        return Counter()
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK_KEY})
    rows = session.execute(
        select(Delivery.account_id, func.count())
        .where(Delivery.status.in_([*_LEASED, DeliveryStatus.UNCONFIRMED]),
               Delivery.lease_owner != worker, Delivery.lease_expires_at > now)
        .group_by(Delivery.account_id))
    return Counter({account_id: count for account_id, count in rows})


def next_due_at(session: Session, now: datetime) -> datetime | None:
    """The earliest future instant a claim could find work (a due time or a lease expiry)."""
    due = session.scalar(
        select(func.min(Delivery.next_attempt_at)).join(Account, Account.id == Delivery.account_id)
        .where(Delivery.status.in_([*_FRESH, DeliveryStatus.UNCONFIRMED]),
               Account.status == "active", Delivery.next_attempt_at > now))
    lease = session.scalar(
        select(func.min(Delivery.lease_expires_at))
        .where(Delivery.status.in_([*_LEASED, DeliveryStatus.UNCONFIRMED]),
               Delivery.lease_expires_at > now))
    candidates = [t for t in (due, lease) if t is not None]
    return min(candidates) if candidates else None


def count_due(session: Session, now: datetime) -> int:
    """How many deliveries a claim could take right now (for the queue-depth gauge)."""
    return int(session.scalar(
        select(func.count(Delivery.id)).join(Account, Account.id == Delivery.account_id)
        .where(_due_condition(now), Account.status == "active")) or 0)


def release_leases(session: Session, worker: str, now: datetime) -> int:
    """Give back every lease ``worker`` holds (shutdown); returns how many rows changed.

    Claimed-but-unsent deliveries go back to the queue as they were; a send
    still in flight keeps its status and its lease ends now, so another daemon
    reconciles it at once.
    """
    changed = 0
    result = session.execute(
        update(Delivery).where(Delivery.lease_owner == worker,
                               Delivery.status == DeliveryStatus.CLAIMED)
        .values(status=case((Delivery.attempts > 0, DeliveryStatus.RETRY_SCHEDULED.value),
                             else_=DeliveryStatus.SCHEDULED.value),
                lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False))
    changed += int(getattr(result, "rowcount", 0) or 0)
    result = session.execute(
        update(Delivery).where(Delivery.lease_owner == worker,
                               Delivery.status.in_([DeliveryStatus.PUBLISHING,
                                                    DeliveryStatus.UNCONFIRMED]))
        .values(lease_expires_at=now).execution_options(synchronize_session=False))
    changed += int(getattr(result, "rowcount", 0) or 0)
    return changed


def expire_dead_local_leases(session: Session, now: datetime, *, own_worker: str) -> int:
    """End the leases of daemons on this host whose process is gone (SIGKILL, crash).

    Without this a restarted daemon waits ``lease_seconds`` for its own dead
    predecessor's leases. Only owners named ``<this host>:<pid>:…`` with a pid
    that no longer exists are touched; other hosts' leases expire on their own.
    """
    host = socket.gethostname()
    owners = session.scalars(
        select(Delivery.lease_owner).distinct()
        .where(Delivery.lease_owner.like(f"{host}:%"), Delivery.lease_owner != own_worker,
               Delivery.lease_expires_at > now)).all()
    dead = [o for o in owners if o and not _pid_alive(o)]
    if not dead:
        return 0
    result = session.execute(
        update(Delivery).where(Delivery.lease_owner.in_(dead))
        .values(lease_expires_at=now).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def _pid_alive(owner: str) -> bool:
    try:
        pid = int(owner.split(":")[1])
    except (IndexError, ValueError):
        return True  # not one of ours: leave it alone
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
