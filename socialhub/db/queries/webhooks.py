"""SQL for the webhook delivery log and retry queue (``webhook_deliveries``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.orm import Session

from socialhub.db.models import Account, Delivery, Organization, WebhookDelivery

#: The statuses a delivery may be (re)sent from once ``next_attempt_at`` has come
#: (``sending`` only when its claim ran out: the process that claimed it died).
SENDABLE = ("pending", "failed", "sending")


def due_webhook_deliveries(session: Session, org_id: int, now: datetime, *,
                           ids: Sequence[int] | None = None,
                           limit: int = 50) -> list[WebhookDelivery]:
    """The organization's deliveries that may be sent now, oldest first (only ``ids``
    when given)."""
    q = (select(WebhookDelivery)
         .where(WebhookDelivery.org_id == org_id,
                WebhookDelivery.status.in_(SENDABLE),
                WebhookDelivery.next_attempt_at <= now)
         .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit))
    if ids is not None:
        q = q.where(WebhookDelivery.id.in_(list(ids)))
    return list(session.scalars(q))


def claim_webhook_delivery(session: Session, row: WebhookDelivery,
                           until: datetime) -> bool:
    """Mark ``row`` as being sent until ``until``; False if another process changed it
    first (its status or due time moved since it was read)."""
    result = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == row.id, WebhookDelivery.status == row.status,
               WebhookDelivery.attempts == row.attempts,
               WebhookDelivery.next_attempt_at == row.next_attempt_at)
        .values(status="sending", next_attempt_at=until)
        .execution_options(synchronize_session=False))
    return getattr(result, "rowcount", 0) == 1


def webhook_log(session: Session, org_id: int, *, endpoint: str | None = None,
                status: str | None = None, limit: int | None = 50,
                offset: int = 0, after: int | None = None) -> list[WebhookDelivery]:
    """The organization's newest deliveries first, optionally of one endpoint or status;
    only those older than the delivery ``after`` (an id) when given, ``offset`` skipped,
    at most ``limit`` (None: every one)."""
    q = _log_filter(select(WebhookDelivery), org_id, endpoint, status)
    if after is not None:
        q = q.where(WebhookDelivery.id < after)
    return list(session.scalars(q.order_by(WebhookDelivery.id.desc())
                                .offset(offset).limit(limit)))


def count_webhook_log(session: Session, org_id: int, *, endpoint: str | None = None,
                      status: str | None = None) -> int:
    """How many deliveries ``webhook_log`` would list with no limit."""
    return session.scalar(_log_filter(select(func.count(WebhookDelivery.id)), org_id,
                                      endpoint, status)) or 0


def _log_filter(q: Select[Any], org_id: int, endpoint: str | None,
                status: str | None) -> Select[Any]:
    q = q.where(WebhookDelivery.org_id == org_id)
    if endpoint is not None:
        q = q.where(WebhookDelivery.endpoint == endpoint)
    if status is not None:
        q = q.where(WebhookDelivery.status == status)
    return q


def last_webhook_deliveries(session: Session, org_id: int) -> dict[str, WebhookDelivery]:
    """Each endpoint's newest delivery, by endpoint name."""
    newest = (select(func.max(WebhookDelivery.id))
              .where(WebhookDelivery.org_id == org_id)
              .group_by(WebhookDelivery.endpoint).scalar_subquery())
    rows = session.scalars(select(WebhookDelivery).where(WebhookDelivery.id.in_(newest)))
    return {row.endpoint: row for row in rows}


def webhook_counts(session: Session, org_id: int) -> dict[tuple[str, str], int]:
    """How many deliveries each endpoint has in each status."""
    rows = session.execute(
        select(WebhookDelivery.endpoint, WebhookDelivery.status, func.count())
        .where(WebhookDelivery.org_id == org_id)
        .group_by(WebhookDelivery.endpoint, WebhookDelivery.status))
    return {(endpoint, status): int(n) for endpoint, status, n in rows}



def delivery_org_id(session: Session, delivery_id: int) -> int | None:
    """The organization of delivery ``delivery_id`` (through its account), if it exists."""
    return session.scalar(select(Account.org_id).join(Delivery, Delivery.account_id == Account.id)
                          .where(Delivery.id == delivery_id))


def organizations_with_due_webhooks(session: Session, now: datetime) -> list[str]:
    """The names of the organizations (visible to the login) with deliveries due by now."""
    due = (select(WebhookDelivery.org_id)
           .where(WebhookDelivery.status.in_(SENDABLE), WebhookDelivery.next_attempt_at <= now)
           .distinct())
    return list(session.scalars(select(Organization.name).where(Organization.id.in_(due))
                                .order_by(Organization.name)))


def delete_finished_webhook_deliveries(session: Session, before: datetime) -> int:
    """Delete the delivered and dead deliveries (of every visible organization) created
    before ``before``; how many."""
    result = session.execute(
        delete(WebhookDelivery)
        .where(WebhookDelivery.status.in_(("delivered", "dead")),
               WebhookDelivery.created_at < before)
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
