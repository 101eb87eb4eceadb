"""How the calendar labels what it shows: platform badges, legends, free slots still ahead.

Pure functions over calendar entries (no database, no use case), so the TUI
paints its first month without loading the services' context, the permission
policy or the use cases of ``board`` (which re-exports these).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from socialhub.platforms.registry import specs

#: Two-letter badges shown on the calendar, one per platform.
BADGES: dict[str, str] = {spec.name: spec.badge for spec in specs()}


def badge(platform: str) -> str:
    """The two-letter calendar badge of a platform (``bs`` for bluesky)."""
    return BADGES.get(platform, platform[:2]).strip()


def handle_of(account: str) -> str:
    """The ``@handle`` part of an account ref (``bluesky:@shop.example.com`` → ``@shop…``)."""
    return account.split(":", 1)[-1]


def legend(entries: Iterable[dict[str, Any]]) -> str:
    """What each badge on screen stands for: ``bs @shop.example.com · ma @me@social.example``."""
    pairs = {(e["platform"], e["account"]) for e in entries}  # a month: 2,000 entries, few pairs
    seen = sorted({(badge(platform), handle_of(account)) for platform, account in pairs})
    return " · ".join(f"{code} {handle}" for code, handle in seen)


def badge_key() -> str:
    """Every platform badge and its network, for the help screen."""
    return ", ".join(f"{code.strip()} {name}" for name, code in BADGES.items())


def is_past(entry: dict[str, Any], now: datetime) -> bool:
    """True when a calendar entry's time (local ISO with offset) is not after ``now``."""
    return datetime.fromisoformat(entry["at"]) <= now


def upcoming(entries: list[dict[str, Any]], now: datetime | None) -> list[dict[str, Any]]:
    """The entries worth showing: every post, but a free slot only while it is ahead.

    A slot whose time has passed cannot take a post any more, so it is not
    offered as "free".
    """
    if now is None:
        return entries
    return [e for e in entries if e["kind"] != "slot" or not is_past(e, now)]
