"""The use cases behind ``socialhub webhooks list|test|log`` and the daemon's ``webhooks``
job. Secrets are never part of an answer: an endpoint shows whether it signs, not with
what, and its URL without the query string (which may hold a receiver's token)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from socialhub.core.policy import Permission
from socialhub.db.models import WebhookDelivery
from socialhub.db.queries import webhooks as queries
from socialhub.errors import NotFoundError, ValidationError
from socialhub.services.clock import now_utc
from socialhub.services.context import Ctx, use_case
from socialhub.services.events import Event
from socialhub.services.paging import WEBHOOK_LOG, Page, Window, fetch_size, keyed_page
from socialhub.services.webhooks import outbox
from socialhub.services.webhooks.hooks import TEST_EVENT, endpoint, where

#: What a delivery may be filtered by in ``webhooks log --status``.
STATUSES = ("pending", "sending", "failed", "delivered", "dead")
#: Opens a ``Ctx`` in a transaction of its own (``hub.context(channel)``).
OpenCtx = Callable[[], AbstractContextManager[Ctx]]


def delivery_view(row: WebhookDelivery) -> dict[str, Any]:
    """One delivery as the log shows it (no body: it may hold people's words)."""
    return {"id": row.id, "webhook_id": row.webhook_id, "endpoint": row.endpoint,
            "event": row.event, "subject": row.subject, "status": row.status,
            "attempts": row.attempts, "last_http_status": row.last_http_status,
            "last_error": row.last_error, "duration_ms": row.duration_ms,
            "created_at": row.created_at, "last_attempt_at": row.last_attempt_at,
            "next_attempt_at": (row.next_attempt_at if row.status in ("pending", "failed")
                                else None),
            "delivered_at": row.delivered_at}


@use_case(Permission.WEBHOOKS_READ)
def list_webhooks(ctx: Ctx) -> list[dict[str, Any]]:
    """The configured endpoints: name, URL (no query string), subscribed events, whether
    requests are signed, counts by status and the newest delivery. Never the secret."""
    last = queries.last_webhook_deliveries(ctx.session, ctx.org_id)
    counts = queries.webhook_counts(ctx.session, ctx.org_id)
    found = []
    for hook in ctx.settings.daemon.webhooks:
        name = hook.endpoint_name()
        newest = last.get(name)
        found.append({
            "name": name, "url": where(hook.url), "events": list(hook.events),
            "signed": bool(hook.secret is not None and hook.secret.get_secret_value()),
            "deliveries": {s: n for (e, s), n in sorted(counts.items()) if e == name},
            "last_delivery": None if newest is None else delivery_view(newest)})
    return found


@use_case(Permission.WEBHOOKS_READ)
def webhook_log(ctx: Ctx, *, endpoint_name: str | None = None, status: str | None = None,
                limit: int | None = 50, offset: int = 0) -> list[dict[str, Any]]:
    """The newest deliveries first: status, attempts, last HTTP status and error, the
    next attempt's time, how long the last send took.

    Raises:
        ValidationError: an unknown status, or a limit below 1.
    """
    if limit is not None and limit < 1:
        raise ValidationError("--limit must be at least 1")
    return webhook_log_page(ctx, Window(limit, offset), endpoint_name=endpoint_name,
                            status=status).items


@use_case(Permission.WEBHOOKS_READ)
def webhook_log_page(ctx: Ctx, window: Window, *, endpoint_name: str | None = None,
                     status: str | None = None) -> Page[dict[str, Any]]:
    """The page ``window`` of :func:`webhook_log` (older than the cursor's delivery),
    with the cursor of the next page when there is one; not counted.

    Raises:
        ValidationError: an unknown status.
    """
    if status is not None and status not in STATUSES:
        raise ValidationError(f"unknown status {status!r} (use {', '.join(STATUSES)})")
    rows = queries.webhook_log(ctx.session, ctx.org_id, endpoint=endpoint_name,
                               status=status, limit=fetch_size(window), offset=window.offset,
                               after=None if window.after is None else window.after[0])
    return keyed_page(rows, window, WEBHOOK_LOG, lambda row: (row.id,),
                      lambda shown: [delivery_view(row) for row in shown], None)


@use_case(Permission.WEBHOOKS_READ)
def count_webhook_log(ctx: Ctx, *, endpoint_name: str | None = None,
                      status: str | None = None) -> int:
    """How many deliveries ``webhook_log`` would list with no limit."""
    return queries.count_webhook_log(ctx.session, ctx.org_id, endpoint=endpoint_name,
                                     status=status)


@use_case(Permission.WEBHOOKS_MANAGE)
def queue_test_webhook(ctx: Ctx, name: str) -> int:
    """Record a signed ``webhook.test`` delivery to the endpoint ``name``; its id (send
    it with :func:`deliver_webhooks` once this transaction committed).

    Raises:
        NotFoundError: no endpoint is called ``name``.
    """
    hook = endpoint(ctx.settings, name)
    if hook is None:
        known = ", ".join(h.endpoint_name() for h in ctx.settings.daemon.webhooks) or "none"
        raise NotFoundError(f"no webhook endpoint {name!r} (configured: {known})",
                            hint="daemon.webhooks in the config; see socialhub webhooks list")
    event = Event(TEST_EVENT, org_id=ctx.org_id, subject=name, actor=ctx.actor.name,
                  channel=ctx.channel, data={"message": "a test from socialhub webhooks test"})
    row = outbox.new_row(ctx.org_id, hook, TEST_EVENT, event, ctx.now())
    ctx.session.add(row)
    ctx.session.flush()
    return row.id


@use_case(Permission.WEBHOOKS_SEND)
def claim_webhooks(ctx: Ctx, *, ids: list[int] | None = None,
                   limit: int = 50) -> list[outbox.Claim]:
    """Mark the deliveries due now (only ``ids`` when given) as being sent by the caller."""
    return outbox.claim(ctx.session, ctx.org_id, ctx.now(), ctx.settings, ids=ids,
                        limit=limit)


@use_case(Permission.WEBHOOKS_SEND)
def finish_webhook(ctx: Ctx, claimed: outbox.Claim,
                   outcome: outbox.Outcome) -> dict[str, Any] | None:
    """Record how sending ``claimed`` went (delivered, failed with its next attempt, or
    dead); the delivery as the log shows it."""
    row = outbox.finish(ctx.session, claimed, outcome, ctx.settings, ctx.now())
    return None if row is None else delivery_view(row)


def deliver_webhooks(open_ctx: OpenCtx, *, ids: list[int] | None = None,
                     limit: int = 50) -> list[dict[str, Any]]:
    """Send the deliveries that are due (only ``ids`` when given), each in three steps
    so no transaction waits on a receiver: claim, POST, record. Each delivery as the log
    shows it after the send, with ``response`` (the start of the receiver's answer).

    The daemon's ``webhooks`` job and ``webhooks test`` call this; the permission checks
    are those of :func:`claim_webhooks` and :func:`finish_webhook`.
    """
    with open_ctx() as ctx:
        claimed = claim_webhooks(ctx, ids=ids, limit=limit)
        settings = ctx.settings
    done = []
    for one in claimed:
        outcome = outbox.send(settings, one)
        with open_ctx() as ctx:
            view = finish_webhook(ctx, one, outcome)
        if view is not None:
            done.append({**view, "response": outcome.response})
    return done


def organizations_due(session: Session) -> list[str]:
    """The organizations with webhook deliveries due now, by name (what the daemon's job
    goes through; a daemon login sees every organization)."""
    return queries.organizations_with_due_webhooks(session, now_utc())


#: How long delivered and dead deliveries stay in the log.
KEEP_LOG = timedelta(days=30)


def forget_old_deliveries(session: Session) -> int:
    """Delete delivered and dead deliveries older than :data:`KEEP_LOG` (the daemon's
    job does this, so the log does not grow without end); how many."""
    return queries.delete_finished_webhook_deliveries(session, now_utc() - KEEP_LOG)
