"""Putting posts on the calendar: times, slots, and the deliveries the daemon sends.

Each scheduled variant has exactly one live delivery. Rescheduling moves it;
unscheduling or canceling marks it canceled, and the daemon re-checks the
status inside its claim, so a canceled post never goes out.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from socialhub.core.policy import Permission
from socialhub.core.status import PENDING_DELIVERY_STATES, DeliveryStatus, PostStatus
from socialhub.core.when import When, require_future
from socialhub.db.models import Delivery, Post, Variant
from socialhub.db.queries import delivery as queries
from socialhub.errors import ConflictError, ValidationError
from socialhub.services.accounts.accounts import connect_advice, get_account, publish_blocker
from socialhub.services.announce import announce_schedule, notify_schedule_changed
from socialhub.services.audit import changes, record_event
from socialhub.services.authoring.content_policies import post_findings, require_policies
from socialhub.services.authoring.post_audit import post_state
from socialhub.services.authoring.post_summaries import (
    SummaryRows,
    delivery_data,
    post_data,
    summaries_of,
    summary_page,
    target_data,
)
from socialhub.services.authoring.posts import get_post
from socialhub.services.authoring.slots import next_free_slot
from socialhub.services.context import Ctx, use_case
from socialhub.services.paging import Key, Page, Window, fetch_size
from socialhub.services.teams.approvals import is_approved, require_approval

_IN_FLIGHT = ("claimed", "publishing", "unconfirmed")


def new_idempotency_key() -> str:
    """A unique key for one delivery; platforms use it to refuse duplicates."""
    return f"sh-{uuid.uuid4().hex}"


def _live_delivery(session: Session, variant: Variant) -> Delivery | None:
    return queries.latest_live_delivery(session, variant.id)


def sync_delivery(session: Session, variant: Variant) -> Delivery | None:
    """Make the variant's delivery match its schedule (create, move, or cancel it).

    Raises:
        ConflictError: the variant is being published or has been published.
    """
    live = _live_delivery(session, variant)
    if live is not None and live.status in (*_IN_FLIGHT, "published"):
        if variant.scheduled_at is not None and live.due_at == variant.scheduled_at:
            return live
        raise ConflictError(f"the {variant.account.ref} variant is already {live.status}")
    if variant.scheduled_at is None:
        if live is not None:
            live.status = DeliveryStatus.CANCELED
        return None
    if live is None:
        live = Delivery(variant_id=variant.id, account_id=variant.account_id,
                        due_at=variant.scheduled_at, next_attempt_at=variant.scheduled_at,
                        status=DeliveryStatus.SCHEDULED, idempotency_key=new_idempotency_key())
        session.add(live)
    elif live.due_at != variant.scheduled_at or live.status != DeliveryStatus.SCHEDULED:
        live.due_at = variant.scheduled_at
        live.next_attempt_at = variant.scheduled_at
        live.status = DeliveryStatus.SCHEDULED
        live.last_error = None
    return live


def refresh_post_status(session: Session, post: Post) -> str:
    """Derive the post's status from its deliveries and store it; returns the new status."""
    if post.status == "canceled":
        return post.status
    session.flush()
    statuses = queries.posts_delivery_statuses(session, [post.id]).get(post.id, [])
    if not statuses:
        new = post.status
        if post.status in ("scheduled", "draft"):
            # Off the calendar again: an approval still in force keeps the post approved.
            new = "approved" if post.approved_digest and is_approved(post) else "draft"
    else:
        new = status_from_deliveries(post.status, statuses)
    post.status = new
    return new


def status_from_deliveries(current: str, statuses: Sequence[str]) -> str:
    """The status a post with status ``current`` derives from its (non-canceled, at least
    one) deliveries' ``statuses``; what ``refresh_post_status`` stores."""
    if all(s == "published" for s in statuses):
        new = "published"
    elif any(s in ("publishing", "claimed", "unconfirmed") for s in statuses):
        new = "publishing"
    elif any(s in PENDING_DELIVERY_STATES for s in statuses):
        new = "scheduled"
    elif any(s == "published" for s in statuses):
        new = "partially_published"
    else:
        new = "failed"
    if new == "scheduled" and current in (PostStatus.PENDING_APPROVAL,
                                          PostStatus.CHANGES_REQUESTED):
        new = current  # waiting for a review: the daemon holds it until approved
    return new


@use_case(Permission.POSTS_PUBLISH)
def schedule_post(ctx: Ctx, ref: str, *, at: When | None = None,
                  next_slot: bool = False, accounts: list[str] | None = None,
                  now: datetime, bypass_approval: bool = False) -> Post:
    """Give every target (or the named ones) a time, and queue their deliveries.

    With neither ``at`` nor ``next_slot``, targets keep the times they have. When
    approvals are required the post needs a valid approval, unless an owner or
    admin passes ``bypass_approval`` (recorded).

    Raises:
        ValidationError: a time in the past, a target without a time, or no free slot.
        PolicyError: a content policy rule of severity ``error`` (warnings never block;
            :func:`policy_warnings` lists them).
        ConflictError: the post was canceled, a target already went out, or it needs
            an approval.
        PermissionDeniedError: a bypass by someone who is not an owner or admin.
    """
    session, org_id = ctx.session, ctx.org_id
    post = get_post(session, org_id, ref)
    if post.status == "canceled":
        raise ConflictError(f"post {post.name} was canceled")
    before = post_state(post)
    require_approval(session, post, ctx.actor, ctx.now(), bypass=bypass_approval)
    require_policies(session, post)
    if not post.variants:
        raise ValidationError(f"post {post.name} has no targets (add one with `posts edit "
                              f"{post.name} --add-target platform:@handle`)")
    chosen = post.variants
    if accounts:
        ids = {get_account(session, org_id, a).id for a in accounts}
        chosen = [v for v in post.variants if v.account_id in ids]
        missing = ids - {v.account_id for v in chosen}
        if missing:
            raise ValidationError(f"post {post.name} does not target account id {min(missing)}")
    for variant in chosen:
        when = at
        if next_slot:
            when = next_free_slot(session, variant.account, now)
        if when is not None:
            require_future(when, now, what=f"time for {variant.account.ref}")
            variant.scheduled_at, variant.local_time, variant.timezone = (
                when.utc, when.local_text, when.zone)
        elif variant.scheduled_at is None:
            raise ValidationError(f"no time for {variant.account.ref}: give --at or --next-slot")
        sync_delivery(session, variant)
    refresh_post_status(session, post)
    record_event(session, org_id, "schedule", "Post", record_id=post.id, name=post.name,
                 change=changes(before, post_state(post)))
    announce_schedule(session, post.name, lambda: post_summary(session, post))
    return post


def policy_warnings(session: Session, post: Post) -> list[str]:
    """One line per content policy warning on ``post`` (they never block scheduling)."""
    return [f"policy {f}" for f in post_findings(session, post) if not f.finding.blocks]


def unready_targets(post: Post) -> list[str]:
    """One warning per target account of ``post`` that cannot publish yet, with the fix.

    Scheduling ahead of connecting is legitimate, so this never refuses; the
    front ends show the lines so nobody learns it from a failed send.
    """
    warnings = []
    for variant in post.variants:
        problem = publish_blocker(variant.account)
        if problem is not None:
            warnings.append(f"{variant.account.ref} is {problem}, so the post waits for it; "
                            f"{connect_advice(variant.account)}")
    return warnings


@use_case(Permission.POSTS_READ)
def waiting_on_unready_accounts(ctx: Ctx) -> list[str]:
    """One warning per account of the organization that cannot publish while
    deliveries wait on it, with the count and the fix (what ``apply`` reports)."""
    from socialhub.services.accounts.accounts import accounts_that_cannot_publish

    session, org_id = ctx.session, ctx.org_id
    return [f"{row['ref']} is {row['problem']}, so {row['waiting']} "
            f"deliver{'y waits' if row['waiting'] == 1 else 'ies wait'} for it; {row['fix']}"
            for row in accounts_that_cannot_publish(session, org_id) if row["waiting"]]


@use_case(Permission.POSTS_PUBLISH)
def unschedule_post(ctx: Ctx, ref: str) -> Post:
    """Take a post off the calendar (back to draft); nothing already sent is touched.

    Raises:
        ConflictError: a target is being published right now or already went out.
    """
    session, org_id = ctx.session, ctx.org_id
    post = get_post(session, org_id, ref)
    before = post_state(post)
    for variant in post.variants:
        live = _live_delivery(session, variant)
        if live is not None and live.status in (*_IN_FLIGHT, "published"):
            raise ConflictError(f"the {variant.account.ref} variant is already {live.status}")
    for variant in post.variants:
        variant.scheduled_at = variant.local_time = variant.timezone = None
        sync_delivery(session, variant)
    refresh_post_status(session, post)
    record_event(session, org_id, "unschedule", "Post", record_id=post.id, name=post.name,
                 change=changes(before, post_state(post)))
    return post


@use_case(Permission.POSTS_PUBLISH)
def cancel_post(ctx: Ctx, ref: str) -> Post:
    """Cancel a post: its pending deliveries never go out; what went out stays out."""
    session, org_id = ctx.session, ctx.org_id
    post = get_post(session, org_id, ref)
    if post.status == "published":
        raise ConflictError(f"post {post.name} is already published everywhere")
    before = post_state(post)
    for delivery in queries.post_deliveries_in(session, post.id, PENDING_DELIVERY_STATES):
        delivery.status = DeliveryStatus.CANCELED
    post.status = "canceled"
    record_event(session, org_id, "cancel", "Post", record_id=post.id, name=post.name,
                 change=changes(before, post_state(post)))
    return post


def post_summary(session: Session, post: Post, *, with_deliveries: bool = True) -> dict[str, Any]:
    """Plain data for --json, tables and the TUI."""
    return post_summaries(session, [post], with_deliveries=with_deliveries)[0]


#: Targets whose deliveries one query reads; both databases take this many bound
#: parameters (SQLite 32,766, PostgreSQL 65,535), so a page of up to this many targets
#: costs one query.
_DELIVERY_BATCH = 20_000


def post_summaries(session: Session, posts: Sequence[Post], *,
                   with_deliveries: bool = True) -> list[dict[str, Any]]:
    """``post_summary`` of each post, in order, reading every target's latest delivery
    in one query (per 20,000 targets) instead of one per post.

    The posts' variants, accounts, campaigns and voices should be loaded already
    (``list_posts`` does); anything not loaded is read lazily.
    """
    latest: dict[int, Delivery] = {}
    if with_deliveries:
        variant_ids = [v.id for post in posts for v in post.variants]
        for start in range(0, len(variant_ids), _DELIVERY_BATCH):
            # Oldest first, so the last one seen for a target is its latest.
            for d in queries.deliveries_of_variants(
                    session, variant_ids[start:start + _DELIVERY_BATCH]):
                latest[d.variant_id] = d
    return [_summary(post, latest) for post in posts]


def _summary(post: Post, latest: dict[int, Delivery]) -> dict[str, Any]:
    targets = []
    for v in post.variants:
        live = latest.get(v.id)
        targets.append(target_data(
            v.account.platform, v.account.handle, v.text, v.thread, v.media,
            v.first_comment, v.options, v.language, v.local_time, v.timezone, v.scheduled_at,
            None if live is None else delivery_data(
                live.id, live.status, live.attempts, live.next_attempt_at, live.remote_id,
                live.remote_url, live.last_error)))
    return post_data(post.id, post.name, post.status, post.body,
                      post.campaign.name if post.campaign else None,
                      post.voice.name if post.voice else None, post.tags, post.paid, targets,
                      post.created_at, post.updated_at)


@use_case(Permission.POSTS_READ)
def list_post_summaries(ctx: Ctx, *, status: str | None = None,
                        campaign: str | None = None, account: str | None = None,
                        start: datetime | None = None, end: datetime | None = None,
                        limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
    """``post_summary`` of each post ``list_posts`` returns with the same filters and
    page, in the same order — read in three queries as plain rows, whatever the number
    of posts (what ``posts list --json`` and the API's list print)."""
    return summaries_of(_summary_rows(ctx, status=status, campaign=campaign,
                                      account=account, start=start, end=end,
                                      offset=offset, limit=limit))


@use_case(Permission.POSTS_READ)
def post_summaries_page(ctx: Ctx, window: Window, *, status: str | None = None,
                        campaign: str | None = None,
                        account: str | None = None) -> Page[dict[str, Any]]:
    """The page ``window`` of :func:`list_post_summaries` (after its cursor's post, at
    most its limit) with the cursor of the next page when there is one; not counted."""
    return summary_page(_summary_rows(ctx, status=status, campaign=campaign, account=account,
                                      offset=window.offset, limit=fetch_size(window),
                                      after=window.after), window)


def _summary_rows(ctx: Ctx, *, status: str | None, campaign: str | None,
                  account: str | None, start: datetime | None = None,
                  end: datetime | None = None, offset: int, limit: int | None,
                  after: Key | None = None) -> SummaryRows:
    from socialhub.db.queries import posts as post_queries
    from socialhub.services.authoring.posts import post_filters

    where = post_filters(ctx.session, ctx.org_id, status=status, campaign=campaign,
                         account=account, start=start, end=end)
    return post_queries.post_summary_rows(ctx.session, where, offset=offset, limit=limit,
                                          after=after)


@use_case(Permission.POSTS_PUBLISH)
def publish_now(ctx: Ctx, ref: str, *, now: datetime,
                bypass_approval: bool = False) -> list[int]:
    """Make every unsent target of a post due now; returns the delivery ids to watch.

    The approval gate is the one of :func:`schedule_post`.

    Raises:
        ConflictError: the post was canceled, has nothing left to send, or needs an
            approval.
        PermissionDeniedError: a bypass by someone who is not an owner or admin.
    """
    session, org_id = ctx.session, ctx.org_id
    post = get_post(session, org_id, ref)
    if post.status == "canceled":
        raise ConflictError(f"post {post.name} was canceled")
    before = post_state(post)
    require_approval(session, post, ctx.actor, ctx.now(), bypass=bypass_approval)
    require_policies(session, post)
    ids: list[int] = []
    for variant in post.variants:
        live = queries.latest_live_delivery(session, variant.id)
        if live is not None and live.status in ("published", "publishing", "claimed",
                                                "unconfirmed"):
            if live.status != "published":
                ids.append(live.id)
            continue
        variant.scheduled_at = now
        variant.local_time = now.strftime("%Y-%m-%dT%H:%M:%S")
        variant.timezone = "UTC"
        delivery = sync_delivery(session, variant)
        if delivery is not None:
            delivery.due_at = delivery.next_attempt_at = now
            session.flush()
            ids.append(delivery.id)
    if not ids:
        raise ConflictError(f"post {post.name} has nothing left to publish")
    refresh_post_status(session, post)
    record_event(session, org_id, "publish_now", "Post", record_id=post.id, name=post.name,
                 change=changes(before, post_state(post)))
    notify_schedule_changed(session)
    return ids


@use_case(Permission.POSTS_READ)
def show_post(ctx: Ctx, ref: str) -> dict[str, Any]:
    """One post as ``posts show --json`` shows it: each target's text, time and delivery.

    Raises:
        NotFoundError: no such post in the organization.
    """
    return post_summary(ctx.session, get_post(ctx.session, ctx.org_id, ref))


@use_case(Permission.POSTS_WRITE)
def update_post(ctx: Ctx, ref: str, **edits: Any) -> Post:
    """``edit_post`` (same keywords), then each scheduled target's delivery moved to match.

    Raises:
        ConflictError: see ``edit_post``; or a changed target is already going out.
    """
    from socialhub.services.authoring.posts import edit_post

    post = edit_post(ctx, ref, **edits)
    for v in post.variants:
        if v.scheduled_at is not None:
            sync_delivery(ctx.session, v)
    return post
