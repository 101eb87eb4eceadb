"""The calendar's shape for the front ends: a view's span, its data, today in a zone.

A thin door onto the pure ``core.calendar_view`` (cheap to import).
"""

from __future__ import annotations

from socialhub.core.calendar_view import CalendarData, View, calendar_span, local_today

__all__ = ["CalendarData", "View", "calendar_span", "local_today"]
