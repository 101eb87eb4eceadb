"""Parsing "when" a post goes out: a local wall-clock time in a named zone.

A schedule keeps the local time and zone a person meant, plus the UTC
instant; recomputing the instant from the local time keeps a post at 09:00
Berlin time across a DST change. Times that do not exist (the skipped hour on
a spring-forward day) or are ambiguous are refused, not guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from socialhub.errors import ValidationError

#: The widest offsets real zones use (Pacific/Kiritimati +14:00, Etc/GMT+12 -12:00);
#: anything wider is a typo, so it is refused rather than silently shifting the day.
MAX_OFFSET = timedelta(hours=14)

_WHEN_RE = re.compile(
    r"^\s*(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{1,2}:\d{2}(?::\d{2})?)"
    r"(?P<offset>Z|[+-]\d{2}:?\d{2})?(?:\s+(?P<zone>[A-Za-z_+\-/0-9]+))?\s*$"
)


@dataclass(frozen=True)
class When:
    """An intended publication time: local wall clock, its zone, and the UTC instant."""

    local: datetime  # naive wall-clock time in ``zone``
    zone: str
    utc: datetime

    @property
    def local_text(self) -> str:
        """The local time as stored and shown: ``YYYY-MM-DDTHH:MM[:SS]``."""
        # isoformat, not strftime: strftime drops the leading zeros of years before 1000.
        return self.local.isoformat(timespec="seconds" if self.local.second else "minutes")

    def __str__(self) -> str:
        return f"{self.local_text} {self.zone}"


def load_zone(name: str) -> ZoneInfo:
    """Return the IANA zone ``name``.

    Raises:
        ValidationError: no such zone.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        close = sorted(z for z in available_timezones() if z.lower().endswith(name.lower()))[:3]
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ValidationError(f"unknown time zone {name!r}{hint}") from None


def localize(local: datetime, zone: str) -> When:
    """Attach ``zone`` to a naive wall-clock time, refusing non-existent or ambiguous times.

    Raises:
        ValidationError: the time is skipped or repeated by a DST change in ``zone``.
    """
    tz = load_zone(zone)
    early = local.replace(tzinfo=tz, fold=0)
    late = local.replace(tzinfo=tz, fold=1)
    try:
        utc = early.astimezone(UTC)
        # Round-trip through UTC: a skipped time does not come back as itself.
        back = utc.astimezone(tz).replace(tzinfo=None)
    except OverflowError:
        raise _out_of_range(f"{_minutes(local)} {zone}") from None
    if early.utcoffset() != late.utcoffset():
        if back != local:
            raise ValidationError(
                f"{_minutes(local)} does not exist in {zone} (clocks spring forward "
                "that night); pick another time"
            )
        raise ValidationError(
            f"{_minutes(local)} happens twice in {zone} (clocks fall back that night); "
            "pick another time or give a UTC offset"
        )
    return When(local=local, zone=zone, utc=utc)


def parse_when(text: str, default_zone: str, *, now: datetime | None = None) -> When:
    """Parse ``"2026-12-01 09:00 Europe/Berlin"`` (zone optional, or an offset/``Z``).

    With ``now``, relative forms are read too (``tomorrow 09:00``, ``+2h``:
    ``core.when_relative``); without it (manifests, which must mean the same
    on every apply) only dates are.

    Raises:
        ValidationError: the text is not a date and time, or names a bad zone or time.
    """
    m = _WHEN_RE.match(text)
    if not m:
        from socialhub.core.when_relative import EXAMPLES, parse_relative

        relative = parse_relative(text, default_zone, now) if now is not None else None
        if relative is not None:
            return relative
        also = f", or a relative time such as {EXAMPLES}" if now is not None else ""
        raise ValidationError(
            f"cannot read time {text!r}: expected 'YYYY-MM-DD HH:MM [Zone/Name]'{also}"
        )
    fmt = "%Y-%m-%d %H:%M:%S" if m["time"].count(":") == 2 else "%Y-%m-%d %H:%M"
    try:
        local = datetime.strptime(f"{m['date']} {m['time']}", fmt)
    except ValueError:
        raise ValidationError(f"{text!r} is not a valid calendar date and time") from None
    if m["offset"]:
        if m["zone"]:
            raise ValidationError(f"{text!r}: give a UTC offset or a zone name, not both")
        delta = parse_offset(m["offset"], text)
        try:
            utc = (local - delta).replace(tzinfo=UTC)
        except OverflowError:
            raise _out_of_range(text) from None
        return When(local=utc.replace(tzinfo=None), zone="UTC", utc=utc)
    return localize(local, m["zone"] or default_zone)


def parse_offset(offset: str, text: str) -> timedelta:
    """The UTC offset ``Z``, ``+HH:MM`` or ``+HHMM`` as a signed ``timedelta``.

    Raises:
        ValidationError: minutes of 60 or more, or an offset beyond ±14:00 (no real zone
            uses one; ``+99:00`` would silently move the post by days).
    """
    if offset == "Z":
        return timedelta(0)
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    delta = sign * timedelta(hours=hours, minutes=minutes)
    if minutes >= 60 or abs(delta) > MAX_OFFSET:
        raise ValidationError(
            f"UTC offset {offset!r} in {text!r} is out of range: real zones use offsets "
            "between -14:00 and +14:00 with minutes under 60"
        )
    return delta


def _minutes(local: datetime) -> str:
    return local.isoformat(sep=" ", timespec="minutes")


def _out_of_range(text: str) -> ValidationError:
    return ValidationError(f"{text!r} is too close to the ends of the calendar "
                           "(years 1 and 9999) to place in UTC")


def require_future(when: When, now: datetime, *, what: str = "time") -> None:
    """Refuse a time that has already passed.

    Raises:
        ValidationError: ``when`` is at or before ``now``.
    """
    if when.utc <= now:
        raise ValidationError(f"{what} {when} is in the past")
