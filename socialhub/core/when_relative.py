"""Relative times people type: ``tomorrow 09:00``, ``next mon 9am``, ``+2h``, ``in 3 days``.

Examples in the README and ``--help`` must work on any day, and nobody wants to
work out next Monday's date to schedule a post. This module reads a small,
exact grammar (a guessing natural-language parser would turn a typo into a
wrong date) and turns it into a wall-clock time in a zone, which
``core.when.localize`` then checks for DST gaps like any other time:

* ``+30m``, ``+2h``, ``+3d``, ``+1w`` and ``in 2 hours``, ``in 3 days``,
  ``in a week`` — minutes and hours count from now; days and weeks keep
  today's wall-clock time, or take one: ``+3d 09:00``, ``in 3 days at 9am``;
* ``today 17:00``, ``tomorrow 09:00``, ``mon 09:00``, ``next monday at 9:30am``
  — a weekday means the next such day after today (never today).

A trailing IANA zone (``tomorrow 09:00 Europe/Berlin``) or ``UTC`` names the
zone; otherwise the caller's default zone applies. Pure: "now" is a parameter.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from socialhub.core.zoned import When, load_zone, localize
from socialhub.errors import ValidationError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_UNITS = {"m": "minutes", "min": "minutes", "mins": "minutes", "minute": "minutes",
          "minutes": "minutes", "h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours",
          "hours": "hours", "d": "days", "day": "days", "days": "days", "w": "weeks",
          "week": "weeks", "weeks": "weeks"}
_COUNT = r"(?P<n>\d{1,4}|an?|one)"
_UNIT = r"(?P<unit>[a-z]+)"
_TIME = r"(?:\s+(?:at\s+)?(?P<time>\d{1,2}(?::\d{2})?\s*(?:am|pm)?))?"
_SPLIT_ZONE = re.compile(r"^\s*(?P<expr>.+?)(?:\s+(?P<zone>UTC|[A-Za-z_]+/[A-Za-z_+\-/0-9]+))?"
                         r"\s*$")
_OFFSET = re.compile(rf"^(?:\+\s*{_COUNT}\s*|in\s+{_COUNT.replace('n>', 'n2>')}\s+){_UNIT}{_TIME}$")
_DAY = re.compile(r"^(?P<day>today|tomorrow|(?:next\s+)?[a-z]{3,9})" + _TIME + "$")
_CLOCK = re.compile(r"^(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm)?$")

EXAMPLES = "'tomorrow 09:00', 'next mon 9am', '+2h' or 'in 3 days'"


def _bad(text: str, why: str) -> ValidationError:
    return ValidationError(f"cannot read time {text!r}: {why}")


def _count(text: str) -> int:
    return 1 if text in ("a", "an", "one") else int(text)


def _weekday(word: str) -> int | None:
    word = word.removeprefix("next").strip()
    matches = [i for i, name in enumerate(WEEKDAYS) if len(word) >= 3 and name.startswith(word)]
    return matches[0] if len(matches) == 1 else None


def _clock(text: str, whole: str) -> time:
    m = _CLOCK.match(text.strip())
    if not m or (m["m"] is None and m["ampm"] is None):
        raise _bad(whole, "the time of day must be HH:MM or like 9am")
    hour, minute = int(m["h"]), int(m["m"] or 0)
    if m["ampm"]:
        if not 1 <= hour <= 12:
            raise _bad(whole, f"{hour}{m['ampm']} is not a time of day")
        hour = hour % 12 + (12 if m["ampm"] == "pm" else 0)
    if hour > 23 or minute > 59:
        raise _bad(whole, f"{text.strip()} is not a time of day")
    return time(hour, minute)


def split_zone(text: str) -> tuple[str, str | None]:
    """Split a trailing zone (``Europe/Berlin``, ``UTC``) off ``text``; lower-cases the rest."""
    m = _SPLIT_ZONE.match(text)
    if not m:
        return text.strip().lower(), None
    return m["expr"].strip().lower(), m["zone"]


def relative_local(text: str, now_local: datetime) -> datetime | None:
    """The naive wall-clock time ``text`` means, seen from ``now_local`` (naive, same zone).

    Returns None when ``text`` is not one of the relative forms at all, so the
    caller can say what it expected.

    Raises:
        ValidationError: a relative form with a bad count, unit or time of day.
    """
    expr = " ".join(text.strip().lower().split())
    now_local = now_local.replace(second=0, microsecond=0)
    m = _OFFSET.match(expr)
    if m:
        unit = _UNITS.get(m["unit"])
        if unit is None:
            raise _bad(text, f"unknown unit {m['unit']!r} (use minutes, hours, days or "
                                 "weeks, or m, h, d, w)")
        n = _count(m["n"] or m["n2"])
        if unit in ("minutes", "hours"):
            if m["time"]:
                raise _bad(text, "a time of day goes with days or weeks, not with minutes "
                                 "or hours")
            return now_local + timedelta(**{unit: n})
        day = now_local.date() + timedelta(**{unit: n})
        at = _clock(m["time"], text) if m["time"] else now_local.time()
        return datetime.combine(day, at)
    m = _DAY.match(expr)
    if m:
        day_word = m["day"]
        if day_word in ("today", "tomorrow"):
            target = now_local.date() + timedelta(days=1 if day_word == "tomorrow" else 0)
        else:
            weekday = _weekday(day_word)
            if weekday is None:
                return None
            target = next_weekday(now_local.date(), weekday)
        if not m["time"]:
            raise _bad(text, f"say at what time, e.g. '{day_word} 09:00'")
        return datetime.combine(target, _clock(m["time"], text))
    return None


def next_weekday(today: date, weekday: int) -> date:
    """The next date after ``today`` (1–7 days ahead) that falls on ``weekday`` (Monday = 0)."""
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def parse_day(text: str, today: date) -> date:
    """A day for views such as ``calendar --from``: ``YYYY-MM-DD``, ``today``, ``tomorrow``,
    ``yesterday``, a weekday (``mon``, ``next friday``), ``+3d``/``-1w``, ``in 2 weeks``.

    Raises:
        ValidationError: none of those forms.
    """
    expr = " ".join(text.strip().lower().split())
    try:
        return date.fromisoformat(expr)
    except ValueError:
        pass
    if expr in ("today", "tomorrow", "yesterday"):
        return today + timedelta(days={"today": 0, "tomorrow": 1, "yesterday": -1}[expr])
    weekday = _weekday(expr)
    if weekday is not None:
        return next_weekday(today, weekday)
    m = re.match(r"^(?:(?P<sign>[+-])\s*(?P<n>\d{1,4})\s*|in\s+(?P<n2>\d{1,4}|an?|one)\s+)"
                 r"(?P<unit>[a-z]+)$", expr)
    if m and _UNITS.get(m["unit"]) in ("days", "weeks"):
        n = _count(m["n"] or m["n2"]) * (-1 if m["sign"] == "-" else 1)
        return today + timedelta(**{str(_UNITS[m["unit"]]): n})
    raise ValidationError(f"{text!r} is not a day: use YYYY-MM-DD, today, tomorrow, a weekday "
                          "(mon, next fri) or +3d")


def parse_relative(text: str, default_zone: str, now: datetime) -> When | None:
    """``text`` as a relative time seen from ``now``; None when it is no relative form.

    Minutes and hours count real time from ``now`` (so ``+2h`` is two hours
    away even across a DST change); days, weeks and named days are wall-clock
    times in the zone, refused if a DST change skips or repeats them.

    Raises:
        ValidationError: a relative form with a bad unit, count, time of day or zone.
    """
    expr, zone_name = split_zone(text)
    zone = zone_name or default_zone
    tz = load_zone(zone)
    aware_now = now if now.tzinfo else now.replace(tzinfo=UTC)
    m = _OFFSET.match(" ".join(expr.split()))
    if m and _UNITS.get(m["unit"]) in ("minutes", "hours") and not m["time"]:
        unit = str(_UNITS[m["unit"]])
        utc = (aware_now.astimezone(UTC).replace(second=0, microsecond=0)
               + timedelta(**{unit: _count(m["n"] or m["n2"])}))
        return When(local=utc.astimezone(tz).replace(tzinfo=None), zone=zone, utc=utc)
    local = relative_local(expr, aware_now.astimezone(tz).replace(tzinfo=None))
    return None if local is None else localize(local, zone)


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'}"


def describe_from_now(instant: datetime, now: datetime, zone: str) -> str:
    """How far ``instant`` is from ``now``, as people say it: ``in 40 minutes``,
    ``in 3 hours``, ``tomorrow``, ``in 2 days`` (calendar days in ``zone``), ``2 hours ago``."""
    from zoneinfo import ZoneInfo

    seconds = (instant - now).total_seconds()
    if seconds < 0:
        minutes = int(-seconds // 60)
        ago = _plural(minutes, "minute") if minutes < 120 else _plural(minutes // 60, "hour")
        return f"{ago} ago" if minutes < 48 * 60 else f"{_plural(minutes // 1440, 'day')} ago"
    tz = ZoneInfo(zone)
    days = (instant.astimezone(tz).date() - now.astimezone(tz).date()).days
    if days == 0 or seconds < 6 * 3600:
        minutes = max(1, round(seconds / 60))
        return f"in {_plural(minutes, 'minute')}" if minutes < 90 else \
            f"in {_plural(round(minutes / 60), 'hour')}"
    if days == 1:
        return "tomorrow"
    return f"in {days} days"


def describe_when(instant: datetime, now: datetime, zone: str) -> str:
    """``Mon 7 Dec 2026 09:00 Europe/Berlin (in 2 days)``: the local time, its zone, and
    how far away it is."""
    from zoneinfo import ZoneInfo

    local = instant.astimezone(ZoneInfo(zone))
    return (f"{local:%a} {local.day} {local:%b %Y %H:%M} {zone} "
            f"({describe_from_now(instant, now, zone)})")
