"""The calendar's rows, written twice side by side: through SQLAlchemy and through the driver.

``calendar_rows`` is the read ``services.authoring.calendar`` uses; ``calendar_rows_direct``
runs the same two queries through ``db.direct`` (``sqlite3`` or ``psycopg``,
no SQLAlchemy) for the TUI's first paint, and ``read_calendar_direct`` turns
them into the month or week it shows. Change one query, change the other:
``tests/db/test_db_queries.py`` holds them to the same answers on SQLite and
PostgreSQL. SQLAlchemy and the models are imported inside ``calendar_rows`` only,
so importing this module stays quick.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from socialhub.core.calendar_entries import SlotRow, TargetRow, build_entries
from socialhub.core.calendar_view import CalendarData, View, calendar_span
from socialhub.core.when import load_zone
from socialhub.db.direct import DirectConnection, DirectDatabase, direct_database, read_direct

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["CalendarRows", "DirectDatabase", "calendar_rows", "calendar_rows_direct",
           "direct_database", "read_calendar_direct"]

CalendarRows = tuple[list[TargetRow], list[SlotRow]]


def calendar_rows(session: Session, org_id: int, start: datetime, end: datetime, *,
                  account_id: int | None = None, include_slots: bool = True) -> CalendarRows:
    """The organization's targets scheduled in [start, end) (canceled posts left out) and
    its weekly slots (none unless ``include_slots``), optionally for one account."""
    from sqlalchemy import select

    from socialhub.db.models import Account, Delivery, Post, Slot, Variant

    # Columns only, one join, the latest delivery's status as a correlated subquery
    # (served by the variant_id index): building ORM objects for a month of 2,000
    # posts cost several hundred milliseconds, a third of the TUI's first paint.
    latest = (select(Delivery.status).where(Delivery.variant_id == Variant.id)
              .order_by(Delivery.id.desc()).limit(1).scalar_subquery())
    q = (select(Variant.post_id, Variant.account_id, Variant.scheduled_at, Variant.text,
                Variant.thread, Post.name, Post.status, Account.platform, Account.handle,
                latest)
         .join(Post, Variant.post_id == Post.id)
         .join(Account, Variant.account_id == Account.id)
         .where(Post.org_id == org_id, Variant.scheduled_at >= start, Variant.scheduled_at < end,
                Post.status != "canceled"))
    if account_id is not None:
        q = q.where(Variant.account_id == account_id)
    targets = [TargetRow(*row) for row in session.execute(q)]
    slots: list[SlotRow] = []
    if include_slots:
        sq = (select(Slot.account_id, Account.platform, Account.handle, Slot.weekday, Slot.time,
                     Slot.timezone).join(Account).where(Account.org_id == org_id))
        if account_id is not None:
            sq = sq.where(Slot.account_id == account_id)
        slots = [SlotRow(*row) for row in session.execute(sq)]
    return targets, slots


# The rows calendar_rows selects, in TargetRow's order, for the driver alone.
_TARGETS = """
SELECT v.post_id, v.account_id, v.scheduled_at, v.text, v.thread, p.name, p.status,
       a.platform, a.handle,
       (SELECT d.status FROM deliveries AS d WHERE d.variant_id = v.id
        ORDER BY d.id DESC LIMIT 1)
FROM variants AS v
JOIN posts AS p ON v.post_id = p.id
JOIN accounts AS a ON v.account_id = a.id
WHERE p.org_id = :org AND v.scheduled_at >= :start AND v.scheduled_at < :end
  AND p.status != 'canceled'
"""
_SLOTS = """
SELECT s.account_id, a.platform, a.handle, s.weekday, s.time, s.timezone
FROM slots AS s JOIN accounts AS a ON s.account_id = a.id
WHERE a.org_id = :org
"""


def calendar_rows_direct(database: DirectDatabase, organization: str, start: datetime,
                         end: datetime) -> CalendarRows | None:
    """What ``calendar_rows`` answers (every account, slots included), read through the
    driver alone; ``organization`` is its name. None if unsure (see ``db.direct``)."""
    def read(conn: DirectConnection, org_id: int) -> CalendarRows:
        bounds = {"org": org_id, "start": conn.instant(start), "end": conn.instant(end)}
        targets = [_target(row, conn.read_instant(row[2]), conn.read_json(row[4]))
                   for row in conn.rows(_TARGETS, bounds)]
        slots = [SlotRow(*row) for row in conn.rows(_SLOTS, {"org": org_id})]
        return targets, slots

    return read_direct(database, organization, read)


def _target(row: tuple[Any, ...], at: datetime, thread: list[Any] | None) -> TargetRow:
    post_id, account_id, _, text, _, *rest = row
    return TargetRow(post_id, account_id, at, text, thread, *rest)


def read_calendar_direct(database: DirectDatabase, organization: str, view: View,
                         anchor: date, zone: str, now: datetime) -> CalendarData | None:
    """What ``services.authoring.board.calendar_data`` answers for this view at ``now``,
    or None if unsure.

    ``organization`` is the configured org's name.
    """
    rng = calendar_span(view, anchor)
    tz = load_zone(zone)
    start = datetime.combine(rng.start, time(), tz)
    end = datetime.combine(rng.end, time(), tz)
    read = calendar_rows_direct(database, organization, start, end)
    if read is None:
        return None
    targets, slots = read
    return CalendarData.of(view, rng, build_entries(targets, slots, start, end, tz, now=now))
