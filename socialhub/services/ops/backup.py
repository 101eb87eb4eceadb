"""``socialhub db backup|restore``: installation-wide, so no organization context.

Picks the SQLite (``db/backup.py``) or PostgreSQL (``db/backup_pg.py``) way for
the configured database and names the default file. Imports SQLAlchemy: import
it inside a command, not at CLI start-up.
"""

from __future__ import annotations

from pathlib import Path

from socialhub.db.backup import (
    BackupResult,
    backup_sqlite_file,
    default_backup_file,
    restore_sqlite_file,
)
from socialhub.db.backup_pg import backup_postgres, restore_postgres
from socialhub.db.engine import make_engine

__all__ = ["BackupResult", "backup_database", "restore_database"]


def backup_database(url: str, file: Path | None, *, backups_dir: Path, force: bool = False,
                    pg_bin: str | None = None) -> BackupResult:
    """Back up the database at ``url`` to ``file`` (default: a time-stamped file in
    ``backups_dir``), verified; see ``db/backup.py`` for what is checked.

    Raises:
        ConflictError: the file exists and ``force`` is false.
        ConfigError: PostgreSQL's pg_dump is missing.
        DatabaseError: the backup failed or did not verify (no file is left).
    """
    engine = make_engine(url)
    try:
        backend = engine.dialect.name
        target = file or default_backup_file(backups_dir, backend)
        if backend == "sqlite":
            return backup_sqlite_file(engine, target, force=force)
        return backup_postgres(engine, target, force=force, bin_dir=pg_bin)
    finally:
        engine.dispose()


def restore_database(url: str, file: Path, *, force: bool = False,
                     pg_bin: str | None = None) -> BackupResult:
    """Replace the database at ``url`` with the backup ``file``, verified.

    Raises:
        ValidationError: the file is missing, damaged or not a socialhub backup;
            nothing was touched.
        ConflictError: the database has rows and ``force`` is false.
        DatabaseError: the restore failed or did not verify.
    """
    engine = make_engine(url)
    try:
        if engine.dialect.name == "sqlite":
            return restore_sqlite_file(engine, file, force=force)
        return restore_postgres(engine, file, force=force, bin_dir=pg_bin)
    finally:
        engine.dispose()
