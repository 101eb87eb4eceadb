"""The music library: a SQLite sidecar of tracks with an FTS5 index over their tags.

``tracks`` holds one row per audio file (tags plus stream facts); ``tracks_fts``
indexes the text tags and is kept in step by triggers. Searches use the
beets-like language of :mod:`socialhub.search.music_query`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from socialhub.errors import NotFoundError
from socialhub.search.bounds import MAX_LIMIT, MAX_OFFSET
from socialhub.search.docs_store import now_utc
from socialhub.search.fts import QueryError, translate_query_error
from socialhub.search.music_query import compile_query, parse_query
from socialhub.search.sidecar import (
    DEFAULT_BUSY_TIMEOUT_MS,
    ConnectionPool,
    Schema,
    describe_error,
    write_transaction,
)

_FTS_COLUMNS = ("title", "artist", "album", "albumartist", "genre", "composer", "comment")
_NEW = ", ".join(f"new.{c}" for c in _FTS_COLUMNS)
_OLD = ", ".join(f"old.{c}" for c in _FTS_COLUMNS)
_COLS = ", ".join(_FTS_COLUMNS)

_V1 = f"""
CREATE TABLE tracks (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  format TEXT NOT NULL,
  title TEXT, artist TEXT, album TEXT, albumartist TEXT, genre TEXT, composer TEXT,
  comment TEXT, date TEXT, year INTEGER, track INTEGER, tracktotal INTEGER, disc INTEGER,
  disctotal INTEGER, bpm REAL, duration REAL, bitrate INTEGER, samplerate INTEGER,
  channels INTEGER,
  added_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX tracks_year ON tracks (year);
CREATE INDEX tracks_bpm ON tracks (bpm);
CREATE VIRTUAL TABLE tracks_fts USING fts5(
  {_COLS}, content='tracks', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER tracks_ai AFTER INSERT ON tracks BEGIN
  INSERT INTO tracks_fts(rowid, {_COLS}) VALUES (new.id, {_NEW});
END;
CREATE TRIGGER tracks_ad AFTER DELETE ON tracks BEGIN
  INSERT INTO tracks_fts(tracks_fts, rowid, {_COLS}) VALUES ('delete', old.id, {_OLD});
END;
CREATE TRIGGER tracks_au AFTER UPDATE ON tracks BEGIN
  INSERT INTO tracks_fts(tracks_fts, rowid, {_COLS}) VALUES ('delete', old.id, {_OLD});
  INSERT INTO tracks_fts(rowid, {_COLS}) VALUES (new.id, {_NEW});
END;
"""

MUSIC_SCHEMA = Schema(name="music", application_id=0x53484d31, steps=(_V1,))  # "SHM1"


@dataclass(frozen=True)
class Track:
    """One audio file's tags and stream facts. ``bitrate`` is in kbit/s, ``duration`` in s."""

    path: str
    format: str
    size: int = 0
    mtime_ns: int = 0
    title: str | None = None
    artist: str | None = None
    album: str | None = None
    albumartist: str | None = None
    genre: str | None = None
    composer: str | None = None
    comment: str | None = None
    date: str | None = None
    year: int | None = None
    track: int | None = None
    tracktotal: int | None = None
    disc: int | None = None
    disctotal: int | None = None
    bpm: float | None = None
    duration: float | None = None
    bitrate: int | None = None
    samplerate: int | None = None
    channels: int | None = None
    id: int | None = None
    added_at: str | None = None
    updated_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return asdict(self)


_FIELDS = [f.name for f in fields(Track)]
_DATA_FIELDS = [n for n in _FIELDS if n not in ("id", "added_at", "updated_at")]
_SELECT = ", ".join(_FIELDS)


def _row_to_track(row: tuple[Any, ...]) -> Track:
    return Track(**dict(zip(_FIELDS, row, strict=True)))


@dataclass(frozen=True)
class TrackPage:
    """A page of tracks; ``next_offset`` is None on the last page."""

    query: str
    limit: int
    offset: int
    next_offset: int | None
    results: list[Track]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {"query": self.query, "limit": self.limit, "offset": self.offset,
                "next_offset": self.next_offset, "results": [t.to_dict() for t in self.results]}


class MusicStore:
    """Reads and writes the music sidecar; safe to share between threads."""

    def __init__(self, path: Path, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> None:
        self.path = path
        self.pool = ConnectionPool(path, MUSIC_SCHEMA, busy_timeout_ms=busy_timeout_ms)

    def close(self) -> None:
        """Close every connection."""
        self.pool.close()

    def _fail(self, exc: sqlite3.Error) -> Exception:
        return describe_error(self.path, "music", exc)

    def get(self, track_id: int) -> Track:
        """Return track ``track_id``.

        Raises:
            NotFoundError: there is no such track.
        """
        try:
            row = self.pool.get().execute(
                f"SELECT {_SELECT} FROM tracks WHERE id = ?", (track_id,)).fetchone()
        except sqlite3.Error as exc:
            raise self._fail(exc) from None
        if row is None:
            raise NotFoundError(f"no track with id {track_id} in {self.path}")
        return _row_to_track(row)

    def count(self) -> int:
        """How many tracks the library holds."""
        try:
            return int(self.pool.get().execute("SELECT count(*) FROM tracks").fetchone()[0])
        except sqlite3.Error as exc:
            raise self._fail(exc) from None

    def search(self, query: str, *, limit: int = 50, offset: int = 0) -> TrackPage:
        """Return one page of tracks matching the beets-like ``query``.

        Raises:
            QueryError: the query does not parse, or limit/offset are out of range.
        """
        if not 1 <= limit <= MAX_LIMIT:
            raise QueryError(f"limit must be between 1 and {MAX_LIMIT}", detail={"limit": limit})
        if not 0 <= offset <= MAX_OFFSET:
            raise QueryError(f"offset must be between 0 and {MAX_OFFSET}",
                             detail={"offset": offset})
        compiled = compile_query(parse_query(query))
        sql = (f"SELECT {_SELECT} FROM tracks WHERE {compiled.where} "
               f"ORDER BY {compiled.order_by} LIMIT ? OFFSET ?")
        try:
            rows = self.pool.get().execute(sql, [*compiled.params, limit + 1, offset]).fetchall()
        except sqlite3.Error as exc:
            raise translate_query_error(exc, query, self.path, "music") from None
        more = len(rows) > limit
        return TrackPage(query, limit, offset, offset + limit if more else None,
                         [_row_to_track(r) for r in rows[:limit]])

    def known_files(self, prefix: str) -> dict[str, tuple[int, int, int]]:
        """Map each track path starting with ``prefix`` to (id, size, mtime_ns)."""
        try:
            rows = self.pool.get().execute(
                "SELECT path, id, size, mtime_ns FROM tracks WHERE path >= ? AND path < ?",
                (prefix, prefix + "\U0010ffff")).fetchall()
        except sqlite3.Error as exc:
            raise self._fail(exc) from None
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def apply_import(self, upserts: Iterable[Track], removals: Iterable[int]) -> None:
        """Write an import's changes in one transaction (upsert by path, delete by id)."""
        stamp = now_utc()
        cols = ", ".join(_DATA_FIELDS)
        marks = ", ".join("?" for _ in _DATA_FIELDS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in _DATA_FIELDS if c != "path")
        sql = (f"INSERT INTO tracks ({cols}, added_at, updated_at) VALUES ({marks}, ?, ?) "
               f"ON CONFLICT(path) DO UPDATE SET {updates}, updated_at = excluded.updated_at")
        conn = self.pool.get()
        try:
            with self.pool.write_lock, write_transaction(conn):
                conn.executemany("DELETE FROM tracks WHERE id = ?", ((i,) for i in removals))
                conn.executemany(sql, ([getattr(t, c) for c in _DATA_FIELDS] + [stamp, stamp]
                                       for t in upserts))
        except sqlite3.Error as exc:
            raise self._fail(exc) from None

    def integrity_check(self) -> None:
        """Verify the index matches the records.

        Raises:
            DatabaseError: the index or the file is inconsistent.
        """
        try:
            self.pool.get().execute(
                "INSERT INTO tracks_fts(tracks_fts, rank) VALUES ('integrity-check', 1)")
        except sqlite3.Error as exc:
            raise describe_error(self.path, "music", sqlite3.DatabaseError(
                f"index integrity check failed (malformed): {exc}")) from None
