"""The shape of a calendar view: which local days it spans, and its entries by day.

Pure date arithmetic (no database, no UI), so the TUI can hold and paint a
month without importing the database layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

View = Literal["agenda", "week", "month"]


@dataclass(frozen=True)
class CalendarRange:
    """A span of local days [start, end) for a view."""

    start: date
    end: date


def view_range(view: View, anchor: date, days: int = 14) -> CalendarRange:
    """The days a view shows around ``anchor``: a Monday-based week, a month, or N days."""
    if view == "week":
        start = anchor - timedelta(days=anchor.weekday())
        return CalendarRange(start, start + timedelta(days=7))
    if view == "month":
        start = anchor.replace(day=1)
        nxt = (start + timedelta(days=32)).replace(day=1)
        return CalendarRange(start, nxt)
    return CalendarRange(anchor, anchor + timedelta(days=days))


def calendar_span(view: View, anchor: date) -> CalendarRange:
    """The days a calendar grid shows around ``anchor`` (a month grid shows whole weeks)."""
    rng = view_range(view, anchor)
    if view == "month":  # the grid shows whole weeks, so fetch the padding days too
        start = rng.start - timedelta(days=rng.start.weekday())
        end = rng.end + timedelta(days=(7 - rng.end.weekday()) % 7)
        rng = CalendarRange(start, end)
    return rng


@dataclass(frozen=True)
class CalendarData:
    """The entries of one view, grouped by local day (posts first, then free slots)."""

    view: View
    start: date
    end: date
    days: dict[date, list[dict[str, Any]]]

    @classmethod
    def of(cls, view: View, rng: CalendarRange, entries: list[dict[str, Any]]) -> CalendarData:
        """The view over ``rng`` holding ``entries`` (in their order) under their local days."""
        days: dict[date, list[dict[str, Any]]] = {}
        for entry in entries:
            days.setdefault(entry["date"], []).append(entry)
        return cls(view, rng.start, rng.end, days)


def local_today(now: datetime, zone: str) -> date:
    """The calendar day ``now`` falls on in ``zone``."""
    from socialhub.core.when import load_zone  # zoneinfo: not needed to paint a month read

    return now.astimezone(load_zone(zone)).date()
