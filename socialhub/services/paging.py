"""One way to page a list: a default limit, ``--limit N``, ``--cursor C`` (or ``--offset
N``), ``--all``; and the cursors themselves.

Every list command that can grow without bound (posts, deliveries, campaigns,
links, inbox items, rule executions, webhook deliveries, audit rows) pages the same
way, in SQL, and says on stderr when there is more. A cursor is a *keyset* position:
the sort key of the last row shown, with the row id as the last tie-breaker, so the
next page starts right after that row however many rows were added or removed
before it meanwhile (an offset drifts then, and costs O(offset) to skip).

A cursor is opaque to its users: urlsafe base64 of a small JSON document holding the
list's name, the key and a checksum. :class:`Keyset` writes and reads them for the
CLI and the REST API alike; a cursor of another list, a changed or a malformed one is
a :class:`~socialhub.errors.ValidationError`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

from socialhub.errors import ValidationError

T = TypeVar("T")
R = TypeVar("R")

#: How many rows a list command shows when not told otherwise (tables and --json alike).
DEFAULT_LIMIT = 50
#: The largest --limit or --offset accepted: far above any real list, and inside the
#: 64-bit integers both databases take (a larger one would be a driver overflow).
MAX_ROWS = 1_000_000_000
#: The longest cursor read (a key holds at most a name of a few hundred characters).
MAX_CURSOR = 2000

#: A position in a list: the values of its sort key, in order (the id last).
Key = tuple[Any, ...]


@dataclass(frozen=True)
class Window:
    """Which rows to read: after the position ``after`` (None: from the start), skip
    ``offset``, then at most ``limit`` (None: every one)."""

    limit: int | None = DEFAULT_LIMIT
    offset: int = 0
    after: Key | None = None


def window(limit: int | None, offset: int = 0, *, every: bool = False,
           after: Key | None = None) -> Window:
    """The rows a list command asked for; ``every`` (``--all``) lifts the limit.

    Raises:
        ValidationError: a limit below 1, a negative offset, or either past MAX_ROWS.
    """
    if limit is not None and limit < 1:
        raise ValidationError(f"--limit must be 1 or more (got {limit}); use --all for every row")
    if offset < 0:
        raise ValidationError(f"--offset must be 0 or more (got {offset})")
    for name, value in (("--limit", limit), ("--offset", offset)):
        if value is not None and value > MAX_ROWS:
            raise ValidationError(f"{name} must be at most {MAX_ROWS:,} (got {value})")
    return Window(None if every else (DEFAULT_LIMIT if limit is None else limit), offset, after)


@dataclass(frozen=True)
class Page(Generic[T]):
    """Some rows of a longer list, with the list's full length (None: not counted) and
    the cursor of the next page (None: this is the last one)."""

    items: list[T]
    total: int | None
    offset: int = 0
    next_cursor: str | None = None
    #: Whether the page started at a cursor (its first row is not the list's first).
    resumed: bool = False

    @property
    def more(self) -> bool:
        """True when rows after this page were left out."""
        if self.next_cursor is not None:
            return True
        return self.total is not None and self.offset + len(self.items) < self.total \
            and not self.resumed

    def note(self, noun: str) -> str | None:
        """The closing line for stderr when rows were left out, else None.

        For example ``showing 50 of 1,505 posts — next page: --cursor XYZ (or --all)``.
        """
        if not self.more and self.offset == 0 and not self.resumed:
            return None
        shown = len(self.items)
        of = "" if self.total is None else f" of {self.total:,}"
        if self.offset and not self.resumed:
            span = f"{self.offset + 1:,}–{self.offset + shown:,}" if shown else "none"
        else:
            span = f"{shown:,}"
        if self.next_cursor is not None:
            return f"showing {span}{of} {noun} — next page: --cursor {self.next_cursor} (or --all)"
        if self.more:
            return f"showing {span}{of} {noun} — use --limit N, --cursor C or --all"
        return f"showing {span}{of} {noun} — the last page"


#: What a key's value may be, by the letter a :class:`Keyset` names it with:
#: ``i`` an integer, ``s`` a string, ``t`` an aware datetime, ``d`` a date; a ``?``
#: after the letter allows None.
_KINDS = {"i", "s", "t", "d"}


def _dump(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "t":
        if not isinstance(value, datetime):
            raise TypeError(f"not a datetime: {value!r}")
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if kind == "d":
        if not isinstance(value, date):
            raise TypeError(f"not a date: {value!r}")
        return value.isoformat()
    return value


def _load(kind: str, value: Any) -> Any:
    """The value ``_dump`` wrote, checked; ValueError for anything else."""
    letter, nullable = kind[0], kind.endswith("?")
    if value is None:
        if not nullable:
            raise ValueError("a null where the key has a value")
        return None
    if letter == "i":
        if not isinstance(value, int) or isinstance(value, bool) or \
                not -(2 ** 63) <= value < 2 ** 63:
            raise ValueError("not an id")
        return value
    if not isinstance(value, str) or len(value) > MAX_CURSOR:
        raise ValueError("not text")
    if letter == "s":
        if "\x00" in value:
            raise ValueError("a NUL in text")
        return value
    if letter == "t":
        at = datetime.fromisoformat(value)
        if at.tzinfo is None:
            raise ValueError("a time without its offset")
        return at.astimezone(UTC)
    return date.fromisoformat(value)


def _checksum(name: str, values: list[Any]) -> str:
    text = json.dumps([name, values], separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(("socialhub-cursor:" + text).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Keyset:
    """The cursors of one list: its ``name`` and the kinds of its key's values (see
    ``_KINDS``; the row id, ``i``, last)."""

    name: str
    kinds: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.kinds or any(k.rstrip("?") not in _KINDS for k in self.kinds):
            raise ValueError(f"bad key kinds {self.kinds!r}")

    def encode(self, key: Sequence[Any]) -> str:
        """The cursor of the position ``key`` (the sort key of a row, its id last)."""
        if len(key) != len(self.kinds):
            raise ValueError(f"{self.name}: a key of {len(self.kinds)} values, got {key!r}")
        values = [_dump(k[0], v) for k, v in zip(self.kinds, key, strict=True)]
        text = json.dumps({"l": self.name, "k": values, "c": _checksum(self.name, values)},
                          separators=(",", ":"), ensure_ascii=False)
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    def decode(self, cursor: str | None, *, option: str = "--cursor") -> Key | None:
        """The position ``cursor`` stands for (None without one).

        Raises:
            ValidationError: not a cursor of this list: malformed, changed, or given out
                by another list (the message names ``option``, on one line).
        """
        if not cursor:
            return None
        try:
            if len(cursor) > MAX_CURSOR:
                raise ValueError("too long")
            padded = cursor + "=" * (-len(cursor) % 4)
            doc = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
            if not isinstance(doc, dict) or set(doc) != {"l", "k", "c"} or \
                    not isinstance(doc["l"], str):
                raise ValueError("not a cursor")
            values = doc["k"]
            if doc["l"] != self.name:
                raise LookupError(doc["l"])
            if not isinstance(values, list) or len(values) != len(self.kinds) or \
                    doc["c"] != _checksum(self.name, values):
                raise ValueError("changed")
            return tuple(_load(k, v) for k, v in zip(self.kinds, values, strict=True))
        except LookupError as exc:
            raise ValidationError(
                f"{option}: a cursor of another list, not of {self.name}") from exc
        except (ValueError, TypeError, UnicodeError, binascii.Error, OverflowError) as exc:
            raise ValidationError(
                f"{option}: not a cursor this list gave out (malformed or changed)") from exc


def keyed_page(rows: list[R], window: Window, keyset: Keyset, key: Callable[[R], Key],
               render: Callable[[list[R]], list[T]], total: int | None) -> Page[T]:
    """The page of ``rows``, read with one more than ``window.limit`` to know whether
    there is more: the first ``limit`` rendered, and the cursor after the last of them
    when the extra row came back."""
    more = window.limit is not None and len(rows) > window.limit
    shown = rows[:window.limit] if window.limit is not None else rows
    cursor = keyset.encode(key(shown[-1])) if more and shown else None
    return Page(render(shown), total, window.offset, cursor, window.after is not None)


def fetch_size(window: Window) -> int | None:
    """How many rows to read for ``window``: one more than its limit (None: all)."""
    return None if window.limit is None else window.limit + 1


def with_total(page: Page[T], total: int) -> Page[T]:
    """``page`` with the list's full length (counted by the caller's count use case)."""
    return Page(page.items, total, page.offset, page.next_cursor, page.resumed)


# The lists that page by cursor, and their keys (the order of each list's query in
# ``db.queries``; the id last).
#: ``posts list``: the first scheduled time (None: none, listed last), the post id.
POSTS = Keyset("posts", ("t?", "i"))
#: ``inbox list``: newest first, by received time and id.
INBOX = Keyset("inbox", ("t", "i"))
#: ``queue list``: soonest next attempt first, ties by id.
QUEUE = Keyset("queue", ("t", "i"))
#: ``campaigns list``: the start date (None: none, listed last), the name, the id.
CAMPAIGNS = Keyset("campaigns", ("d?", "s", "i"))
#: ``links list``: newest first, by creation time and id.
LINKS = Keyset("links", ("t", "i"))
#: ``rules log``: newest first, by id.
RULE_RUNS = Keyset("rule-runs", ("i",))
#: ``webhooks log``: newest first, by id.
WEBHOOK_LOG = Keyset("webhook-log", ("i",))
#: ``audit list``: newest first, by id.
AUDIT = Keyset("audit", ("i",))
