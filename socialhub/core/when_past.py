"""Times in the past people type to look back: ``-7d``, ``2 hours ago``, ``yesterday``,
a date, or anything ``core.when.parse_when`` reads.

``audit list --since`` looks back, while the scheduling grammar
(``core.when_relative``) looks ahead; this module adds the backward forms and
hands everything else to ``parse_when``. Pure: "now" is a parameter.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from socialhub.core.when import parse_when
from socialhub.core.zoned import load_zone, localize

_UNITS = {"m": "minutes", "min": "minutes", "minute": "minutes", "minutes": "minutes",
          "h": "hours", "hour": "hours", "hours": "hours", "d": "days", "day": "days",
          "days": "days", "w": "weeks", "week": "weeks", "weeks": "weeks"}
_BACK = re.compile(r"^\s*(?:-(?P<n1>\d{1,5})\s*(?P<u1>[a-z]+)|(?P<n2>\d{1,5})\s*(?P<u2>[a-z]+)"
                   r"\s+ago)\s*$", re.I)
_DATE = re.compile(r"^\s*(?P<d>\d{4}-\d{2}-\d{2})\s*$")
#: Shown in errors and --help.
EXAMPLES = "'-7d', '2 hours ago', 'yesterday', '2026-12-01' or '2026-12-01 09:00'"


def parse_past(text: str, zone: str, *, now: datetime) -> datetime:
    """The UTC instant ``text`` names: ``-30m``/``-2h``/``-7d``/``-1w`` and ``N units ago``
    count back from ``now``; an ISO-8601 timestamp (``2026-12-06T09:30:00.25+00:00``) is
    that instant; ``today``/``yesterday`` and a bare date mean midnight in
    ``zone``; anything else is read by ``parse_when`` (dates with times, zones,
    relative times).

    Raises:
        ValidationError: the text is none of these.
    """
    back = _BACK.match(text)
    if back:
        n = int(back["n1"] or back["n2"])
        unit = _UNITS.get((back["u1"] or back["u2"]).lower())
        if unit is not None:
            return now.astimezone(UTC) - timedelta(**{unit: n})
    if "T" in text.strip():  # ISO-8601, as ``audit list --json`` prints ``at``
        try:
            stamp = datetime.fromisoformat(text.strip())
        except ValueError:
            stamp = None
        if stamp is not None:
            return stamp.astimezone(UTC) if stamp.tzinfo else localize(
                stamp, zone).utc
    word = text.strip().lower()
    if word in ("today", "yesterday"):
        day = now.astimezone(load_zone(zone)).date() - timedelta(days=word == "yesterday")
        return parse_when(f"{day.isoformat()} 00:00", zone).utc
    if (m := _DATE.match(text)) is not None:
        return parse_when(f"{m['d']} 00:00", zone).utc
    return parse_when(text, zone, now=now).utc
