"""One way to page a list: a default limit, ``--limit N``, ``--offset N``, ``--all``.

Every list command that can grow without bound (posts, deliveries, campaigns,
slots…) pages the same way, in SQL, and says on stderr when there is more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from socialhub.errors import ValidationError

T = TypeVar("T")

#: How many rows a list command shows when not told otherwise (tables and --json alike).
DEFAULT_LIMIT = 50
#: The largest --limit or --offset accepted: far above any real list, and inside the
#: 64-bit integers both databases take (a larger one would be a driver overflow).
MAX_ROWS = 1_000_000_000


@dataclass(frozen=True)
class Window:
    """Which rows to read: skip ``offset``, then at most ``limit`` (None: every one)."""

    limit: int | None = DEFAULT_LIMIT
    offset: int = 0


def window(limit: int | None, offset: int = 0, *, every: bool = False) -> Window:
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
    return Window(None if every else (DEFAULT_LIMIT if limit is None else limit), offset)


@dataclass(frozen=True)
class Page(Generic[T]):
    """Some rows of a longer list, with the list's full length."""

    items: list[T]
    total: int
    offset: int = 0

    @property
    def more(self) -> bool:
        """True when rows after this page were left out."""
        return self.offset + len(self.items) < self.total

    def note(self, noun: str) -> str | None:
        """The closing line for stderr when rows were left out, else None.

        For example ``showing 50 of 1,505 posts — use --limit N, --offset N or --all``.
        """
        if not self.more and self.offset == 0:
            return None
        shown = len(self.items)
        if self.offset:
            span = f"{self.offset + 1:,}–{self.offset + shown:,}" if shown else "none"
        else:
            span = f"{shown:,}"
        return f"showing {span} of {self.total:,} {noun} — use --limit N, --offset N or --all"
