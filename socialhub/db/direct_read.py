"""Reading the calendar's rows through the database driver alone (``sqlite3``, ``psycopg``).

The TUI's first paint cannot wait for SQLAlchemy, the models and the settings
schema to load (about half a second): ``services.calendar_direct`` reads the
month it opens on through this module instead. It runs the same two
queries as ``services.calendar`` in a read-only connection and answers None
whenever it cannot be sure — no such database, another schema revision, an
organization not created yet, a URL with options, any driver error — so the
caller uses the full service.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from socialhub.core.calendar_entries import SlotRow, TargetRow
from socialhub.db.revisions import head_revision

# The rows services/calendar.py selects with SQLAlchemy, in TargetRow's order.
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
_REVISION = "SELECT version_num FROM alembic_version"
_ORGANIZATION = "SELECT id FROM organizations WHERE name = :name"


@dataclass(frozen=True)
class DirectDatabase:
    """A database the direct read can open: a SQLite file, or a PostgreSQL conninfo URI."""

    sqlite_file: Path | None = None
    postgres_uri: str | None = None


def direct_database(url: str) -> DirectDatabase | None:
    """The database a plain ``sqlite:///PATH`` or ``postgresql+psycopg://…`` URL names.

    None for anything else: in-memory SQLite, other drivers, and URLs with
    options or escapes are left to SQLAlchemy.
    """
    for scheme in ("sqlite:///", "sqlite+pysqlite:///"):
        if url.startswith(scheme):
            rest = url.removeprefix(scheme)
            if rest and rest != ":memory:" and not any(c in rest for c in "?%#"):
                return DirectDatabase(sqlite_file=Path(rest))
            return None
    rest = url.removeprefix("postgresql+psycopg://")
    if rest != url and rest and not any(c in rest for c in "?#"):
        return DirectDatabase(postgres_uri=f"postgresql://{rest}")
    return None


Rows = tuple[list[TargetRow], list[SlotRow]]


def read_calendar_rows(database: DirectDatabase, organization: str, start: datetime,
                       end: datetime) -> Rows | None:
    """The organization's targets scheduled in [start, end) and its slots; None if unsure.

    The same rows ``services.calendar`` selects; ``organization`` is its name.
    """
    if database.sqlite_file is not None:
        return _read_sqlite(database.sqlite_file, organization, start, end)
    if database.postgres_uri is not None:
        return _read_postgres(database.postgres_uri, organization, start, end)
    return None


def _read_sqlite(file: Path, organization: str, start: datetime, end: datetime) -> Rows | None:
    if not file.is_file():
        return None  # the full service creates it
    try:
        conn = sqlite3.connect(f"file:{quote(str(file.resolve()))}?mode=ro", uri=True,
                               timeout=5)
    except sqlite3.Error:
        return None
    try:
        if conn.execute(_REVISION).fetchall() != [(head_revision(),)]:
            return None  # the full service explains (or creates) the schema
        org = conn.execute(_ORGANIZATION, {"name": organization}).fetchone()
        if org is None:
            return None  # created with its owner on first use by the full service
        # Timestamps are naive UTC text ('2026-12-01 08:00:00.000000'), as SQLAlchemy
        # stores them; such text sorts and compares like the instants it names.
        bounds = {"org": org[0], "start": _naive_utc(start).strftime("%Y-%m-%d %H:%M:%S.%f"),
                  "end": _naive_utc(end).strftime("%Y-%m-%d %H:%M:%S.%f")}
        targets = [_target(row, datetime.fromisoformat(row[2]),
                           json.loads(row[4]) if row[4] is not None else None)
                   for row in conn.execute(_TARGETS, bounds)]
        slots = [SlotRow(*row) for row in conn.execute(_SLOTS, {"org": org[0]})]
    except (sqlite3.Error, ValueError):
        return None
    finally:
        conn.close()
    return targets, slots


def _read_postgres(uri: str, organization: str, start: datetime, end: datetime) -> Rows | None:
    try:
        import psycopg
    except ImportError:
        return None
    try:
        with psycopg.connect(uri, connect_timeout=5) as conn:
            conn.read_only = True
            with conn.cursor() as cur:
                cur.execute(_pyformat(_REVISION))
                if cur.fetchall() != [(head_revision(),)]:
                    return None
                cur.execute(_pyformat(_ORGANIZATION), {"name": organization})
                org = cur.fetchone()
                if org is None:
                    return None
                # Timestamps are naive UTC columns; psycopg reads JSON columns itself.
                cur.execute(_pyformat(_TARGETS), {"org": org[0], "start": _naive_utc(start),
                                                  "end": _naive_utc(end)})
                targets = [_target(row, row[2], row[4]) for row in cur.fetchall()]
                cur.execute(_pyformat(_SLOTS), {"org": org[0]})
                slots = [SlotRow(*row) for row in cur.fetchall()]
    except (psycopg.Error, ValueError):
        return None
    return targets, slots


def _pyformat(sql: str) -> str:
    """``:name`` placeholders as psycopg's ``%(name)s``."""
    return re.sub(r":(\w+)", r"%(\1)s", sql)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _target(row: tuple[Any, ...], at: datetime, thread: list[Any] | None) -> TargetRow:
    post_id, account_id, _, text, _, *rest = row
    return TargetRow(post_id, account_id, at.replace(tzinfo=UTC), text, thread, *rest)
