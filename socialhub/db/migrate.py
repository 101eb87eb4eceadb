"""Schema migrations: upgrade, downgrade, current, and the stale-schema guard.

Alembic is imported lazily: most commands only compare two revision strings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from socialhub.db.engine import describe_operational_error, sqlite_file
from socialhub.db.revisions import head_revision, migrations_dir
from socialhub.errors import SchemaMismatchError
from socialhub.private_files import create_private_file

if TYPE_CHECKING:
    from alembic.config import Config


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config pointing at our scripts (and at ``engine`` when given)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for a database never migrated."""
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
            return row[0] if row else None
    except OperationalError as exc:
        raise describe_operational_error(exc) from None


def _is_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        return not inspect(conn).get_table_names()


def backup_sqlite(engine: Engine, backups_dir: Path | None = None) -> Path | None:
    """Copy a SQLite database file aside (online backup API); return the copy's path."""
    path = sqlite_file(engine.url.render_as_string(hide_password=False))
    if path is None or not path.exists():
        return None
    target_dir = backups_dir or path.parent / "backups"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = target_dir / f"{path.stem}-{stamp}{path.suffix}"
    create_private_file(target)  # a copy of the database is as private as the database
    import sqlite3

    # The backup API copies a consistent snapshot even with a WAL file beside it.
    with sqlite3.connect(path) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


def upgrade(engine: Engine, revision: str = "head", *, backup: bool = True,
            backups_dir: Path | None = None) -> Path | None:
    """Upgrade the schema to ``revision``; back up a non-empty SQLite file first.

    Returns:
        The backup file, when one was made.
    """
    from alembic import command

    copy = None
    if backup and not _is_empty(engine):
        copy = backup_sqlite(engine, backups_dir)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return copy


def downgrade(engine: Engine, revision: str) -> None:
    """Downgrade the schema to ``revision`` (e.g. ``-1`` or ``base``)."""
    from alembic import command

    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def ensure_schema(engine: Engine) -> None:
    """Create a fresh database at head, or refuse to use one that is out of date.

    Raises:
        SchemaMismatchError: the database is behind (or ahead of) this version.
    """
    current = current_revision(engine)
    head = _cached_head()
    if current == head:
        return
    if current is None and _is_empty(engine):
        upgrade(engine, backup=False)
        return
    if current is None:
        raise SchemaMismatchError(
            "the database has tables but no socialhub schema version",
            hint="point database.url at an empty database or a socialhub one",
        )
    raise SchemaMismatchError(
        f"database schema is at revision {current}, this socialhub needs {head}",
        hint="run `socialhub db upgrade` (a SQLite file is backed up first)",
    )


_HEAD: str | None = None


def _cached_head() -> str:
    global _HEAD
    if _HEAD is None:
        _HEAD = head_revision()
    return _HEAD
