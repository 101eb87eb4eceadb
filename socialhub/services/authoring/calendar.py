"""The calendar: what goes out when, in the viewer's zone, plus empty slots."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from socialhub.core.calendar_entries import build_entries
from socialhub.core.calendar_view import CalendarRange, View, view_range
from socialhub.core.policy import Permission
from socialhub.core.when import load_zone
from socialhub.core.when_relative import parse_day
from socialhub.db.queries.calendar import calendar_rows
from socialhub.errors import ValidationError
from socialhub.services.accounts.accounts import get_account
from socialhub.services.clock import display_zone
from socialhub.services.context import Ctx, use_case

__all__ = ["CalendarRange", "View", "calendar_entries", "calendar_view", "view_range"]


@use_case(Permission.POSTS_READ)
def calendar_entries(ctx: Ctx, rng: CalendarRange, zone: str, *,
                     account_id: int | None = None, include_slots: bool = True
                     ) -> list[dict[str, Any]]:
    """Scheduled targets and the free slots still ahead in the range, ordered by time,
    times in ``zone``."""
    session, org_id = ctx.session, ctx.org_id
    tz = load_zone(zone)
    start = datetime.combine(rng.start, time(), tz)
    end = datetime.combine(rng.end, time(), tz)
    targets, slots = calendar_rows(session, org_id, start, end, account_id=account_id,
                                   include_slots=include_slots)
    return build_entries(targets, slots, start, end, tz, now=ctx.now())


@use_case(Permission.POSTS_READ)
def calendar_view(ctx: Ctx, *, view: str = "agenda", start: str | None = None, days: int = 14,
                  account: str | None = None, zone: str | None = None,
                  slots: bool = True) -> dict[str, Any]:
    """The calendar as ``calendar --json`` shows it: ``view``, ``zone``, ``from``, ``to``
    and ``entries``, for the view around the day ``start`` (default today).

    Raises:
        ValidationError: an unknown view, a day or zone that does not read, or days
            outside 1..366.
        NotFoundError: no such account.
    """
    if view not in ("agenda", "week", "month"):
        raise ValidationError(f"unknown view {view!r} (use agenda, week or month)")
    if not 1 <= days <= 366:
        raise ValidationError("days must be between 1 and 366")
    tz_name = zone or display_zone(ctx.settings)
    tz = load_zone(tz_name)
    today = ctx.now().astimezone(tz).date()
    try:
        anchor = parse_day(start, today) if start else today
    except ValidationError as exc:
        raise ValidationError(f"--from: {exc}") from None
    rng = view_range(view, anchor, days)  # type: ignore[arg-type]
    account_id = get_account(ctx.session, ctx.org_id, account).id if account else None
    entries = calendar_entries(ctx, rng, tz_name, account_id=account_id, include_slots=slots)
    return {"view": view, "zone": tz_name, "from": rng.start, "to": rng.end,
            "entries": entries, "today": today}
