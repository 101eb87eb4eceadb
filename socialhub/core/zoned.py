"""A wall-clock time in a named zone: ``When``, loading a zone, placing a local time in it.

The ground both time parsers stand on (``core.when`` for absolute times,
``core.when_relative`` for "tomorrow 9am" and "+2h"), so neither imports the other
to get it. Times a DST change skips or repeats are refused, not guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from socialhub.errors import ValidationError


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
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Europe" is a folder
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


def _minutes(local: datetime) -> str:
    return local.isoformat(sep=" ", timespec="minutes")


def _out_of_range(text: str) -> ValidationError:
    return ValidationError(f"{text!r} is too close to the ends of the calendar "
                           "(years 1 and 9999) to place in UTC")
