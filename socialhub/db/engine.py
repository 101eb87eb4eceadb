"""Engines and sessions for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from socialhub.errors import DatabaseError, PermissionDeniedError
from socialhub.private_files import create_private_file


def is_sqlite(url: str) -> bool:
    """True when ``url`` points at SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_file(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for in-memory or non-SQLite URLs."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def _set_sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy's BEGIN (and our BEGIN IMMEDIATE) drive transactions
        # instead of pysqlite's implicit ones, which defer locking.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        # Free pages can be handed back to the file system (see _reclaim_free_pages).
        # Takes effect only on a database with no tables yet; `db vacuum` converts
        # an older one.
        cur.execute("PRAGMA auto_vacuum=INCREMENTAL")
        # WAL: readers never block the writer, so the daemon and CLI can overlap.
        cur.execute("PRAGMA journal_mode=WAL")
        # SQLite ignores foreign keys unless told otherwise, per connection.
        cur.execute("PRAGMA foreign_keys=ON")
        # Wait for a competing writer instead of failing at once with "locked".
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        # NORMAL is durable across application crashes in WAL mode, and much faster.
        cur.execute("PRAGMA synchronous=NORMAL")
        # After a checkpoint, cut a WAL that one big write grew back to this size, so a
        # removed 50 MB post does not leave a 50 MB -wal file behind a running daemon.
        cur.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        cur.close()

    return on_connect


#: Bytes a WAL file is truncated to after a checkpoint.
WAL_SIZE_LIMIT = 16 * 1024 * 1024
#: Free pages (4 KiB each by default) tolerated before they are returned to the file system.
RECLAIM_THRESHOLD_PAGES = 256


def _reclaim_free_pages(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    """On return to the pool, give a large free list back to the file system.

    Deleting a post (or pruning old rows) leaves its pages on SQLite's free
    list; without this the file never shrinks. Checking is one header read;
    the vacuum runs only past the threshold, never waits for a lock held by
    another process (it simply tries again at the next check-in), and never
    raises: reclaiming space must not fail the command that freed it.
    """
    try:
        free = dbapi_conn.execute("PRAGMA freelist_count").fetchone()[0]
        if free < RECLAIM_THRESHOLD_PAGES:
            return
        busy = dbapi_conn.execute("PRAGMA busy_timeout").fetchone()[0]
        dbapi_conn.execute("PRAGMA busy_timeout=0")
        try:
            # executescript steps the pragma to the end; execute() frees a single page.
            dbapi_conn.executescript("PRAGMA incremental_vacuum;")
        finally:
            dbapi_conn.execute(f"PRAGMA busy_timeout={int(busy)}")
    except sqlite3.Error:
        pass


def load_json_column(text: str | bytes) -> Any:
    """The value a JSON column holds, as ``json.loads`` gives it.

    orjson first (a send reads seven JSON columns, and the standard library's
    decoder was ~5 % of the daemon's CPU). Text orjson refuses (``NaN``, which
    ``json.dumps`` writes) and text with 19 digits in a row (orjson would read an
    integer beyond 64 bits as a float) go to the standard library, so every stored
    value reads back as it was written.
    """
    if isinstance(text, str):
        safe = _LONG_DIGITS.search(text) is None
    else:
        safe = _LONG_DIGITS_BYTES.search(text) is None
    if safe:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


_LONG_DIGITS = re.compile(r"[0-9]{19}")
_LONG_DIGITS_BYTES = re.compile(rb"[0-9]{19}")


def _begin_sqlite(conn: Any) -> None:
    # BEGIN IMMEDIATE takes the write lock up front, so two writers never
    # deadlock upgrading read locks; lease claims rely on this.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, *, busy_timeout_ms: int = 5000, echo: bool = False) -> Engine:
    """Create an engine for ``url``; a missing SQLite file is created 0600 (its folder 0700).

    A new SQLite database uses incremental auto-vacuum, and its free pages are
    returned to the file system when a connection goes back to the pool.

    Raises:
        DatabaseError: the URL is malformed or names an unknown driver.
    """
    try:
        parsed = make_url(url)
    except Exception:
        raise DatabaseError("database URL is not valid (expected e.g. sqlite:///path or "
                            "postgresql+psycopg://user@host/db)") from None
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_file(url)
        if path is not None:
            try:
                # 0600 before SQLite opens it: SQLite gives -wal/-shm the same mode.
                create_private_file(path)
            except OSError as exc:
                raise DatabaseError(f"cannot create the SQLite database {path}: "
                                    f"{exc.strerror}") from None
        engine = create_engine(url, echo=echo, connect_args={"timeout": busy_timeout_ms / 1000},
                               json_deserializer=load_json_column)
        event.listen(engine, "connect", _set_sqlite_pragmas(busy_timeout_ms))
        event.listen(engine, "begin", _begin_sqlite)
        event.listen(engine, "checkin", _reclaim_free_pages)
        return engine
    try:
        return create_engine(url, echo=echo, pool_pre_ping=True,
                             json_deserializer=load_json_column)
    except Exception as exc:
        raise DatabaseError(f"cannot use database URL: {type(exc).__name__}") from None


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except OperationalError as exc:
        session.rollback()
        raise describe_operational_error(exc) from None
    except DBAPIError as exc:
        session.rollback()
        refused = describe_refusal(exc)
        if refused is None:
            raise
        raise refused from None
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def describe_refusal(exc: DBAPIError) -> PermissionDeniedError | None:
    """One line for PostgreSQL's "insufficient privilege" (SQLSTATE 42501), else None.

    Row-level security and the membership guards (migration 0005) refuse with it
    when a member's login may not read or write a row; the line names the table
    or the rule, never a value.
    """
    if getattr(exc.orig, "sqlstate", None) != "42501":
        return None
    text = str(exc.orig).strip()
    first = text.splitlines()[0] if text else "permission denied"
    return PermissionDeniedError(f"the database refused: {first}",
                                 hint="your role in this organization does not allow it; "
                                      "ask an owner or admin")


def describe_operational_error(exc: OperationalError) -> DatabaseError:
    """Turn a driver error into one line a person can act on (no secrets)."""
    text = str(exc.orig) if exc.orig is not None else str(exc)
    if "database is locked" in text:
        return DatabaseError("the SQLite database is locked by another process; "
                             "try again, or stop the process holding it")
    if "unable to open database file" in text:
        return DatabaseError("cannot open the SQLite database file (check the path and "
                             "permissions)")
    first = text.strip().splitlines()[0] if text.strip() else type(exc.orig).__name__
    return DatabaseError(f"database error: {first}")
