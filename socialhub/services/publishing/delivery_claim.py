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
from typing import Any

from sqlalchemy.orm import Session

from socialhub.core.status import DeliveryStatus
from socialhub.db.queries import delivery as queries
from socialhub.db.queries import delivery_records as records
from socialhub.db.queries.delivery import CLAIM_LOCK_KEY

__all__ = ["CLAIM_LOCK_KEY", "RECONCILE", "SEND", "Claim", "active_platforms",
           "claim_due_deliveries", "count_due",
           "expire_dead_local_leases", "in_flight_elsewhere", "make_worker_id", "next_due_at",
           "pick_due_deliveries", "release_leases", "take_leases"]

SEND = "send"
RECONCILE = "reconcile"


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


def claim_due_deliveries(
    session: Session, worker: str, now: datetime, *, limit: int, lease_seconds: float,
    accept: Callable[[int, str], bool] | None = None,
    skip_platforms: Collection[str] = (), skip_accounts: Collection[int] = (),
) -> list[Claim]:
    """Take the lease on up to ``limit`` due deliveries of active accounts, oldest first.

    :func:`pick_due_deliveries` and :func:`take_leases` in one call; arguments and
    result as the first's.
    """
    claims, leases = pick_due_deliveries(
        session, worker, now, limit=limit, lease_seconds=lease_seconds, accept=accept,
        skip_platforms=skip_platforms, skip_accounts=skip_accounts)
    take_leases(session, leases)
    return claims


def take_leases(session: Session, leases: Collection[dict[str, Any]]) -> None:
    """Write the lease rows :func:`pick_due_deliveries` made (with what the caller added)."""
    records.update_deliveries(session, leases)


def pick_due_deliveries(
    session: Session, worker: str, now: datetime, *, limit: int, lease_seconds: float,
    accept: Callable[[int, str], bool] | None = None,
    skip_platforms: Collection[str] = (), skip_accounts: Collection[int] = (),
) -> tuple[list[Claim], list[dict[str, Any]]]:
    """Choose up to ``limit`` due deliveries of active accounts to claim, oldest first, and
    the lease row to write for each (``did``, ``status``, ``lease_owner``,
    ``lease_expires_at``, perhaps ``last_error`` and ``last_error_class``), unwritten:
    the caller may fold the start of a send into a row, then writes them all with
    :func:`take_leases` in the same transaction.

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
        The claims, in due order, and their lease rows. ``publishing`` rows whose lease
        expired come back as RECONCILE claims, their rows marking them ``unconfirmed``.
    """
    if limit <= 0:
        return [], []
    candidates = queries.due_candidates(session, now, limit=limit * 2 if accept else limit,
                                        skip_platforms=skip_platforms,
                                        skip_accounts=skip_accounts)
    claims: list[Claim] = []
    leases: list[dict[str, Any]] = []
    until = now + timedelta(seconds=lease_seconds)
    for delivery in candidates:
        if len(claims) >= limit:
            break
        if accept is not None and not accept(delivery.account_id, delivery.platform):
            continue
        lease: dict[str, Any] = {"did": delivery.id, "lease_owner": worker,
                                    "lease_expires_at": until}
        if delivery.status == DeliveryStatus.PUBLISHING:
            # The owner died mid-send: the post may exist, so it is looked up, never resent.
            lease.update(
                status=DeliveryStatus.UNCONFIRMED, last_error_class="OutcomeUnknownError",
                last_error="the daemon stopped while sending; checking whether it went out")
            mode = RECONCILE
        elif delivery.status == DeliveryStatus.UNCONFIRMED:
            lease["status"] = DeliveryStatus.UNCONFIRMED
            mode = RECONCILE
        else:
            lease["status"] = DeliveryStatus.CLAIMED
            mode = SEND
        leases.append(lease)
        claims.append(Claim(delivery.id, delivery.account_id, delivery.platform, mode))
    return claims, leases


def active_platforms(session: Session) -> list[str]:
    """The platforms a claim could take deliveries of (those of active accounts)."""
    return queries.active_platforms(session)


def in_flight_elsewhere(session: Session, worker: str, now: datetime) -> Counter[int]:
    """Per account, the sends and look-ups other daemons hold live leases on.

    So ``daemon.concurrency_per_account`` holds across daemons. On PostgreSQL
    this first takes a transaction-level advisory lock, so the claims of
    several daemons run one after another (each a few milliseconds) and each
    sees the others' committed claims; the lock ends with the caller's
    transaction. On SQLite there is one daemon per database (its claims are
    exclusive anyway) and nothing is counted.
    """
    if not queries.is_postgres(session):
        return Counter()
    queries.lock_claims(session)
    rows = queries.leases_held_elsewhere(session, worker, now)
    return Counter({account_id: count for account_id, count in rows})


def next_due_at(session: Session, now: datetime) -> datetime | None:
    """The earliest future instant a claim could find work (a due time or a lease expiry)."""
    due = queries.next_due_time(session, now)
    lease = queries.next_lease_expiry(session, now)
    candidates = [t for t in (due, lease) if t is not None]
    return min(candidates) if candidates else None


def count_due(session: Session, now: datetime) -> int:
    """How many deliveries a claim could take right now (for the queue-depth gauge)."""
    return queries.count_due(session, now)


def release_leases(session: Session, worker: str, now: datetime) -> int:
    """Give back every lease ``worker`` holds (shutdown); returns how many rows changed.

    Claimed-but-unsent deliveries go back to the queue as they were; a send
    still in flight keeps its status and its lease ends now, so another daemon
    reconciles it at once.
    """
    changed = 0
    changed += queries.unclaim(session, worker)
    changed += queries.end_sending_leases(session, worker, now)
    return changed


def expire_dead_local_leases(session: Session, now: datetime, *, own_worker: str) -> int:
    """End the leases of daemons on this host whose process is gone (SIGKILL, crash).

    Without this a restarted daemon waits ``lease_seconds`` for its own dead
    predecessor's leases. Only owners named ``<this host>:<pid>:…`` with a pid
    that no longer exists are touched; other hosts' leases expire on their own.
    """
    host = socket.gethostname()
    owners = queries.live_lease_owners(session, f"{host}:%", other_than=own_worker, now=now)
    dead = [o for o in owners if o and not _pid_alive(o)]
    if not dead:
        return 0
    return queries.end_leases_of(session, dead, now)


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
