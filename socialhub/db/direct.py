"""Reading through the database driver alone (``sqlite3``, ``psycopg``), without SQLAlchemy.

The TUI's first paint cannot wait for SQLAlchemy, the models and the settings
schema to load (about half a second): ``db.queries.calendar`` reads the month
it opens on through this module instead. A read opens a read-only
connection, checks the schema revision and finds the organization by name,
then runs its own SQL (kept beside the SQLAlchemy version of the same query
in ``db/queries/``). It answers None whenever it cannot be sure — no such
database, another schema revision, an organization not created yet, a URL
with options, any driver error — so the caller uses the full service. On
SQLite the whole read is one read transaction, so its statements see one
snapshot. ``posts list`` reads its page this way too (``db.queries.posts_direct``).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from socialhub.db.revisions import head_revision

_REVISION = "SELECT version_num FROM alembic_version"
_ORGANIZATION = "SELECT id FROM organizations WHERE name = :name"
# What db.queries.teams.acting_member answers for a login that is a member.
_MEMBER = """
SELECT u.id, m.role FROM users AS u
JOIN memberships AS m ON m.user_id = u.id AND m.org_id = :org
WHERE u.login = :login
"""

T = TypeVar("T")


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


class DirectConnection:
    """One open read-only driver connection, with the conversions its driver needs.

    SQL is written with ``:name`` placeholders for both drivers. Timestamps are
    naive UTC columns: SQLite keeps them as text (``'2026-12-01 08:00:00.000000'``,
    as SQLAlchemy stores them; such text sorts and compares like the instants it
    names), psycopg reads them as datetimes; JSON columns come back as text from
    SQLite and decoded from psycopg.
    """

    def __init__(self, run: Callable[[str, Mapping[str, Any]], list[tuple[Any, ...]]],
                 *, sqlite: bool) -> None:
        self._run = run
        self.sqlite = sqlite

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Every row ``sql`` selects with ``params`` bound."""
        return self._run(sql, params or {})

    def instant(self, moment: datetime) -> Any:
        """``moment`` as a parameter compared with a timestamp column."""
        naive = moment.astimezone(UTC).replace(tzinfo=None)
        return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else naive

    def read_instant(self, value: Any) -> datetime:
        """A timestamp column's value as an aware UTC datetime."""
        at = datetime.fromisoformat(value) if self.sqlite else value
        return at.replace(tzinfo=UTC)

    def read_json(self, value: Any) -> Any:
        """A JSON column's value, decoded."""
        return json.loads(value) if self.sqlite and value is not None else value

    def member(self, org_id: int, login: str) -> tuple[int, str] | None:
        """(user id, role) of the member of ``org_id`` whose login is ``login``, or None
        when no user has the login or that user is not a member."""
        found = self.rows(_MEMBER, {"org": org_id, "login": login})
        return (found[0][0], found[0][1]) if found else None


def read_direct(database: DirectDatabase, organization: str,
                read: Callable[[DirectConnection, int], T]) -> T | None:
    """``read(connection, org_id)`` on a read-only connection, or None if unsure.

    None when the database is not there, is at another schema revision, has no
    organization called ``organization``, or any driver error or ValueError occurs.
    """
    if database.sqlite_file is not None:
        return _read_sqlite(database.sqlite_file, organization, read)
    if database.postgres_uri is not None:
        return _read_postgres(database.postgres_uri, organization, read)
    return None


def _read_sqlite(file: Path, organization: str,
                 read: Callable[[DirectConnection, int], T]) -> T | None:
    if not file.is_file():
        return None  # the full service creates it
    try:
        conn = sqlite3.connect(f"file:{quote(str(file.resolve()))}?mode=ro", uri=True,
                               timeout=5)
    except sqlite3.Error:
        return None
    try:
        direct = DirectConnection(lambda sql, params: conn.execute(sql, params).fetchall(),
                                  sqlite=True)
        conn.execute("BEGIN")  # one snapshot for every statement of the read
        if direct.rows(_REVISION) != [(head_revision(),)]:
            return None  # the full service explains (or creates) the schema
        org = direct.rows(_ORGANIZATION, {"name": organization})
        if not org:
            return None  # created with its owner on first use by the full service
        return read(direct, org[0][0])
    except (sqlite3.Error, ValueError):
        return None
    finally:
        conn.close()


def _read_postgres(uri: str, organization: str,
                   read: Callable[[DirectConnection, int], T]) -> T | None:
    try:
        import psycopg
    except ImportError:
        return None
    try:
        with psycopg.connect(uri, connect_timeout=5) as conn:
            conn.read_only = True
            with conn.cursor() as cur:
                def run(sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
                    cur.execute(_pyformat(sql), params)
                    return cur.fetchall()

                direct = DirectConnection(run, sqlite=False)
                if direct.rows(_REVISION) != [(head_revision(),)]:
                    return None
                org = direct.rows(_ORGANIZATION, {"name": organization})
                if not org:
                    return None
                return read(direct, org[0][0])
    except (psycopg.Error, ValueError):
        return None


def _pyformat(sql: str) -> str:
    """``:name`` placeholders as psycopg's ``%(name)s``."""
    return re.sub(r":(\w+)", r"%(\1)s", sql)
