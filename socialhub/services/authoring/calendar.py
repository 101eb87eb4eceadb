"""The calendar: what goes out when, in the viewer's zone, plus empty slots."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from socialhub.core.calendar_entries import build_entries
from socialhub.core.calendar_view import CalendarRange, View, view_range
from socialhub.core.policy import Permission
from socialhub.core.when import load_zone
from socialhub.db.queries.calendar import calendar_rows
from socialhub.services.context import Ctx, use_case

__all__ = ["CalendarRange", "View", "calendar_entries", "view_range"]


@use_case(Permission.POSTS_READ)
def calendar_entries(ctx: Ctx, rng: CalendarRange, zone: str, *,
                     account_id: int | None = None, include_slots: bool = True
                     ) -> list[dict[str, Any]]:
    """Scheduled targets and free slots in the range, ordered by time, times in ``zone``."""
    session, org_id = ctx.session, ctx.org_id
    tz = load_zone(zone)
    start = datetime.combine(rng.start, time(), tz)
    end = datetime.combine(rng.end, time(), tz)
    targets, slots = calendar_rows(session, org_id, start, end, account_id=account_id,
                                   include_slots=include_slots)
    return build_entries(targets, slots, start, end, tz)
