"""The docs library: a SQLite sidecar with an FTS5 external-content index.

``docs`` holds the records; ``docs_fts`` indexes title, body and tags and is
kept in step by insert/update/delete triggers, so every writer — the CLI,
the HTTP API, an import — leaves the index consistent. Large imports drop
the triggers inside their transaction, load rows, ``rebuild`` the index and
put the triggers back before committing, which is several times faster and
invisible to readers (WAL: they keep the old snapshot until the commit).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from socialhub.errors import NotFoundError, ValidationError
from socialhub.search.bounds import MAX_LIMIT, MAX_OFFSET
from socialhub.search.fts import QueryMode, build_match, translate_query_error
from socialhub.search.sidecar import (
    DEFAULT_BUSY_TIMEOUT_MS,
    ConnectionPool,
    Schema,
    _statements,
    describe_error,
    set_bulk_journal,
    write_transaction,
)

TITLE_WEIGHT, BODY_WEIGHT, TAGS_WEIGHT = 10.0, 1.0, 5.0

_TRIGGERS = """
CREATE TRIGGER docs_ai AFTER INSERT ON docs BEGIN
  INSERT INTO docs_fts(rowid, title, body, tags) VALUES (new.id, new.title, new.body, new.tags);
END;
CREATE TRIGGER docs_ad AFTER DELETE ON docs BEGIN
  INSERT INTO docs_fts(docs_fts, rowid, title, body, tags)
    VALUES ('delete', old.id, old.title, old.body, old.tags);
END;
CREATE TRIGGER docs_au AFTER UPDATE OF title, body, tags ON docs BEGIN
  INSERT INTO docs_fts(docs_fts, rowid, title, body, tags)
    VALUES ('delete', old.id, old.title, old.body, old.tags);
  INSERT INTO docs_fts(rowid, title, body, tags) VALUES (new.id, new.title, new.body, new.tags);
END;
"""

_V1 = f"""
CREATE TABLE docs (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  tags TEXT NOT NULL DEFAULT '[]',
  source TEXT UNIQUE,
  content_hash TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE VIRTUAL TABLE docs_fts USING fts5(
  title, body, tags, content='docs', content_rowid='id',
  tokenize='unicode61 remove_diacritics 2'
);
INSERT INTO docs_fts(docs_fts, rank)
  VALUES ('rank', 'bm25({TITLE_WEIGHT}, {BODY_WEIGHT}, {TAGS_WEIGHT})');
{_TRIGGERS}
"""

# v2: the size and mtime an import saw, so the next import skips reading unchanged files.
_V2 = """
ALTER TABLE docs ADD COLUMN file_size INTEGER;
ALTER TABLE docs ADD COLUMN file_mtime_ns INTEGER;
"""

DOCS_SCHEMA = Schema(name="docs", application_id=0x53484431, steps=(_V1, _V2))  # "SHD1"

#: At most this many matches are ranked per query: the most recently added ones.
#: bm25 costs a few microseconds per matching row, so a word found in most of a
#: 100k-document library cost 80-300 ms a query; ranking a bounded candidate set
#: keeps every query bounded. A query matching no more documents than this (on the
#: 100k-document bench, every rare or mid-frequency word) is ranked exactly as before;
#: one matching more gets the best of its newest ``RANK_CANDIDATES`` matches, and
#: its pages end there.
RANK_CANDIDATES = 10_000

# The candidates are the newest matches (FTS5 walks rowids backwards natively and stops
# at the LIMIT, so rank is computed for those rows only). The top-N is then chosen on
# rowid and rank alone, and snippets are made for those rows only: with snippet() in
# the ranked query, SQLite would build a snippet for every matching row before sorting.
SEARCH_SQL = """
WITH candidates AS (
  SELECT rowid AS id, rank FROM docs_fts WHERE docs_fts MATCH :q
  ORDER BY rowid DESC LIMIT :candidates
), top AS (
  SELECT id, rank FROM candidates ORDER BY rank, id LIMIT :limit OFFSET :offset
)
SELECT d.id, d.title, d.source, d.tags, top.rank,
       snippet(docs_fts, 1, :hl_start, :hl_end, '…', 16) AS snippet
FROM top
JOIN docs_fts ON docs_fts.rowid = top.id AND docs_fts MATCH :q
JOIN docs d ON d.id = top.id
ORDER BY top.rank, top.id
"""


@dataclass(frozen=True)
class Doc:
    """One document as stored."""

    id: int
    title: str
    body: str
    tags: list[str]
    source: str | None
    content_hash: str | None
    created_at: str
    updated_at: str

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return asdict(self)


@dataclass(frozen=True)
class DocHit:
    """One ranked search result; ``score`` is the bm25 score (higher is better)."""

    id: int
    title: str
    source: str | None
    tags: list[str]
    snippet: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output (what ``dataclasses.asdict`` gives, ~10x cheaper)."""
        return {"id": self.id, "title": self.title, "source": self.source,
                "tags": list(self.tags), "snippet": self.snippet, "score": self.score}


@dataclass(frozen=True)
class SearchPage:
    """A page of results; ``next_offset`` is None on the last page."""

    query: str
    mode: str
    limit: int
    offset: int
    next_offset: int | None
    results: list[DocHit]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {"query": self.query, "mode": self.mode, "limit": self.limit,
                "offset": self.offset, "next_offset": self.next_offset,
                "results": [r.to_dict() for r in self.results]}


class DocInput(NamedTuple):
    """A document to write; ``source`` identifies imported files.

    A named tuple rather than a frozen dataclass: an import builds one per file, and
    a frozen dataclass's ``__init__`` cost ten times as much (0.6 s per 100,000 files).
    """

    title: str
    body: str
    tags: Sequence[str] = ()
    source: str | None = None
    content_hash: str | None = None
    file_size: int | None = None
    file_mtime_ns: int | None = None


class ImportState(NamedTuple):
    """What the last import recorded about one file."""

    id: int
    content_hash: str | None
    size: int | None
    mtime_ns: int | None


def now_utc() -> str:
    """The current UTC time as an ISO 8601 string (seconds precision)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _row_to_doc(row: sqlite3.Row | tuple[Any, ...]) -> Doc:
    return Doc(id=row[0], title=row[1], body=row[2], tags=json.loads(row[3]), source=row[4],
               content_hash=row[5], created_at=row[6], updated_at=row[7])


_DOC_COLUMNS = "id, title, body, tags, source, content_hash, created_at, updated_at"


_INSERT_SQL = ("INSERT INTO docs (title, body, tags, source, content_hash, file_size,"
               " file_mtime_ns, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
# The first load gives the ids itself (1, 2, … in the order given: what SQLite would
# choose for an empty table), so it can index each row as it inserts it.
_INSERT_WITH_ID_SQL = ("INSERT INTO docs (id, title, body, tags, source, content_hash, file_size,"
                       " file_mtime_ns, created_at, updated_at)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
# One row per statement: FTS5 flushes its pending terms to a new segment at every
# statement that could need a partial rollback, as a multi-row INSERT … SELECT does, so
# indexing each batch that way wrote a small segment per batch and merged them all
# again (a third more CPU, and more segments for every later query to read).
_INDEX_SQL = "INSERT INTO docs_fts(rowid, title, body, tags) VALUES (?, ?, ?, ?)"
_UPSERT_SQL = (_INSERT_SQL + " ON CONFLICT(source) DO UPDATE SET title = excluded.title,"
               " body = excluded.body, tags = excluded.tags,"
               " content_hash = excluded.content_hash, file_size = excluded.file_size,"
               " file_mtime_ns = excluded.file_mtime_ns, updated_at = excluded.updated_at")


def _tags_json(tags: Sequence[str]) -> str:
    return json.dumps(list(tags), ensure_ascii=False) if tags else "[]"


def _rows(docs: Iterable[DocInput], stamp: str) -> Iterator[tuple[Any, ...]]:
    for d in docs:
        yield (d.title, d.body, _tags_json(d.tags), d.source,
               d.content_hash, d.file_size, d.file_mtime_ns, stamp, stamp)


def _raise_hashsize(conn: sqlite3.Connection) -> None:
    # FTS5 flushes its in-memory term table to a new segment every 1 MiB by default;
    # 16 MiB means far fewer segments to merge, a third faster on a 100k-doc rebuild.
    # The option is newer than some SQLite builds, which simply keep the default.
    with contextlib.suppress(sqlite3.OperationalError):
        conn.execute("INSERT INTO docs_fts(docs_fts, rank) VALUES ('hashsize', 16777216)")


class DocsStore:
    """Reads and writes the docs sidecar; safe to share between threads."""

    def __init__(self, path: Path, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
                 rank_candidates: int = RANK_CANDIDATES) -> None:
        self.path = path
        self.rank_candidates = rank_candidates
        self.pool = ConnectionPool(path, DOCS_SCHEMA, busy_timeout_ms=busy_timeout_ms)

    def close(self) -> None:
        """Close every connection."""
        self.pool.close()

    def _fail(self, exc: sqlite3.Error) -> Exception:
        return describe_error(self.path, "docs", exc)

    def add(self, doc: DocInput) -> Doc:
        """Insert one document and return it with its id.

        Raises:
            ValidationError: the title is empty, or ``source`` is taken already.
        """
        if not doc.title.strip():
            raise ValidationError("a document needs a non-empty title")
        stamp = now_utc()
        conn = self.pool.get()
        try:
            with self.pool.write_lock, write_transaction(conn):
                cur = conn.execute(
                    "INSERT INTO docs (title, body, tags, source, content_hash, created_at,"
                    " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (doc.title, doc.body, json.dumps(list(doc.tags), ensure_ascii=False),
                     doc.source, doc.content_hash, stamp, stamp))
                new_id = int(cur.lastrowid or 0)
        except sqlite3.IntegrityError:
            raise ValidationError(f"a document with source {doc.source!r} exists already") \
                from None
        except sqlite3.Error as exc:
            raise self._fail(exc) from None
        return self.get(new_id)

    def get(self, doc_id: int) -> Doc:
        """Return document ``doc_id``.

        Raises:
            NotFoundError: there is no such document.
        """
        try:
            row = self.pool.get().execute(
                f"SELECT {_DOC_COLUMNS} FROM docs WHERE id = ?", (doc_id,)).fetchone()
        except sqlite3.Error as exc:
            raise self._fail(exc) from None
        if row is None:
            raise NotFoundError(f"no document with id {doc_id} in {self.path}")
        return _row_to_doc(row)

    def remove(self, doc_id: int) -> None:
        """Delete document ``doc_id`` (and its index entries, via the trigger).

        Raises:
            NotFoundError: there is no such document.
        """
        conn = self.pool.get()
        try:
            with self.pool.write_lock, write_transaction(conn):
                deleted = conn.execute("DELETE FROM docs WHERE id = ?", (doc_id,)).rowcount
        except sqlite3.Error as exc:
            raise self._fail(exc) from None
        if not deleted:
            raise NotFoundError(f"no document with id {doc_id} in {self.path}")

    def count(self) -> int:
        """How many documents the library holds."""
        try:
            return int(self.pool.get().execute("SELECT count(*) FROM docs").fetchone()[0])
        except sqlite3.Error as exc:
            raise self._fail(exc) from None

    def search(self, query: str, *, limit: int = 20, offset: int = 0,
               mode: QueryMode | str = QueryMode.PLAIN,
               highlight: tuple[str, str] = ("<mark>", "</mark>")) -> SearchPage:
        """Return one page of documents matching ``query``, best first.

        Ranking is bm25 with the title weighted above tags above the body;
        ties are broken by id, so pages never overlap or skip a row. Only the
        newest ``rank_candidates`` matches are ranked (all of them when the
        query matches no more than that), and the last page ends there.

        Raises:
            QueryError: a raw query is malformed, or limit/offset are out of range.
            DatabaseError: the sidecar is corrupted or locked.
        """
        from socialhub.search.fts import QueryError

        if not 1 <= limit <= MAX_LIMIT:
            raise QueryError(f"limit must be between 1 and {MAX_LIMIT}", detail={"limit": limit})
        if not 0 <= offset <= MAX_OFFSET:
            raise QueryError(f"offset must be between 0 and {MAX_OFFSET}",
                             detail={"offset": offset})
        match = build_match(query, mode)
        mode_name = QueryMode(mode).value
        if not match:
            return SearchPage(query, mode_name, limit, offset, None, [])
        params = {"q": match, "limit": limit + 1, "offset": offset,
                  "candidates": self.rank_candidates, "hl_start": highlight[0],
                  "hl_end": highlight[1]}
        try:
            rows = self.pool.get().execute(SEARCH_SQL, params).fetchall()
        except sqlite3.Error as exc:
            raise translate_query_error(exc, query, self.path, "docs") from None
        more = len(rows) > limit
        hits = [DocHit(id=r[0], title=r[1], source=r[2], tags=json.loads(r[3]),
                       snippet=r[5], score=-r[4]) for r in rows[:limit]]
        return SearchPage(query, mode_name, limit, offset, offset + limit if more else None, hits)

    def import_state(self, prefix: str) -> dict[str, ImportState]:
        """Map each imported ``source`` starting with ``prefix`` to what its import saw."""
        # LIKE would treat % and _ in paths as wildcards; a range on the string does not.
        upper = prefix + "\U0010ffff"
        try:
            rows = self.pool.get().execute(
                "SELECT source, id, content_hash, file_size, file_mtime_ns FROM docs"
                " WHERE source >= ? AND source < ?", (prefix, upper)).fetchall()
        except sqlite3.Error as exc:
            raise self._fail(exc) from None
        return {r[0]: ImportState(r[1], r[2], r[3], r[4]) for r in rows}

    def apply_import(self, upserts: Iterable[DocInput], removals: Iterable[int], *,
                     bulk: bool, restat: Iterable[tuple[int | None, int | None, int]] = ()
                     ) -> None:
        """Write an import's changes in one transaction.

        ``upserts`` replace documents with the same ``source`` (keeping their
        id) or insert new ones; ``removals`` are ids to delete; ``restat`` are
        (size, mtime_ns, id) of files whose content did not change. With
        ``bulk`` the triggers are dropped for the load and the index is rebuilt once.
        """
        stamp = now_utc()
        conn = self.pool.get()
        try:
            with self.pool.write_lock, write_transaction(conn):
                if bulk:
                    for name in ("docs_ai", "docs_ad", "docs_au"):
                        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
                conn.executemany("DELETE FROM docs WHERE id = ?", ((i,) for i in removals))
                conn.executemany(_UPSERT_SQL, _rows(upserts, stamp))
                conn.executemany("UPDATE docs SET file_size = ?, file_mtime_ns = ? WHERE id = ?",
                                 restat)
                if bulk:
                    _raise_hashsize(conn)
                    conn.execute("INSERT INTO docs_fts(docs_fts) VALUES ('rebuild')")
                    for statement in _statements(_TRIGGERS):
                        conn.execute(statement)
        except sqlite3.Error as exc:
            raise self._fail(exc) from None

    def load_into_empty(self, batches: Iterable[Sequence[DocInput]]) -> bool:
        """Load a first import into an empty library, indexing each batch as it comes.

        Returns False, having read nothing from ``batches``, when the library
        is not empty. The triggers are dropped for the load and each batch is
        indexed as it is inserted, one row per statement (the same work and the
        same index as one ``rebuild`` at the end, but it overlaps with the
        caller parsing the next batch). When no
        other connection has the file open, the load also runs with a rollback
        journal and ``synchronous=OFF`` instead of WAL: pages are written once
        instead of to the WAL and again at the checkpoint. New pages of an
        empty file need no journal, so a failed or killed load still rolls
        back to the empty library; only an OS crash or power cut during the
        load can leave a damaged file, which is then deleted and imported
        again. The file is synced to disk before this returns.
        """
        conn = self.pool.get()
        with self.pool.write_lock:
            fast = False
            try:
                if self.count() == 0:
                    fast = set_bulk_journal(conn, on=True)
                with write_transaction(conn):
                    if conn.execute("SELECT EXISTS (SELECT 1 FROM docs)").fetchone()[0]:
                        return False  # another writer got there first
                    for name in ("docs_ai", "docs_ad", "docs_au"):
                        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
                    _raise_hashsize(conn)
                    stamp, last = now_utc(), 0
                    for batch in batches:
                        rows = [(i, d.title, d.body, _tags_json(d.tags), d.source, d.content_hash,
                                 d.file_size, d.file_mtime_ns, stamp, stamp)
                                for i, d in enumerate(batch, last + 1)]
                        last += len(rows)
                        conn.executemany(_INSERT_WITH_ID_SQL, rows)
                        conn.executemany(_INDEX_SQL, [row[:4] for row in rows])
                    for statement in _statements(_TRIGGERS):
                        conn.execute(statement)
            except sqlite3.Error as exc:
                raise self._fail(exc) from None
            finally:
                if fast:
                    set_bulk_journal(conn, on=False)
        return True

    def optimize(self) -> None:
        """Merge the index's segments into one (faster queries after a big load)."""
        conn = self.pool.get()
        try:
            with self.pool.write_lock, write_transaction(conn):
                conn.execute("INSERT INTO docs_fts(docs_fts) VALUES ('optimize')")
        except sqlite3.Error as exc:
            raise self._fail(exc) from None

    def integrity_check(self) -> None:
        """Verify the index matches the records.

        Raises:
            DatabaseError: the index or the file is inconsistent.
        """
        conn = self.pool.get()
        try:
            conn.execute("INSERT INTO docs_fts(docs_fts, rank) VALUES ('integrity-check', 1)")
        except sqlite3.Error as exc:
            raise describe_error(self.path, "docs", sqlite3.DatabaseError(
                f"index integrity check failed (malformed): {exc}")) from None
