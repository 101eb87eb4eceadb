"""Sending one claimed delivery, and reconciling one whose outcome is unknown.

The order of writes is what makes a send exactly-once:

1. an Attempt row is committed (status ``publishing``) *before* the platform is called;
2. each part's remote id is committed the moment the adapter reports it
   (``thread_progress``), so a thread resumes after the last part that went out;
3. the final outcome is committed, and the post's status derived again.

If the process dies between 1 and 3, the lease expires with the delivery in
``publishing`` and the next claim turns it ``unconfirmed``: it is then looked up
on the platform by its idempotency key, never blindly resent. What each error
class leads to is the table in ``platforms/errors.py``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.orm import Session

from socialhub.core.status import DeliveryStatus
from socialhub.db.models import Account, Attempt, Delivery, Post, Variant
from socialhub.errors import DatabaseError, SocialhubError
from socialhub.platforms.base import MediaItem, PlatformAdapter, PublishedPart, PublishRequest
from socialhub.platforms.errors import (
    AdapterError,
    AuthExpiredError,
    AuthRevokedError,
    InvalidContentError,
    OutcomeUnknownError,
    RateLimitedError,
)
from socialhub.services.clock import now_utc
from socialhub.services.delivery_claim import RECONCILE, Claim
from socialhub.services.hub import Hub
from socialhub.services.scheduling import refresh_post_status
from socialhub.services.tokens import TokenManager

log = logging.getLogger(__name__)

# Attempt outcomes that spend the retry budget (a rate limit or a paused account does not).
BUDGET_OUTCOMES = ("retry", "error", "unknown", "lookup_failed")


@dataclass(frozen=True)
class Policy:
    """The retry rules (from ``daemon.*`` in config)."""

    lease_seconds: float = 120.0
    max_attempts: int = 8
    backoff_base_s: float = 2.0
    backoff_max_s: float = 900.0


@dataclass
class SendContext:
    """What a worker thread needs to send: database, identity, rules, adapters, events."""

    hub: Hub
    worker: str
    policy: Policy
    tokens: TokenManager
    emit: Callable[[str, dict[str, Any]], None]
    rng: random.Random = field(default_factory=random.Random)
    #: Held around each transaction on SQLite: one writer at a time, woken at once,
    #: instead of many threads sleeping in SQLite's busy handler.
    write_lock: threading.RLock | None = None

    @contextmanager
    def tx(self) -> Iterator[Session]:
        """One transaction of this worker (serialised in-process on SQLite)."""
        if self.write_lock is None:
            with self.hub.transaction() as session:
                yield session
            return
        with self.write_lock, self.hub.transaction() as session:
            yield session


@dataclass
class Outcome:
    """How one attempt ended, in the engine's terms."""

    kind: str  # published | retry | rate_limited | unknown | invalid | paused | error
    message: str | None = None
    error_class: str | None = None
    http_status: int | None = None
    until: datetime | None = None
    parts: list[PublishedPart] = field(default_factory=list)


def backoff_delay(failures: int, policy: Policy, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number ``failures`` (1-based): exponential, jittered.

    "Equal jitter": half the exponential step is fixed and half random, so
    retries spread out (no thundering herd) yet never come back immediately.
    """
    step = min(policy.backoff_max_s, policy.backoff_base_s * (2 ** max(0, failures - 1)))
    return step / 2 + (rng or random).uniform(0, step / 2)


def classify(exc: BaseException) -> Outcome:
    """Map an exception from an adapter call to an Outcome (the table in platforms/errors.py)."""
    name = type(exc).__name__
    status = getattr(exc, "status", None)
    message = str(exc) or name
    if isinstance(exc, RateLimitedError):
        return Outcome("rate_limited", message, name, status, until=exc.until)
    if isinstance(exc, AuthRevokedError | AuthExpiredError):
        return Outcome("paused", message, name, status)
    if isinstance(exc, InvalidContentError):
        return Outcome("invalid", message, name, status)
    if isinstance(exc, OutcomeUnknownError):
        return Outcome("unknown", message, name, status)
    if isinstance(exc, AdapterError):
        return Outcome("retry", message, name, status)
    if isinstance(exc, SocialhubError):
        return Outcome("error", message, name, status)
    return Outcome("error", f"unexpected {name}: {exc}", name, status)


def _part_dict(part: PublishedPart) -> dict[str, Any]:
    return {"index": part.index, "remote_id": part.remote_id, "url": part.url,
            "extra": dict(part.extra)}


def _parts_from(progress: list[Any]) -> list[PublishedPart]:
    return [PublishedPart(index=int(p["index"]), remote_id=str(p["remote_id"]), url=p.get("url"),
                          extra=dict(p.get("extra") or {})) for p in progress or []]


def _media(items: list[Any]) -> list[MediaItem]:
    out = []
    for item in items or []:
        if isinstance(item, str):
            item = {"path": item}
        path = item.get("path")
        out.append(MediaItem(path=Path(path).expanduser() if path else None, url=item.get("url"),
                             mime=item.get("mime"),
                             alt_text=item.get("alt_text") or item.get("alt")))
    return out


def with_db_retry(fn: Callable[[], Any], *, seconds: float = 60.0) -> Any:
    """Run a database step, retrying while the database is unreachable (up to ``seconds``)."""
    deadline = time.monotonic() + seconds
    delay = 0.2
    while True:
        try:
            return fn()
        except DatabaseError as exc:
            if time.monotonic() > deadline:
                raise
            log.warning("database unavailable, retrying: %s", exc)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


# -- steps, each one transaction ---------------------------------------------------------------
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
                          media=_media(d.media), first_comment=d.first_comment,
                          options=dict(d.options or {}),
                          already_published=_parts_from(d.thread_progress))


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
                [*progress, _part_dict(part)], key=lambda p: p["index"])}
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
        merged = {p.index: p for p in _parts_from(d.thread_progress)}
        merged.update({p.index: p for p in outcome.parts})
        parts = [merged[i] for i in sorted(merged)]
        d.thread_progress = [_part_dict(p) for p in parts]
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


def _settle(ctx: SendContext, claim: Claim, attempt_id: int | None, outcome: Outcome) -> str:
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


# -- the two jobs a worker does ---------------------------------------------------------------
def run_claim(ctx: SendContext, claim: Claim, started: Started | None = None) -> str:
    """Send or reconcile one claimed delivery; returns its new status (or ``skipped``).

    ``started`` is the attempt ``begin_attempts`` already committed with the claim.
    """
    if claim.mode == RECONCILE:
        from socialhub.services.delivery_reconcile import reconcile

        return reconcile(ctx, claim)
    return send(ctx, claim, started)


def _adapter(ctx: SendContext, claim: Claim) -> PlatformAdapter | Outcome:
    try:
        adapter = ctx.tokens.adapter_for(claim.account_id)
        ctx.tokens.ensure_fresh(claim.account_id, adapter)
        return adapter
    except AuthRevokedError as exc:
        ctx.tokens.mark_needs_reauth(claim.account_id, str(exc))
        return classify(exc)
    except Exception as exc:
        return classify(exc)


def _release(ctx: SendContext, claim: Claim, outcome: Outcome) -> str:
    """Settle a delivery without an attempt (nothing was sent): paused or retried later."""
    return _settle(ctx, claim, None, outcome)


def send(ctx: SendContext, claim: Claim, started: Started | None = None) -> str:
    """Publish a claimed delivery (every part not yet out), refreshing the token once on 401."""
    adapter = _adapter(ctx, claim)
    if isinstance(adapter, Outcome):
        return _settle(ctx, claim, started.attempt_id if started else None, adapter)
    refreshed = False
    while True:
        if started is None:
            started = with_db_retry(lambda: start_attempt(ctx, claim.delivery_id), seconds=10.0)
            if started is None:
                return "skipped"
        request = started.request
        if len(request.already_published) >= len(request.parts):
            return _settle(ctx, claim, started.attempt_id,
                           Outcome("published", parts=list(request.already_published)))
        failed_token = adapter.tokens.access_token
        try:
            result = adapter.publish(
                request, lambda part: save_part(ctx, claim.delivery_id, part))
        except AuthExpiredError as exc:
            if refreshed:
                ctx.tokens.mark_needs_reauth(claim.account_id, f"still refused after a "
                                             f"token refresh: {exc}")
                return _settle(ctx, claim, started.attempt_id, classify(exc))
            refreshed = True
            try:
                ctx.tokens.refresh(claim.account_id, adapter, failed_token=failed_token)
            except Exception as refresh_exc:
                return _settle(ctx, claim, started.attempt_id, classify(refresh_exc))
            _requeue_refused(ctx, claim, started.attempt_id, exc)
            started = None
            continue
        except AuthRevokedError as exc:
            # Reconnected since this adapter was built? Then send again with the new tokens.
            if refreshed or not ctx.tokens.adopt_stored(claim.account_id, adapter, failed_token):
                ctx.tokens.mark_needs_reauth(claim.account_id, str(exc))
                return _settle(ctx, claim, started.attempt_id, classify(exc))
            refreshed = True
            _requeue_refused(ctx, claim, started.attempt_id, exc)
            started = None
            continue
        except Exception as exc:
            return _settle(ctx, claim, started.attempt_id, classify(exc))
        return _settle(ctx, claim, started.attempt_id, Outcome("published", parts=result.parts))


def _requeue_refused(ctx: SendContext, claim: Claim, attempt_id: int,
                     exc: AuthExpiredError | AuthRevokedError) -> None:
    """Close an attempt the platform refused for its token, to send again with new tokens.

    The refused request created nothing, so sending again is safe.
    """
    outcome = Outcome("auth_expired", str(exc), type(exc).__name__, exc.status)
    with_db_retry(lambda: _requeue(ctx, claim, attempt_id, outcome), seconds=10)


def _requeue(ctx: SendContext, claim: Claim, attempt_id: int, outcome: Outcome) -> None:
    """Close an attempt and hand the delivery straight back to this worker (after a refresh)."""
    with ctx.tx() as session:
        attempt = session.get(Attempt, attempt_id)
        if attempt is not None:
            attempt.ended_at, attempt.outcome = now_utc(), outcome.kind
            attempt.http_status, attempt.error_class = outcome.http_status, outcome.error_class
            attempt.error_message = outcome.message
        d = session.get(Delivery, claim.delivery_id)
        if d is not None and d.status == DeliveryStatus.PUBLISHING:
            d.status = DeliveryStatus.CLAIMED
