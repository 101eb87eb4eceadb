"""The music query language (in the spirit of beets), parsed and compiled to SQL.

Pure: no database access. Syntax, terms separated by spaces, all must hold:

- ``word`` / ``"two words"`` — any text field contains the word (prefix match);
- ``field:value`` — a text field contains ``value`` (case-insensitive);
  ``field:=value`` — equals it exactly; ``artist:"two words"`` quotes spaces;
- ``year:1994``, ``year:1990..1999``, ``bpm:120..``, ``duration:..3:30`` —
  numbers and inclusive ranges (either end may be left open);
- ``added:2024-01..2024-06``, ``date:1990..1995`` — date ranges; a year or
  month stands for the whole period;
- ``-term`` — negation (``-genre:jazz``, ``-live``);
- ``field+`` / ``field-`` — sort ascending / descending (``year-``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from socialhub.search.fts import QueryError, escape_fts, prefix_fts

TEXT_FIELDS = ("title", "artist", "album", "albumartist", "genre", "composer", "comment",
               "format", "path")
NUMERIC_FIELDS = ("year", "track", "tracktotal", "disc", "disctotal", "bpm", "duration",
                  "bitrate", "samplerate", "channels", "id")
DATE_FIELDS = ("added", "date")
ALIASES = {"length": "duration", "tracknumber": "track", "discnumber": "disc",
           "album_artist": "albumartist", "kbps": "bitrate"}
#: Columns behind fields whose name differs from the column.
COLUMNS = {"added": "added_at"}
ALL_FIELDS = TEXT_FIELDS + NUMERIC_FIELDS + DATE_FIELDS
DEFAULT_SORT = (("albumartist", False), ("album", False), ("disc", False), ("track", False),
                ("title", False))

_FIELD_NAME = re.compile(r"^[a-z_]+$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


@dataclass(frozen=True)
class Term:
    """One condition. ``kind`` is ``free``, ``text``, ``exact``, ``range`` or ``date``."""

    kind: str
    value: str
    field: str | None = None
    negate: bool = False
    low: float | str | None = None
    high: float | str | None = None
    phrase: bool = False


@dataclass(frozen=True)
class MusicQuery:
    """A parsed query: conditions plus sort keys (field, descending)."""

    terms: tuple[Term, ...] = ()
    sort: tuple[tuple[str, bool], ...] = ()


@dataclass
class CompiledQuery:
    """SQL pieces for ``SELECT … FROM tracks WHERE {where} ORDER BY {order_by}``."""

    where: str
    params: list[object] = field(default_factory=list)
    order_by: str = ""


def _tokens(text: str) -> list[tuple[str, bool]]:
    """Split on spaces outside double quotes; return (token, had_quotes)."""
    out: list[tuple[str, bool]] = []
    buf: list[str] = []
    quoted = in_quotes = False
    for ch in text.replace("\x00", " "):
        if ch == '"':
            in_quotes = not in_quotes
            quoted = True
        elif ch.isspace() and not in_quotes:
            if buf or quoted:
                out.append(("".join(buf), quoted))
            buf, quoted = [], False
        else:
            buf.append(ch)
    if buf or quoted:
        out.append(("".join(buf), quoted))  # an unclosed quote runs to the end, leniently
    return out


def _canonical(name: str) -> str:
    name = ALIASES.get(name, name)
    if name not in ALL_FIELDS:
        raise QueryError(f"unknown field {name!r}; known fields: {', '.join(ALL_FIELDS)}",
                         detail={"field": name})
    return name


def _number(raw: str, name: str) -> float:
    if name == "duration" and ":" in raw:
        minutes, _, seconds = raw.partition(":")
        if minutes.isdigit() and re.fullmatch(r"\d+(\.\d+)?", seconds):
            return int(minutes) * 60 + float(seconds)
    try:
        return float(raw)
    except ValueError:
        raise QueryError(f"{name}: {raw!r} is not a number", detail={"field": name}) from None


def _date_bound(raw: str, name: str, upper: bool) -> str:
    """The first day of the period ``raw`` names, or the first day after it when ``upper``."""
    m = _DATE.match(raw)
    if not m:
        raise QueryError(f"{name}: {raw!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)",
                         detail={"field": name})
    y, mo, d = int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)
    try:
        start = date(y, mo, d)
    except ValueError:
        raise QueryError(f"{name}: {raw!r} is not a valid date", detail={"field": name}) from None
    if not upper:
        return start.isoformat()
    from datetime import timedelta

    if m.group(3):
        end = start + timedelta(days=1)
    elif m.group(2):
        end = date(y + (mo == 12), mo % 12 + 1, 1)
    else:
        end = date(y + 1, 1, 1) if y < 9999 else date(9999, 12, 31)
    return end.isoformat()


def _field_term(name: str, value: str, negate: bool, quoted: bool) -> Term:
    if not value and not quoted:
        raise QueryError(f"{name}: needs a value (e.g. {name}:something)", detail={"field": name})
    if name in NUMERIC_FIELDS or name in DATE_FIELDS:
        low_raw, sep, high_raw = value.partition("..")
        if not sep:
            low_raw = high_raw = value
        if not low_raw and not high_raw:
            raise QueryError(f"{name}: a range needs at least one end", detail={"field": name})
        if name in DATE_FIELDS:
            low = _date_bound(low_raw, name, False) if low_raw else None
            high = _date_bound(high_raw, name, True) if high_raw else None
            return Term("date", value, name, negate, low, high)
        lo = _number(low_raw, name) if low_raw else None
        hi = _number(high_raw, name) if high_raw else None
        return Term("range", value, name, negate, lo, hi)
    if value.startswith("="):
        return Term("exact", value[1:], name, negate)
    return Term("text", value, name, negate)


def parse_query(text: str) -> MusicQuery:
    """Parse ``text`` into terms and sort keys.

    Raises:
        QueryError: an unknown field, a bad number or date, or a value missing.
    """
    terms: list[Term] = []
    sort: list[tuple[str, bool]] = []
    for token, quoted in _tokens(text):
        negate = token.startswith("-") and len(token) > 1
        body = token[1:] if negate else token
        if not quoted and body[-1:] in ("+", "-") and _FIELD_NAME.match(body[:-1]) \
                and ALIASES.get(body[:-1], body[:-1]) in ALL_FIELDS and not negate:
            sort.append((_canonical(body[:-1]), body.endswith("-")))
            continue
        name, colon, value = body.partition(":")
        if colon and _FIELD_NAME.match(name):
            terms.append(_field_term(_canonical(name), value, negate, quoted))
        elif body.strip():
            terms.append(Term("free", body, None, negate, phrase=quoted))
    return MusicQuery(tuple(terms), tuple(sort))


def _like_pattern(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _condition(term: Term, params: list[object]) -> str | None:
    if term.kind == "free":
        match = escape_fts(term.value) if term.phrase else prefix_fts(term.value)
        if term.phrase and match:
            # Quoted words form one phrase: "a" "b" → "a b".
            match = '"' + " ".join(term.value.replace('"', '""').split()) + '"'
        if not match:
            return None
        params.append(match)
        return "id IN (SELECT rowid FROM tracks_fts WHERE tracks_fts MATCH ?)"
    column = COLUMNS.get(term.field or "", term.field)
    if term.kind == "text":
        params.append(_like_pattern(term.value))
        return f"coalesce({column}, '') LIKE ? ESCAPE '\\'"
    if term.kind == "exact":
        params.append(term.value)
        return f"coalesce({column}, '') = ?"
    parts: list[str] = []
    target = column if term.kind == "range" else f"substr({column} || '-01-01', 1, 10)"
    if term.low is not None:
        parts.append(f"{target} >= ?")
        params.append(term.low)
    if term.high is not None:
        parts.append(f"{target} {'<=' if term.kind == 'range' else '<'} ?")
        params.append(term.high)
    return f"({column} IS NOT NULL AND {' AND '.join(parts)})"


def compile_query(query: MusicQuery) -> CompiledQuery:
    """Turn a parsed query into a WHERE clause, parameters and an ORDER BY.

    Negated terms also match tracks where the field is empty. The sort always
    ends with ``id`` so pagination is stable.
    """
    params: list[object] = []
    clauses: list[str] = []
    for term in query.terms:
        cond = _condition(term, params)
        if cond is None:
            if not term.negate:
                clauses.append("0")  # a free term with no words matches nothing
            continue
        clauses.append(f"NOT coalesce(({cond}), 0)" if term.negate else cond)
    keys = list(query.sort) or list(DEFAULT_SORT)
    order = [f"{COLUMNS.get(f, f)} IS NULL, {COLUMNS.get(f, f)} "
             f"{'DESC' if desc else 'ASC'}" for f, desc in keys]
    # Text sorts ignore case, as a person reading the list expects.
    order = [o.replace(f"{f} ASC", f"{f} COLLATE NOCASE ASC")
             .replace(f"{f} DESC", f"{f} COLLATE NOCASE DESC")
             if f in TEXT_FIELDS else o for o, (f, _) in zip(order, keys, strict=True)]
    order.append("id ASC")
    return CompiledQuery(" AND ".join(clauses) or "1", params, ", ".join(order))
