"""Back up and restore the whole database, verified: ``socialhub db backup|restore``.

SQLite uses the online backup API (``sqlite3.Connection.backup``): a consistent
copy even while the daemon writes, taken inside one read transaction so the row
counts it reports are those of the copy. The copy is checked with ``PRAGMA
integrity_check`` and its row counts compared table by table. PostgreSQL uses
``pg_dump --format=custom`` and ``pg_restore`` (``db/backup_pg.py``).

Backup files are created 0600 (a backup holds everything the database holds) and
never overwrite a file without ``force``; a restore refuses a database that has
rows without ``force``, and checks the backup before touching anything, so a
corrupt or truncated file leaves the database as it was.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from socialhub.db.engine import sqlite_file
from socialhub.errors import ConflictError, DatabaseError, ValidationError
from socialhub.private_files import PRIVATE_FILE_MODE, make_private_dirs


@dataclass(frozen=True)
class BackupResult:
    """What a backup or restore did: the file, its size, the rows of each table, and
    the checks that passed."""

    backend: str
    file: Path
    bytes: int
    tables: dict[str, int]
    checks: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Rows in every table together."""
        return sum(self.tables.values())

    def as_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data."""
        return {"backend": self.backend, "file": str(self.file), "bytes": self.bytes,
                "rows": self.rows, "tables": self.tables, "checks": self.checks}


def default_backup_file(backups_dir: Path, backend: str, now: datetime | None = None) -> Path:
    """``backups/socialhub-YYYYmmddTHHMMSSZ.sqlite`` (``.dump`` for PostgreSQL)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return backups_dir / f"socialhub-{stamp}.{'sqlite' if backend == 'sqlite' else 'dump'}"


def open_new_private(path: Path, *, force: bool) -> int:
    """Open ``path`` for writing with mode 0600, creating its folder (0700) if needed.

    Raises:
        ConflictError: the file exists and ``force`` is false.
        ValidationError: the folder cannot be made or the file cannot be opened (a file
            in the way, a folder by that name, no permission), the reason named.
    """
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        make_private_dirs(path.parent)
        fd = os.open(path, flags, PRIVATE_FILE_MODE)
    except FileExistsError:
        raise ConflictError(f"{path} exists already", hint="give another file or --force") from None
    except OSError as exc:
        raise ValidationError(f"cannot write {path}: {exc.strerror or exc}") from None
    os.fchmod(fd, PRIVATE_FILE_MODE)  # an overwritten file keeps its old mode otherwise
    return fd


def table_counts(conn: Any, tables: list[str]) -> dict[str, int]:
    """Rows in each of ``tables`` through a DB-API or SQLAlchemy connection, by name."""
    counts = {}
    for name in sorted(tables):
        row = conn.execute(f'SELECT count(*) FROM "{name}"') if isinstance(
            conn, sqlite3.Connection) else conn.execute(text(f'SELECT count(*) FROM "{name}"'))
        counts[name] = int(row.fetchone()[0])
    return counts


def database_counts(engine: Engine) -> dict[str, int]:
    """Rows in each table of the database behind ``engine`` (empty: no tables)."""
    with engine.connect() as conn:
        return table_counts(conn, inspect(conn).get_table_names())


def has_data(engine: Engine) -> bool:
    """Whether any table other than ``alembic_version`` holds a row."""
    return any(n for t, n in database_counts(engine).items() if t != "alembic_version")


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]


def check_sqlite_file(path: Path) -> dict[str, int]:
    """Open a SQLite backup read-only and check it whole; return its row counts.

    Raises:
        ValidationError: not a SQLite database, damaged, or not a socialhub database.
    """
    if not path.is_file():
        raise ValidationError(f"no such backup file: {path}")
    try:
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro",
                                                uri=True)) as conn:
            verdict = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            if verdict != ["ok"]:
                raise ValidationError(f"{path} is damaged: {verdict[0]}")
            tables = _sqlite_tables(conn)
            if "alembic_version" not in tables:
                raise ValidationError(f"{path} is not a socialhub database (no schema version)")
            return table_counts(conn, tables)
    except sqlite3.DatabaseError as exc:
        raise ValidationError(f"{path} is not a readable SQLite backup ({exc})") from None


def _live_sqlite(engine: Engine) -> Path:
    path = sqlite_file(engine.url.render_as_string(hide_password=False))
    if path is None:
        raise DatabaseError("backups need a SQLite file or PostgreSQL, not an in-memory database")
    return path


def backup_sqlite_file(engine: Engine, target: Path, *, force: bool = False) -> BackupResult:
    """Copy the SQLite database to ``target`` (0600) and verify the copy.

    The copy is taken inside one read transaction, so the counts compared are
    those of one instant even while the daemon writes.

    Raises:
        ConflictError: ``target`` exists and ``force`` is false.
        DatabaseError: the copy does not match the database (the file is removed).
    """
    source = _live_sqlite(engine)
    if not source.exists():
        raise DatabaseError(f"no database at {source} to back up")
    os.close(open_new_private(target, force=force))
    try:
        with contextlib.closing(sqlite3.connect(source, isolation_level=None)) as src, \
                contextlib.closing(sqlite3.connect(target)) as dst:
            src.execute("BEGIN")
            expected = table_counts(src, _sqlite_tables(src))
            src.backup(dst)
            src.execute("ROLLBACK")
            # One self-contained file: no -wal/-shm beside it to lose or leave readable.
            dst.execute("PRAGMA journal_mode=DELETE")
        got = check_sqlite_file(target)
        if got != expected:
            raise DatabaseError(f"the backup's row counts differ from the database's: {got}")
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return BackupResult("sqlite", target, target.stat().st_size, got,
                        ["integrity_check ok", "row counts match"])


def restore_sqlite_file(engine: Engine, source: Path, *, force: bool = False) -> BackupResult:
    """Replace the SQLite database's contents with the backup ``source``, verified.

    The backup is checked first (integrity, schema version); the copy into the
    live file is one write transaction, so a reader sees the old or the new
    database, never a mix.

    Raises:
        ValidationError: the backup is damaged or not a socialhub database.
        ConflictError: the database has rows and ``force`` is false.
        DatabaseError: the restored database does not match the backup.
    """
    expected = check_sqlite_file(source)
    target = _live_sqlite(engine)
    if target.exists() and has_data(engine) and not force:
        raise ConflictError(f"the database at {target} is not empty",
                            hint="restore over it with --force")
    engine.dispose()
    with contextlib.closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro",
                                            uri=True)) as src, \
            contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        verdict = [r[0] for r in dst.execute("PRAGMA integrity_check")]
        got = table_counts(dst, _sqlite_tables(dst))
    if verdict != ["ok"] or got != expected:
        raise DatabaseError(f"the restored database does not match {source}")
    return BackupResult("sqlite", source, source.stat().st_size, got,
                        ["backup integrity_check ok", "restored integrity_check ok",
                         "row counts match"])
