"""The calendar as the TUI's board shows it: badges, legends, free slots, moving a post.

Plain data and actions, built only from the shared services, in the same
transactions the CLI uses. Nothing here imports a UI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from socialhub.core.calendar_view import (
    CalendarData,
    View,
    calendar_span,
    local_today,
)
from socialhub.core.policy import Permission
from socialhub.core.when import localize, parse_when
from socialhub.errors import ValidationError
from socialhub.services.authoring.board_labels import (
    BADGES,
    badge,
    badge_key,
    handle_of,
    is_past,
    legend,
    upcoming,
)
from socialhub.services.context import Ctx, use_case

# Nothing heavy is imported up front: the TUI paints its first month before
# SQLAlchemy, the models, the text rules (regex tables), AI voices or
# publishing are loaded. Services are imported inside the functions using them.

__all__ = ["BADGES", "CalendarData", "View", "badge", "badge_key", "calendar_data", "calendar_span",
           "handle_of", "is_past", "legend", "local_today", "upcoming"]


def default_time(day: date | None, now: datetime, zone: str) -> str:
    """The new-post form's time: 09:00 on ``day`` when still ahead, else the next round hour.

    Never in the past: on today after 09:00, or on a day gone by, it is the
    first full hour after ``now`` (in ``zone``). Returned as ``YYYY-MM-DD HH:MM``.
    """
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    local_now = now.astimezone(tz)
    if day is not None:
        morning = datetime.combine(day, time(9, 0), tz)
        if morning > local_now:
            return f"{morning:%Y-%m-%d %H:%M}"
    # Step in UTC so a DST change never yields a wall-clock hour that does not exist.
    hour = local_now.replace(minute=0, second=0, microsecond=0)
    nxt = (hour.astimezone(UTC) + timedelta(hours=1)).astimezone(tz)
    while nxt.minute:  # zones with a half-hour offset: on to the next local full hour
        nxt += timedelta(minutes=60 - nxt.minute)
    return f"{nxt:%Y-%m-%d %H:%M}"


@use_case(Permission.POSTS_READ)
def calendar_data(ctx: Ctx, view: View, anchor: date,
                  zone: str) -> CalendarData:
    """Posts and free slots of the month or week around ``anchor``, by local day in ``zone``."""
    from socialhub.services.authoring.calendar import calendar_entries

    rng = calendar_span(view, anchor)
    return CalendarData.of(view, rng, calendar_entries(ctx, rng, zone))


@dataclass(frozen=True)
class Move:
    """What a move changed: the post and each target's previous schedule (for undo)."""

    post: str
    days: int
    previous: dict[str, str] = field(default_factory=dict)  # account ref → "local zone"
    minutes: int = 0


@use_case(Permission.POSTS_PUBLISH)
def move_post(ctx: Ctx, ref: str, days: int, *, now: datetime,
              minutes: int = 0) -> Move:
    """Shift every scheduled target of a post by ``days`` and ``minutes`` of local time.

    Each target keeps its zone; a whole-day move keeps its local time of day
    (across a DST change too), a ``minutes`` move shifts the wall-clock time.

    Raises:
        ValidationError: the post has no scheduled target, or a new time is in the past.
        ConflictError: a target is being published or already went out.
    """
    from socialhub.services.authoring.posts import get_post
    from socialhub.services.authoring.scheduling import schedule_post

    session, org_id = ctx.session, ctx.org_id
    post = get_post(session, org_id, ref)
    previous: dict[str, str] = {}
    for v in post.variants:
        if v.local_time is None or v.timezone is None:
            continue
        old = datetime.fromisoformat(v.local_time)
        previous[v.account.ref] = f"{v.local_time} {v.timezone}"
        when = localize(old + timedelta(days=days, minutes=minutes), v.timezone)
        schedule_post(ctx, post.name, at=when, accounts=[v.account.ref], now=now)
    if not previous:
        raise ValidationError(f"post {post.name} is not on the calendar; schedule it first")
    return Move(post.name, days, previous, minutes)


@use_case(Permission.POSTS_PUBLISH)
def undo_move(ctx: Ctx, move: Move, *, now: datetime) -> None:
    """Put each target of a moved post back at the time it had before ``move``.

    Raises:
        ValidationError: an old time has passed in the meantime.
    """
    from socialhub.services.authoring.scheduling import schedule_post

    for account, text in move.previous.items():
        schedule_post(ctx, move.post, at=parse_when(text, "UTC"),
                      accounts=[account], now=now)
