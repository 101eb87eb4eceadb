"""When weekly posting slots fall: pure time arithmetic, no database."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

from socialhub.core.when import When, load_zone, localize
from socialhub.errors import ValidationError


class WeeklySlot(Protocol):
    """A weekly slot: weekday (0 = Monday), local ``HH:MM`` and the zone it is in."""

    @property
    def weekday(self) -> int: ...

    @property
    def time(self) -> str: ...

    @property
    def timezone(self) -> str: ...


def slot_instants(slots: Iterable[WeeklySlot], start: datetime, end: datetime) -> list[When]:
    """Occurrences of ``slots`` in (start, end], in order; ones a DST gap skips are dropped."""
    out: list[When] = []
    for slot in slots:
        tz = load_zone(slot.timezone)
        day = start.astimezone(tz).date() - timedelta(days=1)
        last = end.astimezone(tz).date() + timedelta(days=1)
        hh, mm = (int(x) for x in slot.time.split(":"))
        while day <= last:
            if day.weekday() == slot.weekday:
                try:
                    when = localize(datetime(day.year, day.month, day.day, hh, mm), slot.timezone)
                except ValidationError:
                    when = None  # a DST gap swallowed this occurrence
                if when is not None and start < when.utc <= end:
                    out.append(when)
            day += timedelta(days=1)
    return sorted(out, key=lambda w: w.utc)
