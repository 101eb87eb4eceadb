"""X's post ids are snowflakes: the creation time is in the id itself."""

from __future__ import annotations

from datetime import UTC, datetime

_TWEPOCH_MS = 1_288_834_974_657  # X's snowflake epoch (2010-11-04T01:42:54.657Z)


def posted_at(remote_id: str) -> datetime | None:
    """When post ``remote_id`` was created, to the millisecond (UTC), from its snowflake
    id; None for an id that is not a snowflake (not digits, or from before 2010)."""
    try:
        number = int(remote_id)
    except ValueError:
        return None
    if number < 1 << 32:
        return None
    return datetime.fromtimestamp(((number >> 22) + _TWEPOCH_MS) / 1000, UTC)
