"""Give the space of deleted rows back: ``VACUUM`` on SQLite and PostgreSQL.

New SQLite databases use incremental auto-vacuum and return free pages on
their own (``engine._reclaim_free_pages``). This is the explicit, complete
version: it rebuilds the file (which also defragments it), converts a
database made before auto-vacuum was on, and truncates the WAL. On
PostgreSQL it runs ``VACUUM (ANALYZE)``, or ``VACUUM FULL`` on request.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from socialhub.db.engine import describe_operational_error, sqlite_file
from socialhub.errors import DatabaseError

_AUTO_VACUUM = {0: "none", 1: "full", 2: "incremental"}


@dataclass(frozen=True)
class VacuumResult:
    """What a vacuum did: the backend, sizes in bytes, and SQLite's auto-vacuum mode."""

    backend: str
    bytes_before: int
    bytes_after: int
    auto_vacuum_before: str | None = None
    auto_vacuum_after: str | None = None
    full: bool = False

    @property
    def reclaimed(self) -> int:
        """Bytes handed back (never negative)."""
        return max(0, self.bytes_before - self.bytes_after)

    def as_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data."""
        return {**asdict(self), "reclaimed": self.reclaimed}


def vacuum_database(engine: Engine, *, full: bool = False) -> VacuumResult:
    """Rebuild the database so deleted rows stop taking disk space.

    Args:
        engine: the main database.
        full: on PostgreSQL, ``VACUUM FULL`` (rewrites every table under an exclusive
            lock, returns space to the OS) instead of ``VACUUM`` (makes it reusable).
            SQLite's ``VACUUM`` is always a full rebuild.

    Raises:
        DatabaseError: the database is locked or cannot be reached.
    """
    try:
        if engine.dialect.name == "sqlite":
            return _vacuum_sqlite(engine)
        if engine.dialect.name == "postgresql":
            return _vacuum_postgres(engine, full=full)
    except OperationalError as exc:
        raise describe_operational_error(exc) from None
    raise DatabaseError(f"`db vacuum` does not know the {engine.dialect.name} backend")


def _sqlite_bytes(engine: Engine) -> int:
    path = sqlite_file(engine.url.render_as_string(hide_password=False))
    if path is None:
        return 0
    wal = path.with_name(path.name + "-wal")
    return sum(p.stat().st_size for p in (path, wal) if p.exists())


def _vacuum_sqlite(engine: Engine) -> VacuumResult:
    before = _sqlite_bytes(engine)
    raw = engine.raw_connection()
    try:
        conn: Any = raw.driver_connection
        mode_before = conn.execute("PRAGMA auto_vacuum").fetchone()[0]
        # Setting the mode and then VACUUM is the one way to switch an existing file.
        conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
        try:
            conn.execute("VACUUM")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise DatabaseError("the SQLite database is busy; stop the daemon (or the "
                                    "process holding it) and run `socialhub db vacuum` again"
                                    ) from None
            raise DatabaseError(f"VACUUM failed: {exc}") from None
        # The rebuilt pages sit in the WAL until a checkpoint; TRUNCATE also empties it.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        mode_after = conn.execute("PRAGMA auto_vacuum").fetchone()[0]
    finally:
        raw.close()
    return VacuumResult("sqlite", before, _sqlite_bytes(engine),
                        _AUTO_VACUUM.get(mode_before, str(mode_before)),
                        _AUTO_VACUUM.get(mode_after, str(mode_after)), full=True)


def _pg_bytes(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())


def _vacuum_postgres(engine: Engine, *, full: bool) -> VacuumResult:
    before = _pg_bytes(engine)
    # VACUUM refuses to run inside a transaction block.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (FULL, ANALYZE)" if full else "VACUUM (ANALYZE)"))
    return VacuumResult("postgresql", before, _pg_bytes(engine), full=full)
