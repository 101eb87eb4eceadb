"""The month the TUI opens on, read without SQLAlchemy or the settings schema.

Reads the config's few keys it needs plainly and the month through the
database driver (``db.queries.calendar``). Importing this module is
cheap: everything heavier is imported inside ``quick_month``.
"""

from __future__ import annotations

import os
from datetime import date
from typing import TYPE_CHECKING

from socialhub.errors import SocialhubError

if TYPE_CHECKING:
    from socialhub.core.calendar_view import CalendarData

#: The settings the SQLite read needs, out of the whole schema.
QUICK_KEYS = (("database", "url"), ("organization",), ("timezone",))


def quick_month(config_path: str | None) -> tuple[str, date, CalendarData] | None:
    """(display zone, today, the month's calendar data), or None if unsure.

    Anything it cannot vouch for (an unknown zone, a schema to create or
    upgrade, a value the schema would refuse, a URL with options) is None, so
    the caller falls back to the full read, which reports it.
    """
    from socialhub.config_file import DEFAULT_ORGANIZATION, read_raw_config
    from socialhub.core.calendar_view import local_today
    from socialhub.db.queries.calendar import (
        DirectDatabase,
        direct_database,
        read_calendar_direct,
    )
    from socialhub.paths import resolve_paths
    from socialhub.services.clock import now_utc, system_zone

    env = dict(os.environ)
    paths = resolve_paths(env)
    try:
        _, data, _ = read_raw_config(config_path, env, paths, QUICK_KEYS)
    except SocialhubError:
        return None
    section = data.get("database") or {}
    if not isinstance(section, dict):
        return None
    url, timezone = section.get("url"), data.get("timezone")
    organization = data.get("organization", DEFAULT_ORGANIZATION)
    if not all(isinstance(v, str | None) for v in (url, organization, timezone)):
        return None  # the settings schema would refuse it: the full read says why
    database = (DirectDatabase(sqlite_file=paths.default_database) if url is None
                else direct_database(url))
    if database is None or organization is None:
        return None
    zone = timezone or system_zone()  # as services.clock.display_zone
    now = now_utc()
    try:
        today = local_today(now, zone)
    except SocialhubError:
        return None  # an unknown zone: the full read says so
    month = read_calendar_direct(database, organization, "month", today, zone, now)
    return (zone, today, month) if month is not None else None
