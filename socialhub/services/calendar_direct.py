"""The calendar read without SQLAlchemy, for the TUI's first paint.

A cold ``socialhub tui`` would spend about half a second importing
SQLAlchemy, the models and the settings schema before it could read the
month it opens on. Here the rows come through the database driver alone
(``db.direct_read``: ``sqlite3`` or ``psycopg``) and become entries through
the same code as ``services.calendar`` (``core.calendar_entries``); a test
checks that both answer alike on both databases. None means "not sure": the
caller then uses the full service.
"""

from __future__ import annotations

from datetime import date, datetime, time

from socialhub.core.calendar_entries import build_entries
from socialhub.core.calendar_view import CalendarData, View, calendar_span
from socialhub.core.when import load_zone
from socialhub.db.direct_read import DirectDatabase, direct_database, read_calendar_rows

__all__ = ["DirectDatabase", "direct_database", "read_calendar_direct"]


def read_calendar_direct(database: DirectDatabase, organization: str, view: View,
                         anchor: date, zone: str) -> CalendarData | None:
    """What ``services.tui_views.calendar_data`` answers for this view, or None if unsure.

    ``organization`` is the configured org's name.
    """
    rng = calendar_span(view, anchor)
    tz = load_zone(zone)
    start = datetime.combine(rng.start, time(), tz)
    end = datetime.combine(rng.end, time(), tz)
    read = read_calendar_rows(database, organization, start, end)
    if read is None:
        return None
    targets, slots = read
    return CalendarData.of(view, rng, build_entries(targets, slots, start, end, tz))
