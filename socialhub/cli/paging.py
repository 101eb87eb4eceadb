"""The paging options every unbounded list command shares: --limit, --offset, --all.

Tables and ``--json`` page alike (a script asks for ``--all`` or pages with
``--offset``); when rows were left out, one line on stderr says so.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from socialhub.cli.common import state
from socialhub.services.paging import DEFAULT_LIMIT, Page, Window, window

LimitOption = Annotated[int | None, typer.Option(
    "--limit", "-n", help=f"Show at most N rows (default {DEFAULT_LIMIT}; --json too).",
    metavar="N", show_default=False)]
OffsetOption = Annotated[int, typer.Option(
    "--offset", help="Skip the first N rows (with --limit, to page through).", metavar="N")]
AllOption = Annotated[bool, typer.Option("--all", help="Show every row (no limit).")]


def paging(limit: int | None, offset: int, every: bool) -> Window:
    """The window the options ask for.

    Raises:
        ValidationError: a limit below 1 or a negative offset.
    """
    return window(limit, offset, every=every)


def note_more(page: Page[Any], noun: str) -> None:
    """Print the 'showing 50 of 1,505 …' line on stderr when rows were left out."""
    line = page.note(noun)
    if line and not state.quiet:
        sys.stderr.write(line + "\n")
