"""Parsing "when" a post goes out: a local wall-clock time in a named zone.

A schedule keeps the local time and zone a person meant, plus the UTC
instant; recomputing the instant from the local time keeps a post at 09:00
Berlin time across a DST change. Times that do not exist (the skipped hour on
a spring-forward day) or are ambiguous are refused, not guessed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from socialhub.core.zoned import When, _out_of_range, load_zone, localize
from socialhub.errors import ValidationError

__all__ = ["MAX_OFFSET", "When", "load_zone", "localize", "parse_offset", "parse_when",
           "require_future"]

#: The widest offsets real zones use (Pacific/Kiritimati +14:00, Etc/GMT+12 -12:00);
#: anything wider is a typo, so it is refused rather than silently shifting the day.
MAX_OFFSET = timedelta(hours=14)

_WHEN_RE = re.compile(
    r"^\s*(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{1,2}:\d{2}(?::\d{2})?)"
    r"(?P<offset>Z|[+-]\d{2}:?\d{2})?(?:\s+(?P<zone>[A-Za-z_+\-/0-9]+))?\s*$"
)


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


def require_future(when: When, now: datetime, *, what: str = "time") -> None:
    """Refuse a time that has already passed.

    Raises:
        ValidationError: ``when`` is at or before ``now``.
    """
    if when.utc <= now:
        raise ValidationError(f"{what} {when} is in the past")
