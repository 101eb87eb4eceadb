"""Publishing one claimed delivery: the adapter with a fresh token, every part not yet out.

The order of writes is what makes a send exactly-once:

1. an Attempt row is committed (status ``publishing``) *before* the platform is called;
2. each part's remote id is committed the moment the adapter reports it
   (``thread_progress``), so a thread resumes after the last part that went out —
   the last part's with the outcome, which is committed at that same moment
   (``PartRecorder``);
3. the final outcome is committed, and the post's status derived again.

If the process dies between 1 and 3, the lease expires with the delivery in
``publishing`` and the next claim turns it ``unconfirmed``: it is then looked up
on the platform by its idempotency key, never blindly resent. What each error
class leads to is the table in ``platforms/errors.py``.
"""

from __future__ import annotations

from socialhub.core.status import DeliveryStatus
from socialhub.db.models import Attempt, Delivery
from socialhub.platforms.base import PlatformAdapter, PublishedPart, PublishRequest
from socialhub.platforms.errors import AuthExpiredError, AuthRevokedError
from socialhub.services.authoring.media_check import check_before_send, policy_from_settings
from socialhub.services.clock import now_utc
from socialhub.services.publishing.delivery_claim import Claim
from socialhub.services.publishing.delivery_outcome import (
    Outcome,
    SendContext,
    classify,
    with_db_retry,
)
from socialhub.services.publishing.delivery_records import Started, save_part, settle, start_attempt


def claim_adapter(ctx: SendContext, claim: Claim) -> PlatformAdapter | Outcome:
    """The account's adapter with a fresh token, or the Outcome that stops the send."""
    try:
        adapter = ctx.tokens.adapter_for(claim.account_id)
        ctx.tokens.ensure_fresh(claim.account_id, adapter)
        return adapter
    except AuthRevokedError as exc:
        ctx.tokens.mark_needs_reauth(claim.account_id, str(exc), refused_token=exc.refused_token)
        return classify(exc)
    except Exception as exc:
        return classify(exc)


def release(ctx: SendContext, claim: Claim, outcome: Outcome) -> str:
    """Settle a delivery without an attempt (nothing was sent): paused or retried later."""
    return settle(ctx, claim, None, outcome)


def send(ctx: SendContext, claim: Claim, started: Started | None = None) -> str:
    """Publish a claimed delivery (every part not yet out), refreshing the token once on 401."""
    adapter = claim_adapter(ctx, claim)
    if isinstance(adapter, Outcome):
        return settle(ctx, claim, started.attempt_id if started else None, adapter)
    refreshed = False
    while True:
        if started is None:
            started = with_db_retry(lambda: start_attempt(ctx, claim.delivery_id), seconds=10.0)
            if started is None:
                return "skipped"
        request = started.request
        if len(request.already_published) >= len(request.parts):
            return settle(ctx, claim, started.attempt_id,
                           Outcome("published", parts=list(request.already_published)))
        failed_token = adapter.tokens.access_token
        try:
            # Defence in depth: media was checked at apply time; refuse for good, unread,
            # a file that has since become unsafe (or a record that skipped that check).
            check_before_send(request.media,
                              policy_from_settings(ctx.hub.config.settings.media.root))
            recorder = PartRecorder(ctx, claim.delivery_id, request)
            with recorder:
                result = adapter.publish(request, recorder)
        except AuthExpiredError as exc:
            if refreshed:
                ctx.tokens.mark_needs_reauth(claim.account_id, f"still refused after a "
                                             f"token refresh: {exc}", refused_token=failed_token)
                return settle(ctx, claim, started.attempt_id, classify(exc))
            refreshed = True
            try:
                ctx.tokens.refresh(claim.account_id, adapter, failed_token=failed_token)
            except Exception as refresh_exc:
                return settle(ctx, claim, started.attempt_id, classify(refresh_exc))
            _requeue_refused(ctx, claim, started.attempt_id, exc)
            started = None
            continue
        except AuthRevokedError as exc:
            # Reconnected since this adapter was built? Then send again with the new tokens.
            if refreshed or not ctx.tokens.adopt_stored(claim.account_id, adapter, failed_token):
                ctx.tokens.mark_needs_reauth(claim.account_id, str(exc),
                                             refused_token=failed_token)
                return settle(ctx, claim, started.attempt_id, classify(exc))
            refreshed = True
            _requeue_refused(ctx, claim, started.attempt_id, exc)
            started = None
            continue
        except Exception as exc:
            return settle(ctx, claim, started.attempt_id, classify(exc))
        return settle(ctx, claim, started.attempt_id,
                      Outcome("published", parts=recorder.parts(result.parts)))


class PartRecorder:
    """The part callback an adapter's ``publish`` gets: commits each part the moment it is
    reported, except the last one (by index: the last text, or the first comment after
    it), which the outcome carries into the database instead.

    Every adapter returns from ``publish`` as soon as it has reported its last part, and
    the outcome is committed right then, so the last part is written no later than a
    commit of its own would have been (one transaction less per delivery: most posts are
    one part). Used as a context manager around ``publish``: if the call ends with an
    exception after the last part was reported, the part is committed at once before the
    exception goes on, so a resend never repeats it.
    """

    def __init__(self, ctx: SendContext, delivery_id: int, request: PublishRequest) -> None:
        self._ctx, self._delivery_id = ctx, delivery_id
        self._last = len(request.parts) + (1 if request.first_comment else 0) - 1
        self._held: PublishedPart | None = None

    def __call__(self, part: PublishedPart) -> None:
        if part.index == self._last:
            self._held = part
            return
        save_part(self._ctx, self._delivery_id, part)

    def __enter__(self) -> PartRecorder:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if exc_type is not None and self._held is not None:
            held, self._held = self._held, None
            save_part(self._ctx, self._delivery_id, held)

    def parts(self, reported: list[PublishedPart]) -> list[PublishedPart]:
        """The parts the outcome records: those ``publish`` returned, and the held last
        part if it did not return it."""
        if self._held is None or any(p.index == self._held.index for p in reported):
            return list(reported)
        return [*reported, self._held]


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
