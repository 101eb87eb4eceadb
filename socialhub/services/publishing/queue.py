"""The delivery queue as people see it: list, show, retry, cancel, and publish now.

Every failure is visible here with the reason a person can act on
(``last_error``), and every action re-checks the delivery's state inside its
transaction, so it cannot race the daemon into sending something twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from socialhub.core.policy import Permission
from socialhub.core.status import DeliveryStatus
from socialhub.db.models import Attempt, Delivery
from socialhub.db.queries import queue as queries
from socialhub.errors import ConflictError, NotFoundError, ValidationError
from socialhub.services.accounts.accounts import connect_advice, publish_blocker
from socialhub.services.announce import notify_schedule_changed
from socialhub.services.audit import changes, record_event, snapshot
from socialhub.services.authoring.scheduling import refresh_post_status
from socialhub.services.context import Ctx, use_case
from socialhub.services.paging import QUEUE, Page, Window, fetch_size, keyed_page

ALL_STATUSES = tuple(s.value for s in DeliveryStatus)
#: What ``queue list`` shows by default: everything not finished well.
OPEN_STATUSES = ("scheduled", "retry_scheduled", "claimed", "publishing", "unconfirmed", "dead")
MANUAL_RETRY = "manual_retry"


#: The fields of a delivery the audit trail compares before and after a retry or cancel.
DELIVERY_FIELDS = ("status", "next_attempt_at", "lease_owner", "lease_expires_at")


def _get(session: Session, org_id: int, delivery_id: int) -> Delivery:
    d = queries.delivery_in_org(session, org_id, delivery_id)
    if d is None:
        raise NotFoundError(f"no delivery with id {delivery_id} (see `socialhub queue list`)")
    return d


def delivery_row(d: Delivery) -> dict[str, Any]:
    """Plain data for one delivery (tables, --json)."""
    blocker = publish_blocker(d.account)
    waiting = blocker is not None and d.status in OPEN_STATUSES[:5]
    return {"id": d.id, "post": d.variant.post.name, "account": d.account.ref,
            "status": d.status, "due_at": d.due_at, "next_attempt_at": d.next_attempt_at,
            "attempts": d.attempts, "remote_id": d.remote_id, "remote_url": d.remote_url,
            "published_at": d.published_at, "last_error": d.last_error,
            "error_class": d.last_error_class,
            "waiting_for": f"account {d.account.ref} is {blocker}" if waiting else None,
            "parts_published": len(d.thread_progress or []), "parts": len(d.variant.parts)}


def _wanted(statuses: list[str] | None) -> list[str]:
    wanted = list(statuses or OPEN_STATUSES)
    if "all" in wanted:
        wanted = list(ALL_STATUSES)
    unknown = [s for s in wanted if s not in ALL_STATUSES]
    if unknown:
        raise ValidationError(f"unknown status {unknown[0]!r} (one of: {', '.join(ALL_STATUSES)}, "
                              "all)")
    return wanted


@use_case(Permission.QUEUE_READ)
def list_queue(ctx: Ctx, *, statuses: list[str] | None = None,
               limit: int | None = 200, offset: int = 0) -> list[dict[str, Any]]:
    """Deliveries in ``statuses`` (default: not finished well), soonest due first.

    ``limit`` and ``offset`` page in SQL (``limit=None``: every one), in a
    stable order (ties broken by id).

    Raises:
        ValidationError: an unknown status name.
    """
    return queue_page(ctx, Window(limit, offset), statuses=statuses).items


@use_case(Permission.QUEUE_READ)
def queue_page(ctx: Ctx, window: Window, *,
               statuses: list[str] | None = None) -> Page[dict[str, Any]]:
    """The page ``window`` of :func:`list_queue` (after the cursor's delivery), with the
    cursor of the next page when there is one; not counted.

    Raises:
        ValidationError: an unknown status name.
    """
    rows = queries.deliveries_in(ctx.session, ctx.org_id, _wanted(statuses),
                                 offset=window.offset, limit=fetch_size(window),
                                 after=window.after)
    return keyed_page(rows, window, QUEUE, lambda d: (d.next_attempt_at, d.id),
                      lambda shown: [delivery_row(d) for d in shown], None)


@use_case(Permission.QUEUE_READ)
def count_queue(ctx: Ctx, *, statuses: list[str] | None = None) -> int:
    """How many deliveries :func:`list_queue` would return with no limit.

    Raises:
        ValidationError: an unknown status name.
    """
    return queries.count_deliveries_in(ctx.session, ctx.org_id, _wanted(statuses))


@use_case(Permission.QUEUE_READ)
def show_delivery(ctx: Ctx, delivery_id: int) -> dict[str, Any]:
    """One delivery with its parts and every attempt.

    Raises:
        NotFoundError: no such delivery in this organization.
    """
    session, org_id = ctx.session, ctx.org_id
    d = _get(session, org_id, delivery_id)
    attempts = queries.attempts_of(session, d.id)
    return {**delivery_row(d), "idempotency_key": d.idempotency_key,
            "lease_owner": d.lease_owner, "lease_expires_at": d.lease_expires_at,
            "thread_progress": list(d.thread_progress or []),
            "attempt_log": [{"id": a.id, "worker": a.worker, "started_at": a.started_at,
                             "ended_at": a.ended_at, "outcome": a.outcome,
                             "http_status": a.http_status, "error_class": a.error_class,
                             "error_message": a.error_message} for a in attempts]}


@use_case(Permission.QUEUE_MANAGE)
def retry_delivery(ctx: Ctx, delivery_id: int, *, now: datetime,
                   actor: str = "cli") -> dict[str, Any]:
    """Put a dead, waiting or unconfirmed delivery back in line now, with a fresh retry budget.

    An unconfirmed delivery is looked up again (not resent blindly); a dead one
    is sent again — after a "could not confirm" death the person has checked
    the account and says it is missing.

    Raises:
        ConflictError: the delivery is published, canceled or being sent right now.
    """
    session, org_id = ctx.session, ctx.org_id
    d = _get(session, org_id, delivery_id)
    if d.status in ("published", "canceled", "publishing", "claimed"):
        raise ConflictError(f"delivery {d.id} is {d.status}; nothing to retry")
    before = snapshot(d, DELIVERY_FIELDS)
    if d.status == DeliveryStatus.DEAD:
        d.status = DeliveryStatus.RETRY_SCHEDULED
    d.next_attempt_at = now
    d.lease_owner = d.lease_expires_at = None
    session.add(Attempt(delivery_id=d.id, worker=actor, started_at=now, ended_at=now,
                        outcome=MANUAL_RETRY))
    refresh_post_status(session, d.variant.post)
    record_event(session, org_id, "retry", "Delivery", record_id=d.id,
                 name=d.variant.post.name, change=changes(before, snapshot(d, DELIVERY_FIELDS)))
    notify_schedule_changed(session)
    row = delivery_row(d)
    blocker = publish_blocker(d.account)
    if blocker is not None:
        row["hint"] = f"account {d.account.ref} is {blocker}; {connect_advice(d.account)}"
    return row


@use_case(Permission.QUEUE_MANAGE)
def cancel_delivery(ctx: Ctx, delivery_id: int) -> dict[str, Any]:
    """Cancel one delivery; the daemon re-checks inside its claim, so it never goes out.

    Raises:
        ConflictError: it is being sent right now, or already finished.
    """
    session, org_id = ctx.session, ctx.org_id
    d = _get(session, org_id, delivery_id)
    if d.status == DeliveryStatus.PUBLISHING:
        raise ConflictError(f"delivery {d.id} is being sent right now; cancel it after it ends "
                            "(and delete the post on the platform if needed)")
    if d.status in ("published", "canceled", "dead"):
        raise ConflictError(f"delivery {d.id} is already {d.status}")
    before = snapshot(d, DELIVERY_FIELDS)
    d.status = DeliveryStatus.CANCELED
    d.lease_owner = d.lease_expires_at = None
    refresh_post_status(session, d.variant.post)
    record_event(session, org_id, "cancel", "Delivery", record_id=d.id, name=d.variant.post.name,
                 change=changes(before, snapshot(d, DELIVERY_FIELDS)))
    return delivery_row(d)


def deliveries_done(session: Session, ids: list[int]) -> bool:
    """True when none of ``ids`` can still change on its own (published, dead, canceled, paused)."""
    for d in queries.deliveries_by_id(session, ids):
        if d.status in ("published", "dead", "canceled"):
            continue
        if d.account.status != "active":
            continue  # waiting for a person: done as far as waiting goes
        return False
    return True

