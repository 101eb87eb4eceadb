"""The current instant and the zone people see times in."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from socialhub.config import Settings


def now_utc() -> datetime:
    """The current instant (UTC); ``SOCIALHUB_FAKE_NOW`` (ISO-8601) freezes it for tests."""
    fake = os.environ.get("SOCIALHUB_FAKE_NOW")
    if fake:
        parsed = datetime.fromisoformat(fake)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.now(UTC)


def system_zone() -> str:
    """The machine's IANA zone name: $TZ, /etc/timezone, /etc/localtime, else UTC."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if (tz and "/" in tz) or tz == "UTC":
        return tz
    tzfile = Path("/etc/timezone")
    if tzfile.is_file():
        name = tzfile.read_text().strip()
        if name:
            return name
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        target = str(localtime.resolve())
        if "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
    return "UTC"


def display_zone(settings: Settings) -> str:
    """The zone times are shown and read in: ``timezone`` in config, else the machine's."""
    return settings.timezone or system_zone()
