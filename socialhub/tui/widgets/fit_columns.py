"""Column widths for a ``DataTable`` that fit the screen without cutting a name or a time.

Fixed column widths drawn for 120 columns ran off an 80-column screen (the queue's
time was not visible) and cut handles to ``bluesky:@averyveryverylongha``. The rule
is the CLI list tables' (``socialhub.cli.fit_table``, which a front end may not
import): an id, a name, a handle, a time or a status is a *whole* value and never
shrinks; free text (a post's text, an error) is cut first, down to its ``shrink``;
then optional columns leave, the highest ``drop`` rank first; only when that is not
enough do the widest whole columns fold, which makes their rows taller (the caller
adds such a row with ``height=None``) instead of ending in ``…``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text

from socialhub.tui.widgets.plain import plain_cells

if TYPE_CHECKING:
    from textual.widgets import DataTable

#: Cells a column costs besides its content (a ``DataTable``'s padding, one each side).
COLUMN_OVERHEAD = 2
#: The narrowest a whole column is folded to as the last resort.
FOLD_FLOOR = 4


@dataclass(frozen=True)
class Column:
    """One column and how it gives way on a narrow screen.

    ``least`` is the fewest cells it takes (the longest status, so the column does
    not jump when a status changes); ``shrink`` makes it free text that may be cut
    to that many cells (0: a whole value), ``widest`` the most it takes on a wide
    screen (0: no bound); ``drop`` above 0 lets it leave, the highest rank first."""

    label: str
    least: int = 0
    shrink: int = 0
    widest: int = 0
    drop: int = 0


def fit_columns(columns: Sequence[Column], rows: Sequence[Sequence[str]],
                width: int) -> list[int | None]:
    """Each column's width for ``rows`` (plain text, one cell per column) in ``width``
    cells, ``None`` for a column left out. A whole column narrower than its widest
    cell was folded: its long cells take more lines."""
    natural = [max(c.least, cell_len(c.label), *(cell_len(r[i]) for r in rows))
               for i, c in enumerate(columns)]
    natural = [min(n, c.widest) if c.widest and c.shrink else n
               for n, c in zip(natural, columns, strict=True)]
    widths: list[int | None] = list(natural)

    def over() -> int:
        return sum(w + COLUMN_OVERHEAD for w in widths if w is not None) - width

    for i, column in enumerate(columns):  # free text gives way first
        w = widths[i]
        if column.shrink and w is not None and over() > 0:
            widths[i] = max(min(column.shrink, w), w - over())
    dropped: list[int] = []
    for i in sorted((i for i, c in enumerate(columns) if c.drop),
                    key=lambda i: (-columns[i].drop, -i)):
        if over() <= 0:
            break
        widths[i] = None
        dropped.append(i)
    for i in reversed(dropped[:-1]):  # one that left early may fit now that a later left
        if natural[i] + COLUMN_OVERHEAD <= -over():
            widths[i] = natural[i]
    for i, column in enumerate(columns):  # the room that made goes back to the text
        w = widths[i]
        if column.shrink and w is not None and w < natural[i] and over() < 0:
            widths[i] = min(natural[i], w - over())
    while over() > 0:  # the last resort: the widest column folds onto more lines
        shown = [i for i, w in enumerate(widths) if w is not None]
        i = max(shown, key=lambda i: (widths[i] or 0, i))
        w = widths[i]
        if w is None or w <= FOLD_FLOOR:
            break
        widths[i] = w - 1
    return widths


def fill_table(table: DataTable[Any], columns: Sequence[Column],
               rows: Sequence[Sequence[str | Text]], *,
               keys: Sequence[str] | None = None) -> int:
    """Replace ``table``'s columns and rows with ``rows`` in columns fitted to its width
    (less its scrollbar); return that width. Every cell goes in through ``plain_cells``
    (a ``Text`` cell keeps its style) and is measured as it will be shown. Free text is
    put on one line, cut with ``…`` to its column; a row with a folded cell is added
    taller (``height=None``), never cut."""
    room = table_room(table)
    texts = [plain_cells(*(" ".join(cell.split()) if column.shrink and isinstance(cell, str)
                           else cell for column, cell in zip(columns, row, strict=True)))
             for row in rows]
    widths = fit_columns(columns, [[t.plain for t in row] for row in texts], room)
    shown = [i for i, w in enumerate(widths) if w is not None]
    table.clear(columns=True)
    for i in shown:
        table.add_column(columns[i].label, width=widths[i])
    for n, row in enumerate(texts):
        whole = True
        for i in shown:
            width = widths[i] or 0
            if columns[i].shrink:
                row[i] = row[i].copy()  # plain_cells may hand back the caller's Text
                row[i].truncate(width, overflow="ellipsis")
            else:
                whole = whole and row[i].cell_len <= width
        table.add_row(*(row[i] for i in shown), key=keys[n] if keys else None,
                      height=1 if whole else None)
    return room


def table_room(table: DataTable[Any]) -> int:
    """The cells ``table``'s columns may take: its width less its scrollbar."""
    return (table.size.width or table.app.size.width) - table.styles.scrollbar_size_vertical


def refit(table: DataTable[Any], fitted_to: int, fill: Callable[[DataTable[Any]], None]) -> None:
    """Fill ``table`` again with ``fill`` when its room changed since it was fitted to
    ``fitted_to`` cells (the terminal was resized), the cursor kept on the same row."""
    if fitted_to == table_room(table):
        return
    row = table.cursor_row
    fill(table)
    if 0 <= row < table.row_count:
        table.move_cursor(row=row, animate=False)
