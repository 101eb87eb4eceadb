"""SQLite sidecar files: connections, PRAGMAs, schema versions, clear errors.

The docs and music libraries each live in their own SQLite file beside the
main database (which may be PostgreSQL), so search works the same whatever
the main database is. This module owns how those files are opened: the
PRAGMAs every connection gets, the ``user_version`` schema history applied in
place, and the translation of SQLite's failures (corrupt file, lock held too
long) into one-line ``DatabaseError`` messages that name the file.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from socialhub.errors import DatabaseError
from socialhub.private_files import create_private_file

#: How long a connection waits for another writer before giving up.
DEFAULT_BUSY_TIMEOUT_MS = 5000


@dataclass(frozen=True)
class Schema:
    """A sidecar's schema history.

    ``steps[i]`` is the SQL script that takes the file from version ``i`` to
    ``i + 1``; the version is kept in ``PRAGMA user_version``. ``application_id``
    marks the file as ours so a wrong file is refused instead of modified.
    """

    name: str
    application_id: int
    steps: tuple[str, ...]

    @property
    def version(self) -> int:
        """The version this code writes and expects."""
        return len(self.steps)


def _configure(conn: sqlite3.Connection, busy_timeout_ms: int) -> None:
    # Wait for a competing writer instead of failing at once with "database is locked".
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    # WAL lets readers (the HTTP API, the CLI) run while one writer imports.
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()
    if mode is None or str(mode[0]).lower() != "wal":
        raise sqlite3.OperationalError("could not switch to WAL journal mode")
    # In WAL mode NORMAL is crash-safe for the database; only the last commits may roll back.
    conn.execute("PRAGMA synchronous = NORMAL")
    # Tags and other child rows are deleted with their parent.
    conn.execute("PRAGMA foreign_keys = ON")
    apply_read_pragmas(conn)


#: The PRAGMAs every sidecar connection gets for searching, in the order applied.
#: bench/search.py gives its raw-SQLite and Datasette baselines exactly these, so they
#: cannot drift from what the API runs with.
READ_PRAGMAS: tuple[tuple[str, int | str], ...] = (
    # Keep hot index pages in memory; FTS5 lookups touch many small pages (negative = KiB).
    ("cache_size", -32000),
    # Read pages straight from the OS page cache instead of copying each into SQLite's:
    # 15-25 % faster searches on a 100k-document library (docs/performance-search.md).
    # Address space only, not memory; writes still go through the normal path.
    ("mmap_size", 1073741824),
    # Temporary b-trees for ORDER BY rank stay in memory.
    ("temp_store", "MEMORY"),
)


def apply_read_pragmas(conn: sqlite3.Connection) -> None:
    """Give ``conn`` the search PRAGMAs of :data:`READ_PRAGMAS` (any SQLite connection)."""
    for name, value in READ_PRAGMAS:
        conn.execute(f"PRAGMA {name} = {value}")


def set_bulk_journal(conn: sqlite3.Connection, *, on: bool) -> bool:
    """Switch a connection between WAL and a fast mode for loading an empty file.

    ``on``: a rollback journal with ``synchronous=OFF``, so a big load writes
    each page once (WAL writes it twice, once more at the checkpoint) and
    does not wait for the disk. Only switches when no other connection has
    the file open (SQLite refuses otherwise); returns whether it did.
    ``off``: back to WAL and ``synchronous=NORMAL``, then the file is synced
    to disk so the load is as durable as any other commit. Call outside a
    transaction.
    """
    if on:
        try:
            mode = conn.execute("PRAGMA journal_mode = TRUNCATE").fetchone()
        except sqlite3.OperationalError:
            return False
        if mode is None or str(mode[0]).lower() != "truncate":
            return False
        conn.execute("PRAGMA synchronous = OFF")
        return True
    conn.execute("PRAGMA synchronous = NORMAL")
    # If this fails the file stays valid in rollback mode; the next connection switches it.
    with contextlib.suppress(sqlite3.OperationalError):
        conn.execute("PRAGMA journal_mode = WAL")
    path = conn.execute("PRAGMA database_list").fetchone()[2]
    if path:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return False


def describe_error(path: Path, schema_name: str, exc: sqlite3.Error) -> DatabaseError:
    """Turn an ``sqlite3`` failure into a one-line error naming the sidecar file."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return DatabaseError(
            f"{schema_name} sidecar {path} is locked by another writer",
            hint="wait for the other import to finish, then try again",
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return DatabaseError(
            f"{schema_name} sidecar {path} is corrupted or not a SQLite file",
            hint="move it aside and import again to rebuild it",
        )
    if "readonly" in text or "unable to open" in text or "disk i/o" in text:
        return DatabaseError(f"{schema_name} sidecar {path} cannot be opened or written: {exc}")
    return DatabaseError(f"{schema_name} sidecar {path}: {exc}")


def connect(path: Path, schema: Schema, *,
            busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    """Open (creating if needed) the sidecar at ``path``, upgraded to ``schema``.

    The connection is in autocommit mode (``isolation_level=None``); writers
    use :func:`write_transaction` so each write is one ``BEGIN IMMEDIATE``.

    Raises:
        DatabaseError: the file is corrupted, not ours, from a newer version,
            locked for longer than the busy timeout, or cannot be created.
    """
    try:
        # 0600 before SQLite opens it (its folder 0700): SQLite gives -wal/-shm that mode.
        create_private_file(path)
    except OSError as exc:
        raise DatabaseError(f"cannot create {path}: {exc.strerror}") from None
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False,
                               timeout=busy_timeout_ms / 1000)
    except sqlite3.Error as exc:
        raise describe_error(path, schema.name, exc) from None
    try:
        _configure(conn, busy_timeout_ms)
        _upgrade(conn, path, schema)
    except sqlite3.Error as exc:
        conn.close()
        raise describe_error(path, schema.name, exc) from None
    except DatabaseError:
        conn.close()
        raise
    return conn


def _upgrade(conn: sqlite3.Connection, path: Path, schema: Schema) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == schema.version:
        _check_application_id(conn, path, schema)
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Re-read under the write lock: another process may have upgraded meanwhile.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        if version == 0:
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables:
                raise DatabaseError(
                    f"{path} is a SQLite file but not a socialhub {schema.name} sidecar",
                    hint=f"set search.{schema.name}_path to another file",
                )
            conn.execute(f"PRAGMA application_id = {schema.application_id}")
        elif app_id != schema.application_id:
            raise DatabaseError(f"{path} is not a socialhub {schema.name} sidecar")
        if version > schema.version:
            raise DatabaseError(
                f"{schema.name} sidecar {path} has schema version {version}, newer than "
                f"this socialhub understands ({schema.version})",
                hint="upgrade socialhub",
            )
        for step in schema.steps[version:]:
            for statement in _statements(step):
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {schema.version}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _check_application_id(conn: sqlite3.Connection, path: Path, schema: Schema) -> None:
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if app_id != schema.application_id:
        raise DatabaseError(f"{path} is not a socialhub {schema.name} sidecar")


def _statements(script: str) -> Iterator[str]:
    # executescript() would COMMIT our transaction; split on complete statements instead.
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                yield buf.strip()
            buf = ""
    if buf.strip():
        yield buf.strip()


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block as one ``BEGIN IMMEDIATE`` transaction (the one writer).

    ``IMMEDIATE`` takes the write lock up front, so two writers queue on the
    busy timeout instead of both reading and then failing to upgrade a lock.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class ConnectionPool:
    """One connection per thread to one sidecar file.

    SQLite connections are cheap to keep and costly to open (PRAGMAs, schema
    check), and a connection must not be used by two threads at once; the
    HTTP API serves requests from a thread pool, so each thread keeps its own.
    Writes through the pool are serialised by a process-wide lock as well as
    by SQLite's own, which keeps in-process writers from spinning on the busy
    timeout.
    """

    def __init__(self, path: Path, schema: Schema, *,
                 busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> None:
        self.path = path
        self.schema = schema
        self.busy_timeout_ms = busy_timeout_ms
        self.write_lock = threading.Lock()
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()

    def get(self) -> sqlite3.Connection:
        """The calling thread's connection, opened on first use."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, self.schema, busy_timeout_ms=self.busy_timeout_ms)
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        """Close every connection the pool opened."""
        with self._all_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
