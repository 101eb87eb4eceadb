"""The evergreen queue: posts that go back into their accounts' slots after a cooldown.

A post in the queue (a ``recurrences`` row, ``frequency = "cooldown"``) may go out
again ``interval`` days after its last time out. ``requeue_evergreen`` (the
daemon's ``evergreen`` job, or ``socialhub evergreen run``) puts each one whose
cooldown is over into the next free slot of each account it targets — skipping a
slot occurrence that account already uses that week (any post due at that
instant) — and counts the time. An entry ends after ``max_occurrences`` times, or
when its next slot would fall after ``ends_at``; an ended entry stays listed as
``ended`` and never goes out again. See docs/campaigns.md.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from socialhub.core.policy import Permission
from socialhub.core.slot_times import slot_instants
from socialhub.db.models import Delivery, Post, Recurrence, Variant
from socialhub.db.queries import evergreen as queries
from socialhub.db.queries.slots import slots_of
from socialhub.errors import ConflictError, NotFoundError, ValidationError
from socialhub.services.announce import notify_schedule_changed
from socialhub.services.audit import record_event
from socialhub.services.authoring.posts import get_post
from socialhub.services.authoring.scheduling import new_idempotency_key, refresh_post_status
from socialhub.services.context import Ctx, use_case


def parse_until(text: str | None, zone: str, now: datetime) -> datetime | None:
    """An evergreen end (``--until``, an API body's ``until``) as a UTC instant.

    A bare day (``2027-06-30``) means through the end of that day in ``zone``;
    anything else reads as ``--at`` does (``2027-06-30 18:00 Europe/Berlin``).

    Raises:
        ValidationError: not a day or a time.
    """
    if text is None:
        return None
    from socialhub.core.when import parse_when

    if re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", text):
        return parse_when(f"{text.strip()} 00:00", zone, now=now).utc + timedelta(days=1)
    return parse_when(text, zone, now=now).utc


#: How far ahead a requeue looks for a free slot.
SEARCH_WEEKS = 8
FREQUENCY = "cooldown"


def evergreen_summary(r: Recurrence, now: datetime | None = None) -> dict[str, Any]:
    """Plain data for --json and tables: post, cooldown, times out, the end condition,
    when it may go next and its state (``waiting``, ``due``, ``ended``)."""
    state = "ended" if ended(r) else ("due" if now is not None and r.next_at is not None
                                      and r.next_at <= now else "waiting")
    return {"post": r.post.name, "cooldown_days": r.interval, "occurrences": r.occurrences,
            "max_occurrences": r.max_occurrences, "ends_at": r.ends_at,
            "next_at": r.next_at, "state": state,
            "accounts": [v.account.ref for v in r.post.variants]}


def ended(r: Recurrence) -> bool:
    """Whether the entry reached its end condition (count, date) and goes out no more."""
    return r.next_at is None or (r.max_occurrences is not None
                                 and r.occurrences >= r.max_occurrences)


@use_case(Permission.EVERGREEN_MANAGE)
def add_evergreen(ctx: Ctx, post_ref: str, *, cooldown_days: int = 7,
                  times: int | None = None, until: datetime | None = None) -> Recurrence:
    """Put a post into the evergreen queue, or change its cooldown and end condition.

    It may go out again ``cooldown_days`` after it last went out (at once when it
    never did), at most ``times`` more times and never after ``until`` (UTC).

    Raises:
        NotFoundError: no such post.
        ConflictError: the post was canceled.
        ValidationError: no targets, a cooldown under a day, ``times`` under 1, or
            ``until`` in the past.
    """
    session, now = ctx.session, ctx.now()
    post = get_post(session, ctx.org_id, post_ref)
    if post.status == "canceled":
        raise ConflictError(f"post {post.name} was canceled")
    if not post.variants:
        raise ValidationError(f"post {post.name} has no targets to requeue")
    if cooldown_days < 1:
        raise ValidationError("the cooldown is at least 1 day")
    if times is not None and times < 1:
        raise ValidationError("--times must be at least 1")
    if until is not None and until <= now:
        raise ValidationError(f"--until {until:%Y-%m-%d %H:%M} UTC is already past")
    last = queries.last_published(session, post.id)
    entry = queries.recurrence_of(session, post.id)
    action = "update" if entry is not None else "create"
    if entry is None:
        entry = Recurrence(post_id=post.id, frequency=FREQUENCY, occurrences=0)
        session.add(entry)
    entry.interval, entry.max_occurrences, entry.ends_at = cooldown_days, times, until
    entry.next_at = (last + timedelta(days=cooldown_days)) if last is not None else now
    entry.post = post
    session.flush()
    record_event(session, ctx.org_id, action, "Evergreen", record_id=entry.id, name=post.name,
                 change={"cooldown_days": cooldown_days, "times": times,
                         "until": until.isoformat() if until else None})
    return entry


@use_case(Permission.POSTS_READ)
def list_evergreen(ctx: Ctx) -> list[dict[str, Any]]:
    """The evergreen queue, soonest first, ended entries last."""
    now = ctx.now()
    return [evergreen_summary(r, now)
            for r in queries.recurrences_in_order(ctx.session, ctx.org_id)]


@use_case(Permission.EVERGREEN_MANAGE)
def remove_evergreen(ctx: Ctx, post_ref: str) -> None:
    """Take a post out of the evergreen queue (what it already queued stays queued).

    Raises:
        NotFoundError: no such post, or it is not in the queue.
    """
    post = get_post(ctx.session, ctx.org_id, post_ref)
    entry = queries.recurrence_of(ctx.session, post.id)
    if entry is None:
        raise NotFoundError(f"post {post.name} is not in the evergreen queue")
    ctx.session.delete(entry)
    record_event(ctx.session, ctx.org_id, "delete", "Evergreen", record_id=entry.id,
                 name=post.name)


@use_case(Permission.EVERGREEN_MANAGE)
def requeue_evergreen(ctx: Ctx) -> list[dict[str, Any]]:
    """Queue every evergreen post whose cooldown is over into its next free slots.

    Returns one row per entry looked at: ``post``, ``outcome`` (``queued`` with
    ``at`` per account, ``waiting`` — still cooling down or still queued —,
    ``ended`` — count or date reached —, or ``no_slot`` with ``reason``).
    """
    session, now = ctx.session, ctx.now()
    out: list[dict[str, Any]] = []
    queued = False
    for entry in queries.recurrences_in_order(session, ctx.org_id):
        if ended(entry):
            continue
        post = entry.post
        if post.status == "canceled":
            continue
        cooling = entry.next_at is not None and entry.next_at > now
        if cooling or queries.pending_of_post(session, post.id):
            out.append({"post": post.name, "outcome": "waiting"})
            continue
        row = _requeue(ctx, entry, post, now)
        queued = queued or row["outcome"] == "queued"
        out.append(row)
    if queued:
        notify_schedule_changed(session)
    return out


def _requeue(ctx: Ctx, entry: Recurrence, post: Post, now: datetime) -> dict[str, Any]:
    session = ctx.session
    start = max(now, entry.next_at or now)
    picks: list[tuple[Variant, Any]] = []
    for variant in post.variants:
        when = _free_slot(session, variant, start)
        if when is None:
            return {"post": post.name, "outcome": "no_slot",
                    "reason": f"{variant.account.ref} has no free slot in the next "
                              f"{SEARCH_WEEKS} weeks (add one with `socialhub slots add`)"}
        picks.append((variant, when))
    last = max(when.utc for _v, when in picks)
    if entry.ends_at is not None and last > entry.ends_at:
        entry.next_at = None
        record_event(session, ctx.org_id, "update", "Evergreen", record_id=entry.id,
                     name=post.name, change={"ended": "date"})
        return {"post": post.name, "outcome": "ended", "reason": "end date"}
    for variant, when in picks:
        variant.scheduled_at, variant.local_time, variant.timezone = (
            when.utc, when.local_text, when.zone)
        session.add(Delivery(variant_id=variant.id, account_id=variant.account_id,
                             due_at=when.utc, next_attempt_at=when.utc, status="scheduled",
                             idempotency_key=new_idempotency_key()))
    entry.occurrences += 1
    entry.next_at = last + timedelta(days=entry.interval)
    refresh_post_status(session, post)
    at = {v.account.ref: when.utc for v, when in picks}
    record_event(session, ctx.org_id, "requeue", "Evergreen", record_id=entry.id,
                 name=post.name, change={"occurrence": entry.occurrences,
                                         "at": {k: v.isoformat() for k, v in at.items()}})
    return {"post": post.name, "outcome": "queued", "at": at,
            "occurrence": entry.occurrences}


def _free_slot(session: Any, variant: Variant, start: datetime) -> Any:
    """The first slot occurrence of the variant's account at or after ``start`` that no
    delivery of that account is already due at (that week's use of the slot)."""
    slots = slots_of(session, variant.account_id)
    if not slots:
        return None
    used = queries.used_instants(session, variant.account_id, start)
    # slot_instants gives (from, to]: a slot exactly at the cooldown's end is allowed.
    since = start - timedelta(microseconds=1)
    for when in slot_instants(slots, since, start + timedelta(weeks=SEARCH_WEEKS)):
        if when.utc not in used:
            return when
    return None
