"""FTS5 query handling: safe escaping by default, raw syntax on request, one error shape.

User text never reaches FTS5's query parser unescaped unless the caller asks
for ``mode=raw``: by default each whitespace-separated word becomes a quoted
FTS5 string (the sqlite-utils ``quote_fts`` / datasette ``escape_fts`` way),
so ``NOT``, ``OR``, ``-``, ``:``, ``*``, ``^`` and quotes are just text. A raw
query that FTS5 rejects becomes a :class:`QueryError` (HTTP 400), never a 500.
"""

from __future__ import annotations

import sqlite3
from enum import StrEnum
from pathlib import Path
from typing import Any

from socialhub.errors import ValidationError
from socialhub.search.sidecar import describe_error


class QueryMode(StrEnum):
    """How a query string is handed to FTS5."""

    PLAIN = "plain"  # every word is literal text; all words must match
    RAW = "raw"  # FTS5 syntax: "phrases", NEAR(a b, 5), prefix*, OR, NOT, col:term


class QueryError(ValidationError):
    """A search query cannot be run as written (HTTP 400, exit code 4)."""

    code = "bad_query"

    def __init__(self, message: str, *, detail: Any = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.detail = detail


def error_body(code: str, message: str, detail: Any = None) -> dict[str, Any]:
    """The one JSON shape every search API error uses.

    ``{"error": {"code": "bad_query", "message": "...", "detail": ...}}``
    """
    return {"error": {"code": code, "message": message, "detail": detail}}


def escape_fts(text: str) -> str:
    """Quote every word of ``text`` so FTS5 reads it as plain tokens, all required.

    Returns an empty string when ``text`` has no words; callers treat that as
    "no match" rather than passing it to FTS5 (an empty MATCH is a syntax error).
    """
    # NUL ends a string inside FTS5's parser ("unterminated string"); it is never a word char.
    words = text.replace("\x00", " ").split()
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


def prefix_fts(text: str) -> str:
    """Like :func:`escape_fts`, but each word also matches as a prefix (``"wor"*``)."""
    words = text.replace("\x00", " ").split()
    return " ".join('"' + word.replace('"', '""') + '"*' for word in words)


def build_match(query: str, mode: QueryMode | str = QueryMode.PLAIN) -> str:
    """Return the FTS5 MATCH expression for ``query`` in ``mode``.

    Raises:
        QueryError: the mode is unknown, or a raw query is empty.
    """
    try:
        mode = QueryMode(mode)
    except ValueError:
        raise QueryError(f"unknown query mode {mode!r}: use 'plain' or 'raw'",
                         detail={"mode": str(mode)}) from None
    if mode is QueryMode.RAW:
        if not query.strip():
            raise QueryError("empty raw query", detail={"query": query})
        return query
    return escape_fts(query)


_QUERY_PROBLEMS = ("fts5", "syntax error", "unterminated string", "no such column",
                   "unknown special query", "malformed match", "parse error")


def translate_query_error(exc: sqlite3.Error, query: str, path: Path, name: str) -> Exception:
    """Map an error raised while running a MATCH to a :class:`QueryError` or a DatabaseError.

    Lock, corruption and I/O failures are about the file, not the query, and
    stay database errors (503 over HTTP).
    """
    text = str(exc)
    lowered = text.lower()
    if isinstance(exc, sqlite3.OperationalError) and any(p in lowered for p in _QUERY_PROBLEMS):
        return QueryError(f"malformed search query: {text}",
                          detail={"query": query, "sqlite": text},
                          hint="search without raw mode to match the words literally")
    return describe_error(path, name, exc)
