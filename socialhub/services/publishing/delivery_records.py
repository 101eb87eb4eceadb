"""Recording a send, one short transaction per step: attempt, each part, the outcome.

These steps are what make a send exactly-once (see ``delivery_publish``): the
Attempt is committed before the platform is called, each part's remote id
the moment it is known, and the outcome last, with the post's status
derived again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from socialhub.core.approvals import approvals_required, content_digest, send_blocker
from socialhub.core.status import DeliveryStatus
from socialhub.db.models import Post
from socialhub.db.queries import delivery_records as queries
from socialhub.db.queries.delivery import posts_delivery_statuses
from socialhub.platforms.base import PublishedPart, PublishRequest
from socialhub.services.authoring.scheduling import refresh_post_status, status_from_deliveries
from socialhub.services.clock import now_utc
from socialhub.services.links.shortening import LinkSubject, rendered_parts
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
from socialhub.services.publishing.group_commit import SetStep

log = logging.getLogger(__name__)

@dataclass
class Started:
    attempt_id: int
    request: PublishRequest
    post_id: int
    summary: dict[str, Any]


_WRITABLE = ("status", "next_attempt_at", "thread_progress", "remote_id", "remote_url",
             "published_at", "last_error", "last_error_class", "lease_owner", "lease_expires_at")


# The hot path uses Core statements on one joined row instead of ORM objects with lazy
# relationships: fewer queries, and a shorter hold on SQLite's single write lock. The
# statements are built once, in ``db.queries.delivery_records``.
def _load(session: Any, delivery_id: int) -> SimpleNamespace | None:
    row = queries.send_row(session, delivery_id)
    return None if row is None else SimpleNamespace(**row)


def _write(session: Any, d: SimpleNamespace, **values: Any) -> None:
    queries.update_delivery(session, d.id, values)


def _request(ctx: SendContext, session: Session, d: SimpleNamespace) -> PublishRequest:
    """The request of delivery ``d``: its parts with their links as they are sent (tagged
    for the campaign, or shortened; the same text at every attempt)."""
    parts = [str(p) for p in d.thread] if d.thread else [d.text]
    parts = rendered_parts(session, ctx.hub.config.settings, LinkSubject(
        org_id=d.org_id, post_id=d.post_id, post=d.post_name, campaign=d.campaign_name,
        campaign_utm=d.campaign_utm, variant_id=d.variant_id, account_id=d.account_id,
        platform=d.platform, handle=d.handle), parts)
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
        blocker = approval_blocker(session, d)
        if blocker is not None:
            _write(session, d, **_held(blocker))
            return None
        d.status, d.attempts = DeliveryStatus.PUBLISHING, d.attempts + 1
        _write(session, d, status=d.status, attempts=d.attempts,
               lease_expires_at=now + timedelta(seconds=ctx.policy.lease_seconds))
        attempt_id = queries.insert_attempt(session, {
            "delivery_id": d.id, "worker": ctx.worker, "started_at": now,
            "outcome": "sending"})
        # What refresh_post_status would derive while a delivery is being sent.
        queries.mark_post_publishing(session, d.post_id)
        return Started(attempt_id, _request(ctx, session, d), d.post_id, _summary(d))


def begin_attempts(session: Session, ctx: SendContext,
                   leases: Mapping[int, dict[str, Any]]) -> dict[int, Started]:
    """Start the Attempt of many deliveries being claimed, inside the claim's transaction.

    ``leases`` maps each delivery to the lease row the claim is about to write
    (``pick_due_deliveries``); the same checks and writes as ``start_attempt`` are
    folded into that row, which the caller then writes (``take_leases``): one UPDATE
    per delivery for the lease and the start together. A live delivery's row makes it
    ``publishing`` with one more attempt, and its Attempt is inserted here; a canceled
    post's delivery is marked canceled and an unapproved one held, both left out. The
    claim commits with the deliveries already ``publishing``, so a crash before the call
    leaves them to be looked up (the caller only batches platforms that can be looked up
    or dedupe keys themselves).
    """
    if not leases:
        return {}
    session.flush()  # any pending ORM change first, so these statements win
    now = now_utc()
    rows = [SimpleNamespace(**r) for r in queries.send_rows(session, list(leases))]
    live = []
    for r in rows:
        if r.post_status == "canceled":
            leases[r.id].update(status=DeliveryStatus.CANCELED, lease_owner=None,
                                lease_expires_at=None)
        elif (blocker := approval_blocker(session, r)) is not None:
            leases[r.id].update(_held(blocker))
        else:
            r.status, r.attempts = DeliveryStatus.PUBLISHING, r.attempts + 1
            leases[r.id].update(status=r.status, attempts=r.attempts)
            live.append(r)
    if not live:
        return {}
    attempt_ids = queries.insert_attempts(session, [
        {"delivery_id": r.id, "worker": ctx.worker, "started_at": now, "outcome": "sending"}
        for r in live])
    queries.mark_posts_publishing(session, {r.post_id for r in live})
    return {r.id: Started(attempt_ids[r.id], _request(ctx, session, r), r.post_id, _summary(r))
            for r in live}


def approval_blocker(session: Session, d: SimpleNamespace) -> str | None:
    """Why this delivery's post must not go out for want of an approval, or None.

    Checked when the send starts, against the post's content as it is then: a post
    changed after its approval, or unapproved while approvals are required, never
    goes out. Costs one more query only for posts that carry or need an approval.
    """
    required = approvals_required(d.org_settings, d.campaign_approvals)
    if d.approved_digest is None and not required:
        return None
    digest = content_digest(dict(row) for row in queries.post_content(session, d.post_id))
    return send_blocker(required, d.approved_digest, digest, d.post_name)


def _held(reason: str) -> dict[str, Any]:
    """The columns of a delivery ended for want of an approval (shown by `queue list`)."""
    return {"status": DeliveryStatus.DEAD, "last_error": reason,
            "last_error_class": "ApprovalRequiredError", "lease_owner": None,
            "lease_expires_at": None}


class _Part(NamedTuple):
    ctx: SendContext
    delivery_id: int
    part: PublishedPart


class Finish(NamedTuple):
    """One attempt's end, as ``FINISH`` writes it (``finish_attempt``'s arguments)."""

    ctx: SendContext
    delivery_id: int
    attempt_id: int | None
    outcome: Outcome


def save_part(ctx: SendContext, delivery_id: int, part: PublishedPart) -> None:
    """Commit one published part at once (and renew the lease: the send is alive)."""
    with_db_retry(lambda: ctx.group.run_set(_SAVE_PARTS, _Part(ctx, delivery_id, part)),
                  seconds=10.0)


def _save_parts(session: Session, items: list[_Part]) -> list[None]:
    """``save_part`` of many deliveries (one each): one read, then their writes together."""
    progress = queries.thread_progress_of(session, [i.delivery_id for i in items])
    writes: list[dict[str, Any]] = []
    for ctx, delivery_id, part in items:
        row = progress.get(delivery_id)
        if row is None:
            continue
        kept = [p for p in row.thread_progress or [] if int(p["index"]) != part.index]
        values: dict[str, Any] = {"did": delivery_id, "thread_progress": sorted(
            [*kept, part_dict(part)], key=lambda p: p["index"])}
        if part.index == 0:
            values["remote_id"], values["remote_url"] = part.remote_id, part.url
        if row.lease_owner == ctx.worker:
            values["lease_expires_at"] = now_utc() + timedelta(
                seconds=ctx.policy.lease_seconds)
        writes.append(values)
    queries.update_deliveries(session, writes)
    return [None] * len(items)


def finish_attempt(ctx: SendContext, delivery_id: int, attempt_id: int | None,
                   outcome: Outcome) -> tuple[str, dict[str, Any]] | None:
    """Commit how an attempt ended; returns (new status, summary) for events."""
    return ctx.group.run_set(FINISH, Finish(ctx, delivery_id, attempt_id, outcome))


def _finish_many(session: Session, items: list[Finish]
                 ) -> list[tuple[str, dict[str, Any]] | None]:
    """``finish_attempt`` of many deliveries (one each), in a few statements for all: the
    attempts closed, the deliveries read and written, their posts' statuses derived."""
    now = now_utc()
    closed = [{"aid": i.attempt_id, "ended_at": now, "outcome": i.outcome.kind,
               "http_status": i.outcome.http_status, "error_class": i.outcome.error_class,
               "error_message": i.outcome.message} for i in items if i.attempt_id is not None]
    if closed:
        queries.update_attempts(session, closed)
    rows = {r["id"]: SimpleNamespace(**r)
            for r in queries.settle_rows(session, [i.delivery_id for i in items])}
    settled: list[SimpleNamespace | None] = []
    for ctx, delivery_id, _, outcome in items:
        d = rows.get(delivery_id)
        if d is None or d.status in (DeliveryStatus.PUBLISHED, DeliveryStatus.CANCELED):
            settled.append(None)  # gone, or someone else settled it meanwhile
            continue
        if d.lease_owner not in (None, ctx.worker):
            log.warning("delivery %s: lease was taken over while sending", d.id)
        _apply(ctx, session, d, outcome, now)
        d.lease_owner = d.lease_expires_at = None
        settled.append(d)
    done = [d for d in settled if d is not None]
    if done:
        queries.update_deliveries(session, [
            {"did": d.id, **{k: getattr(d, k) for k in _WRITABLE}} for d in done])
        _refresh_posts(session, done)
    return [None if d is None else (d.status, _summary(d)) for d in settled]


def _refresh_posts(session: Session, settled: list[SimpleNamespace]) -> None:
    """``refresh_post_status`` for the posts of the deliveries just settled, in Core
    statements: each post's status was read with its deliveries, which are among the
    statuses read here after their writes."""
    current = {d.post_id: d.post_status for d in settled if d.post_status != "canceled"}
    if not current:
        return
    statuses = posts_delivery_statuses(session, list(current))
    changed = []
    for post_id, status in current.items():
        of_post = statuses.get(post_id)
        if not of_post:  # cannot happen (d is not canceled), but the ORM path knows approvals
            post = session.get(Post, post_id)
            if post is not None:
                refresh_post_status(session, post)
            continue
        new = status_from_deliveries(status, of_post)
        if new != status:
            changed.append({"pid": post_id, "status": new})
    if changed:
        queries.set_posts_status(session, changed)


_SAVE_PARTS: SetStep[_Part, None] = SetStep("save_part", _save_parts)
#: Writes many attempts' ends together: ``FINISH.run_many(session, [Finish(...), ...])``
#: returns, for each, ``(new status, summary)`` or None (gone, or settled meanwhile).
FINISH: SetStep[Finish, tuple[str, dict[str, Any]] | None] = SetStep("finish", _finish_many)


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
        # An unconfirmed delivery (its look-up was refused) stays unconfirmed: after the
        # reconnect it is looked up, never sent again blindly.
        if d.status != DeliveryStatus.UNCONFIRMED:
            d.status = DeliveryStatus.RETRY_SCHEDULED
        d.next_attempt_at = now
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
    return queries.count_attempts_since_last(session, delivery_id, outcomes=BUDGET_OUTCOMES,
                                             reset_by="manual_retry")


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
    if outcome.kind == "paused":
        event = None  # the needs_reauth event already told the user
    level = logging.INFO if status == DeliveryStatus.PUBLISHED else logging.WARNING
    log.log(level, "delivery %s %s: %s", claim.delivery_id, status,
            summary.get("remote_url") or summary.get("last_error") or "",
            extra={"delivery": claim.delivery_id, "status": str(status), "account":
                   summary.get("account")})
    if event:
        ctx.emit(event, summary)
    return str(status)
