"""Calendar entries from rows: the scheduled targets and free slots of a span, by time.

Pure (no database, no UI): the calendar service turns the rows SQLAlchemy
reads into entries here, and so does the TUI's standard-library read of its
first month (``services/calendar_sqlite.py``), so both answer alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Any, NamedTuple

from socialhub.core.slot_times import slot_instants

#: Post statuses of the review of a post (teams), shown instead of the delivery's.
_IN_REVIEW = ("pending_approval", "changes_requested")


class TargetRow(NamedTuple):
    """One scheduled target of a post that is not canceled (``at`` is aware UTC)."""

    post_id: int
    account_id: int
    at: datetime
    text: str
    thread: list[Any] | None
    post: str
    post_status: str
    platform: str
    handle: str
    delivery_status: str | None  # the latest delivery's, if any


class SlotRow(NamedTuple):
    """One weekly slot of an account."""

    account_id: int
    platform: str
    handle: str
    weekday: int
    time: str
    timezone: str


def build_entries(targets: Iterable[TargetRow], slots: Iterable[SlotRow], start: datetime,
                  end: datetime, tz: tzinfo, *, now: datetime | None = None
                  ) -> list[dict[str, Any]]:
    """Entries for targets in [start, end) and slots no target of the account takes;
    with ``now``, only the slots still ahead of it (a free slot that has passed can no
    longer be filled).

    Times are shown in ``tz``; entries are ordered by time, posts before slots, then by
    account and post name.
    """
    entries: list[dict[str, Any]] = []
    taken: set[tuple[int, datetime]] = set()
    for row in targets:
        taken.add((row.account_id, row.at))
        local = row.at.astimezone(tz)
        entries.append({
            "kind": "post", "post": row.post, "post_id": row.post_id,
            "account": f"{row.platform}:@{row.handle}", "platform": row.platform,
            "at": local.isoformat(), "date": local.date(), "time": local.strftime("%H:%M"),
            # A post waiting for a review says so even with its delivery in line.
            "status": row.post_status if row.post_status in _IN_REVIEW
            else (row.delivery_status or row.post_status), "text": row.text,
            "thread_parts": len(row.thread or []) or 1,
        })
    for slot in slots:
        for when in slot_instants([slot], start, end):
            if ((slot.account_id, when.utc) in taken or when.utc == start
                    or (now is not None and when.utc <= now)):
                continue
            local = when.utc.astimezone(tz)
            entries.append({
                "kind": "slot", "post": None, "post_id": None,
                "account": f"{slot.platform}:@{slot.handle}", "platform": slot.platform,
                "at": local.isoformat(), "date": local.date(), "time": local.strftime("%H:%M"),
                "status": "free", "text": "", "thread_parts": 0,
            })
    return sorted(entries, key=lambda e: (e["at"], e["kind"] != "post", e["account"],
                                          e["post"] or ""))
