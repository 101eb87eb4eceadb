"""The calendar as iCalendar (RFC 5545): one event per post and target with a time.

``calendar_ics`` is the one use case behind ``socialhub calendar export --ics FILE``
and the read-only feed ``GET /calendar.ics?token=…``, so a phone calendar subscribed to
the feed shows the plan.

Updated in place, not duplicated: each event's ``UID`` is derived from the post's id and
the target account's id (``post-17-account-3@socialhub``), so it stays the same through
edits, reschedules and publishing. ``SEQUENCE`` grows when the post, its target or its
delivery changes: it is the number of whole seconds from the post's creation to the
latest of their ``updated_at`` times. That needs no counter column and no state in the
feed, and only grows while the clock does (two changes within one second share a
number; ``LAST-MODIFIED`` and ``DTSTAMP`` carry the same instant). A digest of the
content was the other choice, but a digest cannot say which version is newer.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar
from icalendar import Event as VEvent

from socialhub.core.policy import Permission
from socialhub.db.queries.ical import FeedRow, calendar_name, feed_rows
from socialhub.services.context import Ctx, use_case

#: How far back the feed reaches by default (published posts stay visible a while).
DEFAULT_PAST = timedelta(days=90)
#: How long an event lasts in the calendar (a post is an instant; zero-length events
#: are hard to see on a phone).
EVENT_LENGTH = timedelta(minutes=15)
PRODID = "-//socialhub//calendar feed//EN"
_EXCERPT = 60
_STATUS = {"canceled": "CANCELLED", "draft": "TENTATIVE", "pending_approval": "TENTATIVE",
           "changes_requested": "TENTATIVE", "approved": "TENTATIVE"}


def event_uid(post_id: int, account_id: int) -> str:
    """The stable UID of a post's event on one target account."""
    return f"post-{post_id}-account-{account_id}@socialhub"


def _excerpt(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _EXCERPT else line[:_EXCERPT - 1].rstrip() + "…"


def _last_change(row: FeedRow) -> datetime:
    return max(t for t in (row.post_updated_at, row.variant_updated_at,
                           row.delivery_updated_at) if t is not None)


def sequence_of(row: FeedRow) -> int:
    """The event's SEQUENCE: whole seconds from the post's creation to its last change."""
    return max(0, int((_last_change(row) - row.post_created_at).total_seconds()))


def _event(row: FeedRow) -> VEvent:
    changed = _last_change(row)
    status = row.delivery_status or row.post_status
    event = VEvent()
    event.add("uid", event_uid(row.post_id, row.account_id))
    event.add("sequence", sequence_of(row))
    event.add("dtstamp", changed)
    event.add("last-modified", changed)
    event.add("created", row.post_created_at)
    event.add("dtstart", row.scheduled_at)
    event.add("dtend", row.scheduled_at + EVENT_LENGTH)
    event.add("summary", f"{_excerpt(row.text) or row.post_name} ({row.platform})")
    event.add("description", f"{row.text}\n\npost: {row.post_name}\n"
                             f"account: {row.platform}:@{row.handle.lstrip('@')}\nstatus: {status}")
    event.add("categories", [row.platform])
    event.add("status", _STATUS.get(row.post_status, "CONFIRMED"))
    event.add("transp", "TRANSPARENT")
    if row.remote_url:
        event.add("url", row.remote_url)
    return event


@use_case(Permission.POSTS_READ)
def calendar_ics(ctx: Ctx, since: datetime | None = None,
                 until: datetime | None = None) -> bytes:
    """The organization's posts × targets with a time in [since, until) as an iCalendar
    file (UTF-8 bytes, CRLF lines): one VEVENT each, DTSTART in UTC, stable UIDs,
    SEQUENCE growing with every change, the post's URL once published.

    ``since`` defaults to 90 days before now; ``until`` to no end.
    """
    start = since if since is not None else ctx.now() - DEFAULT_PAST
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    name = calendar_name(ctx.session, ctx.org_id) or "socialhub"
    cal.add("x-wr-calname", f"socialhub: {name}")
    cal.add("x-wr-timezone", "UTC")
    for row in feed_rows(ctx.session, ctx.org_id, start, until):
        cal.add_component(_event(row))
    return cal.to_ical()
