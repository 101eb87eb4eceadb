"""Timestamps as platform APIs write them, read as aware UTC datetimes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any


def parse_timestamp(value: Any) -> datetime | None:
    """An ISO-8601 string (``Z``, ``+00:00`` or Graph's ``+0000``) or datetime, as aware.

    A value without an offset is taken as UTC; anything unreadable is None.
    """
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", text):
        text = text[:-2] + ":" + text[-2:]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
