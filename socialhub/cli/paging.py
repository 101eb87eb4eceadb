"""The paging options every unbounded list command shares: --limit, --cursor, --offset,
--all.

Tables and ``--json`` page alike (a script asks for ``--all`` or follows the cursor
that the stderr note names); when rows were left out, one line on stderr says so and
gives the next page's ``--cursor``. ``--offset`` stays for old scripts: it drifts when
rows are added or removed between two pages (a cursor does not).
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from socialhub.cli.common import state
from socialhub.services.paging import DEFAULT_LIMIT, Keyset, Page, Window, window

LimitOption = Annotated[int | None, typer.Option(
    "--limit", "-n", help=f"Show at most N rows (default {DEFAULT_LIMIT}; --json too).",
    metavar="N", show_default=False)]
CursorOption = Annotated[str | None, typer.Option(
    "--cursor", help="Start after the row this cursor marks (the note on stderr gives the "
    "next page's cursor; rows added meanwhile do not shift the pages).", metavar="C")]
OffsetOption = Annotated[int, typer.Option(
    "--offset", help="Skip the first N rows (drifts when rows come or go between pages: "
    "prefer --cursor).", metavar="N")]
AllOption = Annotated[bool, typer.Option("--all", help="Show every row (no limit).")]


def paging(limit: int | None, offset: int, every: bool, cursor: str | None = None,
           keyset: Keyset | None = None) -> Window:
    """The window the options ask for: after ``cursor`` (a cursor of ``keyset``'s list).

    Raises:
        ValidationError: a limit below 1, a negative offset, or a cursor that is not one
            of this list (malformed, changed, or another list's).
    """
    after = keyset.decode(cursor) if keyset is not None else None
    return window(limit, offset, every=every, after=after)


def note_more(page: Page[Any], noun: str) -> None:
    """Print the 'showing 50 of 1,505 … — next page: --cursor C' line on stderr when rows
    were left out."""
    line = page.note(noun)
    if line and not state.quiet:
        sys.stderr.write(line + "\n")
