"""Recording a send, one short transaction per step: attempt, each part, the outcome.

These steps are what make a send exactly-once (see ``delivery_publish``): the
Attempt is committed before the platform is called, each part's remote id
the moment it is known, and the outcome last, with the post's status
derived again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.orm import Session

from socialhub.core.status import DeliveryStatus
from socialhub.db.models import Account, Attempt, Delivery, Post, Variant
from socialhub.platforms.base import PublishedPart, PublishRequest
from socialhub.services.authoring.scheduling import refresh_post_status
from socialhub.services.clock import now_utc
from socialhub.services.publishing.delivery_claim import Claim
from socialhub.services.publishing.delivery_outcome import (
    BUDGET_OUTCOMES,
    Outcome,
    SendContext,
    backoff_delay,
    media_items,
    part_dict,
    parts_from,
    with_db_retry,
)

log = logging.getLogger(__name__)

# The hot path uses Core statements on one joined row instead of ORM objects with lazy
# relationships: fewer queries, and a shorter hold on SQLite's single write lock.
@dataclass
class Started:
    attempt_id: int
    request: PublishRequest
    post_id: int
    summary: dict[str, Any]


_D, _A, _P = (cast(Table, m.__table__) for m in (Delivery, Attempt, Post))
# Statements built once: building SQLAlchemy constructs per call costs more than running them.
_SELECT = (select(
    _D.c.id, _D.c.status, _D.c.lease_owner, _D.c.attempts, _D.c.thread_progress,
    _D.c.idempotency_key, _D.c.remote_id, _D.c.remote_url, _D.c.last_error,
    _D.c.last_error_class, _D.c.next_attempt_at, _D.c.due_at, _D.c.published_at,
    _P.c.id.label("post_id"), _P.c.name.label("post_name"), _P.c.status.label("post_status"),
    Account.platform, Account.handle, Variant.text, Variant.thread, Variant.media,
    Variant.first_comment, Variant.options)
    .select_from(_D.join(Variant.__table__, Variant.id == _D.c.variant_id)
                 .join(_P, _P.c.id == Variant.post_id)
                 .join(Account.__table__, Account.id == _D.c.account_id)))
_LOAD = _SELECT.where(_D.c.id == bindparam("did"))
_UPDATE_D = _D.update().where(_D.c.id == bindparam("did"))
_INSERT_A = _A.insert().returning(_A.c.id)
_UPDATE_A = _A.update().where(_A.c.id == bindparam("aid"))
_POST_PUBLISHING = (_P.update().where(_P.c.id == bindparam("pid"), _P.c.status != "canceled")
                    .values(status="publishing"))
_PROGRESS = select(_D.c.thread_progress, _D.c.lease_owner).where(_D.c.id == bindparam("did"))
_WRITABLE = ("status", "next_attempt_at", "thread_progress", "remote_id", "remote_url",
             "published_at", "last_error", "last_error_class", "lease_owner", "lease_expires_at")


def _load(session: Any, delivery_id: int) -> SimpleNamespace | None:
    row = session.connection().execute(_LOAD, {"did": delivery_id}).mappings().one_or_none()
    return None if row is None else SimpleNamespace(**row)


def _write(session: Any, d: SimpleNamespace, **values: Any) -> None:
    session.connection().execute(_UPDATE_D, {"did": d.id, **values})


def _request(d: SimpleNamespace) -> PublishRequest:
    parts = [str(p) for p in d.thread] if d.thread else [d.text]
    return PublishRequest(idempotency_key=d.idempotency_key, parts=parts,
                          media=media_items(d.media), first_comment=d.first_comment,
                          options=dict(d.options or {}),
                          already_published=parts_from(d.thread_progress))


def _summary(d: SimpleNamespace) -> dict[str, Any]:
    return {"delivery_id": d.id, "post": d.post_name, "post_id": d.post_id,
            "account": f"{d.platform}:@{d.handle}", "due_at": d.due_at, "status": d.status,
            "attempts": d.attempts, "remote_id": d.remote_id, "remote_url": d.remote_url,
            "last_error": d.last_error}


def start_attempt(ctx: SendContext, delivery_id: int) -> Started | None:
    """Re-check a claimed delivery and commit its Attempt; None when it must not go out."""
    now = now_utc()
    with ctx.tx() as session:
        d = _load(session, delivery_id)
        if d is None or d.lease_owner != ctx.worker or d.status != DeliveryStatus.CLAIMED:
            return None
        if d.post_status == "canceled":
            _write(session, d, status=DeliveryStatus.CANCELED, lease_owner=None,
                   lease_expires_at=None)
            return None
        d.status, d.attempts = DeliveryStatus.PUBLISHING, d.attempts + 1
        _write(session, d, status=d.status, attempts=d.attempts,
               lease_expires_at=now + timedelta(seconds=ctx.policy.lease_seconds))
        conn = session.connection()
        attempt_id = conn.execute(_INSERT_A, {
            "delivery_id": d.id, "worker": ctx.worker, "started_at": now,
            "outcome": "sending"}).scalar_one()
        # What refresh_post_status would derive while a delivery is being sent.
        conn.execute(_POST_PUBLISHING, {"pid": d.post_id})
        return Started(attempt_id, _request(d), d.post_id, _summary(d))


_LOAD_MANY = _SELECT.where(_D.c.id.in_(bindparam("ids", expanding=True)))
_INSERT_A_MANY = _A.insert().returning(_A.c.id, _A.c.delivery_id, sort_by_parameter_order=True)


def begin_attempts(session: Session, ctx: SendContext, ids: list[int]) -> dict[int, Started]:
    """Start the Attempt of many just-claimed deliveries inside the claim's transaction.

    Same checks and writes as ``start_attempt``, batched: the claim commits with
    the deliveries already ``publishing``, so a crash before the call leaves them
    to be looked up (the caller only batches platforms that can be looked up or
    dedupe keys themselves). Canceled posts are marked canceled and left out.
    """
    if not ids:
        return {}
    session.flush()  # the claim's ORM changes first, so these statements win
    now = now_utc()
    conn = session.connection()
    rows = [SimpleNamespace(**r) for r in conn.execute(_LOAD_MANY, {"ids": ids}).mappings()]
    mine = [r for r in rows if r.lease_owner == ctx.worker and r.status == DeliveryStatus.CLAIMED]
    canceled = [r for r in mine if r.post_status == "canceled"]
    live = [r for r in mine if r.post_status != "canceled"]
    if canceled:
        conn.execute(_UPDATE_D, [{"did": r.id, "status": DeliveryStatus.CANCELED,
                                  "lease_owner": None, "lease_expires_at": None}
                                 for r in canceled])
    if not live:
        return {}
    until = now + timedelta(seconds=ctx.policy.lease_seconds)
    conn.execute(_UPDATE_D, [{"did": r.id, "status": DeliveryStatus.PUBLISHING,
                              "attempts": r.attempts + 1, "lease_expires_at": until}
                             for r in live])
    attempt_ids = {row.delivery_id: row.id for row in conn.execute(_INSERT_A_MANY, [
        {"delivery_id": r.id, "worker": ctx.worker, "started_at": now, "outcome": "sending"}
        for r in live])}
    conn.execute(_P.update().where(_P.c.id.in_({r.post_id for r in live}),
                                   _P.c.status != "canceled").values(status="publishing"))
    started = {}
    for r in live:
        r.status, r.attempts = DeliveryStatus.PUBLISHING, r.attempts + 1
        started[r.id] = Started(attempt_ids[r.id], _request(r), r.post_id, _summary(r))
    return started


def save_part(ctx: SendContext, delivery_id: int, part: PublishedPart) -> None:
    """Commit one published part at once (and renew the lease: the send is alive)."""
    def step() -> None:
        with ctx.tx() as session:
            conn = session.connection()
            row = conn.execute(_PROGRESS, {"did": delivery_id}).one_or_none()
            if row is None:
                return
            progress = [p for p in row.thread_progress or [] if int(p["index"]) != part.index]
            values: dict[str, Any] = {"thread_progress": sorted(
                [*progress, part_dict(part)], key=lambda p: p["index"])}
            if part.index == 0:
                values["remote_id"], values["remote_url"] = part.remote_id, part.url
            if row.lease_owner == ctx.worker:
                values["lease_expires_at"] = now_utc() + timedelta(
                    seconds=ctx.policy.lease_seconds)
            conn.execute(_UPDATE_D, {"did": delivery_id, **values})
    with_db_retry(step, seconds=10.0)


def finish_attempt(ctx: SendContext, delivery_id: int, attempt_id: int | None,
                   outcome: Outcome) -> tuple[str, dict[str, Any]] | None:
    """Commit how an attempt ended; returns (new status, summary) for events."""
    now = now_utc()
    with ctx.tx() as session:
        if attempt_id is not None:
            session.connection().execute(_UPDATE_A, {
                "aid": attempt_id, "ended_at": now, "outcome": outcome.kind,
                "http_status": outcome.http_status, "error_class": outcome.error_class,
                "error_message": outcome.message})
        d = _load(session, delivery_id)
        if d is None or d.status in (DeliveryStatus.PUBLISHED, DeliveryStatus.CANCELED):
            return None  # gone, or someone else settled it meanwhile
        if d.lease_owner not in (None, ctx.worker):
            log.warning("delivery %s: lease was taken over while sending", d.id)
        _apply(ctx, session, d, outcome, now)
        d.lease_owner = d.lease_expires_at = None
        _write(session, d, **{k: getattr(d, k) for k in _WRITABLE})
        post = session.get(Post, d.post_id)
        if post is not None:
            refresh_post_status(session, post)
        return d.status, _summary(d)


def _apply(ctx: SendContext, session: Any, d: Any, outcome: Outcome, now: datetime) -> None:
    if outcome.kind == "published":
        merged = {p.index: p for p in parts_from(d.thread_progress)}
        merged.update({p.index: p for p in outcome.parts})
        parts = [merged[i] for i in sorted(merged)]
        d.thread_progress = [part_dict(p) for p in parts]
        if parts:
            d.remote_id, d.remote_url = parts[0].remote_id, parts[0].url
        d.status, d.published_at = DeliveryStatus.PUBLISHED, now
        d.last_error = d.last_error_class = None
        return
    d.last_error, d.last_error_class = outcome.message, outcome.error_class
    if outcome.kind == "invalid":
        d.status = DeliveryStatus.DEAD
        return
    if outcome.kind == "paused":
        # The account is marked needs_reauth; claims skip it until someone reconnects.
        d.status, d.next_attempt_at = DeliveryStatus.RETRY_SCHEDULED, now
        d.last_error = f"waiting for the account to be reconnected: {outcome.message}"
        return
    failures = count_failures(session, d.id)
    if outcome.kind in ("unknown", "lookup_failed"):
        if failures >= ctx.policy.max_attempts:
            d.status = DeliveryStatus.DEAD
            d.last_error = (f"could not confirm whether it went out after {failures} tries "
                            f"(check the account, then `socialhub queue retry {d.id}` if it is "
                            f"missing): {outcome.message}")
            return
        d.status = DeliveryStatus.UNCONFIRMED
        d.next_attempt_at = now + timedelta(seconds=backoff_delay(failures, ctx.policy, ctx.rng))
        return
    if outcome.kind == "rate_limited" and outcome.until is not None:
        d.status = DeliveryStatus.RETRY_SCHEDULED
        d.next_attempt_at = max(outcome.until, now) + timedelta(seconds=ctx.rng.uniform(0, 1))
        return
    if failures >= ctx.policy.max_attempts:
        d.status = DeliveryStatus.DEAD
        d.last_error = f"gave up after {failures} attempts: {outcome.message}"
        return
    d.status = DeliveryStatus.RETRY_SCHEDULED
    d.next_attempt_at = now + timedelta(seconds=backoff_delay(max(failures, 1), ctx.policy,
                                                              ctx.rng))


def count_failures(session: Any, delivery_id: int) -> int:
    """Attempts that spent the retry budget since the last manual retry (which resets it)."""
    reset = session.scalar(select(func.max(Attempt.id)).where(
        Attempt.delivery_id == delivery_id, Attempt.outcome == "manual_retry")) or 0
    return int(session.scalar(select(func.count(Attempt.id)).where(
        Attempt.delivery_id == delivery_id, Attempt.id > reset,
        Attempt.outcome.in_(BUDGET_OUTCOMES))) or 0)


_EVENTS = {DeliveryStatus.PUBLISHED: "published", DeliveryStatus.DEAD: "dead",
           DeliveryStatus.UNCONFIRMED: "unconfirmed", DeliveryStatus.RETRY_SCHEDULED: "failed"}


def settle(ctx: SendContext, claim: Claim, attempt_id: int | None, outcome: Outcome) -> str:
    """Commit how a claimed delivery ended, log it and send its webhook; its new status."""
    result = with_db_retry(lambda: finish_attempt(ctx, claim.delivery_id, attempt_id, outcome),
                           seconds=ctx.policy.lease_seconds / 2)
    if result is None:
        return "skipped"
    status, summary = result
    event = _EVENTS.get(DeliveryStatus(status))
    if event == "failed" and outcome.kind == "paused":
        event = None  # the needs_reauth event already told the user
    level = logging.INFO if status == DeliveryStatus.PUBLISHED else logging.WARNING
    log.log(level, "delivery %s %s: %s", claim.delivery_id, status,
            summary.get("remote_url") or summary.get("last_error") or "",
            extra={"delivery": claim.delivery_id, "status": str(status), "account":
                   summary.get("account")})
    if event:
        ctx.emit(event, summary)
    return str(status)
