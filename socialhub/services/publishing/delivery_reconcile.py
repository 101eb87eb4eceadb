"""Reconciling a delivery whose last send has an unknown outcome (``unconfirmed``).

The post may or may not exist on the platform. It is looked up by the
delivery's idempotency key; what is found is recorded, and only what is
missing is sent again — never a blind resend.
"""

from __future__ import annotations

from datetime import timedelta

from socialhub.core.status import DeliveryStatus
from socialhub.db.models import Attempt, Delivery
from socialhub.platforms.base import PlatformAdapter, PublishedPart, PublishRequest
from socialhub.platforms.errors import AuthExpiredError, AuthRevokedError
from socialhub.services.clock import now_utc
from socialhub.services.links.shortening import LinkSubject, rendered_parts
from socialhub.services.publishing.delivery_claim import Claim
from socialhub.services.publishing.delivery_outcome import (
    Outcome,
    SendContext,
    classify,
    media_items,
    part_dict,
    parts_from,
    with_db_retry,
)
from socialhub.services.publishing.delivery_publish import claim_adapter, release, send
from socialhub.services.publishing.delivery_records import settle


def reconcile(ctx: SendContext, claim: Claim) -> str:
    """Find out whether an unconfirmed send went out; finish it without duplicating anything.

    Found every part → published. Found none or some → the rest is sent again,
    which is safe because the lookup just showed those parts do not exist (or,
    for a platform without look-up that dedupes keys itself, because the resend
    carries the same idempotency key). A platform with neither cannot be
    checked: the delivery is dead with a reason telling the person what to do.
    """
    adapter = claim_adapter(ctx, claim)
    if isinstance(adapter, Outcome):
        outcome = adapter if adapter.kind == "paused" else Outcome(
            "lookup_failed", adapter.message, adapter.error_class)
        return release(ctx, claim, outcome)
    loaded = with_db_retry(lambda: _start_lookup(ctx, claim.delivery_id), seconds=10.0)
    if loaded is None:
        return "skipped"
    attempt_id, request = loaded
    caps = adapter.account_capabilities()
    if not caps.lookup and not caps.idempotency:
        return settle(ctx, claim, attempt_id, Outcome(
            "invalid", f"the outcome of the last send is unknown and {adapter.name} offers no way "
            "to check; look at the account, then `socialhub queue retry "
            f"{claim.delivery_id}` if the post is missing", "OutcomeUnknownError"))
    found: list[PublishedPart] = []
    if caps.lookup:
        try:
            found = _look_up(ctx, claim, adapter, request)
        except AuthRevokedError as exc:
            ctx.tokens.mark_needs_reauth(claim.account_id, str(exc),
                                         refused_token=exc.refused_token)
            return settle(ctx, claim, attempt_id, classify(exc))
        except Exception as exc:
            failed = classify(exc)
            # A look-up the platform can never answer (e.g. TikTok private posts) is
            # final, like invalid content; anything else is tried again later.
            if failed.kind not in ("paused", "invalid"):
                failed.kind = "lookup_failed"
            return settle(ctx, claim, attempt_id, failed)
    merged = {p.index: p for p in [*request.already_published, *found]}
    if len(merged) >= len(request.parts):
        return settle(ctx, claim, attempt_id,
                       Outcome("published", parts=[merged[i] for i in sorted(merged)]))
    with_db_retry(lambda: _resume(ctx, claim, attempt_id, list(merged.values())), seconds=10.0)
    return send(ctx, claim)


def _look_up(ctx: SendContext, claim: Claim, adapter: PlatformAdapter,
             request: PublishRequest) -> list[PublishedPart]:
    """The parts the platform holds under the delivery's keys, with the tokens handled as a
    send handles them: an expired token is refreshed once, a refused one replaced once by
    tokens stored since (the account was reconnected meanwhile).

    Raises:
        AuthRevokedError: refused with nothing newer stored, or still refused after a
            refresh: the account must be reconnected (the delivery waits, unconfirmed).
    """
    try:
        return ctx.tokens.call(claim.account_id, adapter,
                               lambda: adapter.find_by_idempotency_key(request) or [])
    except AuthExpiredError as exc:  # the token refreshed a moment ago expired again
        revoked = AuthRevokedError(f"still refused after a token refresh: {exc}",
                                   status=exc.status, code=exc.code,
                                   hint="reconnect the account")
        revoked.refused_token = adapter.tokens.access_token  # the refreshed one
        raise revoked from None


def _start_lookup(ctx: SendContext, delivery_id: int) -> tuple[int, PublishRequest] | None:
    now = now_utc()
    with ctx.tx() as session:
        d = session.get(Delivery, delivery_id)
        if d is None or d.lease_owner != ctx.worker or d.status != DeliveryStatus.UNCONFIRMED:
            return None
        d.lease_expires_at = now + timedelta(seconds=ctx.policy.lease_seconds)
        attempt = Attempt(delivery_id=d.id, worker=ctx.worker, started_at=now, outcome="lookup")
        session.add(attempt)
        session.flush()
        variant = d.variant
        post, account = variant.post, d.account
        campaign = post.campaign
        # Looked up by the text as it was sent: links tagged or shortened alike.
        parts = rendered_parts(session, ctx.hub.config.settings, LinkSubject(
            org_id=post.org_id, post_id=post.id, post=post.name,
            campaign=campaign.name if campaign else None,
            campaign_utm=campaign.utm if campaign else None, variant_id=variant.id,
            account_id=account.id, platform=account.platform, handle=account.handle),
            list(variant.parts))
        return attempt.id, PublishRequest(
            idempotency_key=d.idempotency_key, parts=parts,
            media=media_items(variant.media), first_comment=variant.first_comment,
            options=dict(variant.options or {}),
            already_published=parts_from(d.thread_progress))


def _resume(ctx: SendContext, claim: Claim, attempt_id: int, parts: list[PublishedPart]) -> None:
    """Record what the lookup found and hand the delivery back for sending the rest."""
    with ctx.tx() as session:
        attempt = session.get(Attempt, attempt_id)
        if attempt is not None:
            attempt.ended_at, attempt.outcome = now_utc(), "not_found" if not parts else "partial"
        d = session.get(Delivery, claim.delivery_id)
        if d is None:
            return
        d.thread_progress = [part_dict(p) for p in sorted(parts, key=lambda p: p.index)]
        if parts:
            first = min(parts, key=lambda p: p.index)
            d.remote_id, d.remote_url = first.remote_id, first.url
        d.status = DeliveryStatus.CLAIMED
