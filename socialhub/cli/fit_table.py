"""Tables of numbers that fit the terminal without cutting a number.

Rich fits a wide table into a narrow terminal by shrinking every column, numbers
included: on 80 columns ``923,746`` became ``923…``. Here each column says how it may
give way: a number never shrinks; a text column (a post's text, an account) may be cut
down to a minimum; an optional column (a bar, a rarely given metric) may be left out,
the highest ``drop`` rank first, and the caption names what was left out. Rich has no
column priorities, so this is the small layer on top of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from rich.table import Table

Justify = Literal["left", "right", "center"]
#: Cells a column costs besides its content: one padding space each side, one border.
COLUMN_OVERHEAD = 3


@dataclass(frozen=True)
class Column:
    """One column: its header, alignment and how it gives way on a narrow terminal.

    ``drop`` 0 keeps it always; a higher rank is left out earlier. ``shrink`` is the
    fewest cells a text column may be cut to (0: never cut), ``widest`` the most it
    takes even on a wide terminal (0: no bound); ``called`` names it where the caption
    says it was left out (default: its header)."""

    header: str
    justify: Justify = "right"
    drop: int = 0
    shrink: int = 0
    widest: int = 0
    called: str = ""


def fitted_table(title: str, caption: str | None, columns: Sequence[Column],
                 rows: Sequence[Sequence[str]], width: int) -> Table:
    """A table of ``rows`` (one string per column) at most ``width`` cells wide when it
    can be: text columns cut to their ``shrink`` first, then optional columns left out
    (named in the caption, with ``--json``/``--csv`` for everything). Numbers are never
    cut; a table too wide even so is printed as Rich wraps it."""
    from rich.cells import cell_len
    from rich.table import Table

    natural = [max([cell_len(c.header), *(cell_len(r[i]) for r in rows)])
               for i, c in enumerate(columns)]
    natural = [min(n, c.widest) if c.widest else n for n, c in zip(natural, columns,
                                                                    strict=True)]
    widths = list(natural)
    shown = list(range(len(columns)))

    def total() -> int:
        return sum(widths[i] + COLUMN_OVERHEAD for i in shown) + 1

    for i in shown:  # text first: cut each shrinkable column as far as it must
        if columns[i].shrink and total() > width:
            widths[i] = max(columns[i].shrink, widths[i] - (total() - width))
    left_out: list[str] = []
    for i in sorted((i for i in shown if columns[i].drop),
                    key=lambda i: (-columns[i].drop, -i)):
        if total() <= width:
            break
        shown.remove(i)
        left_out.append(columns[i].called or columns[i].header)
    for i in shown:  # give cut text back the room that leaving columns out made
        if columns[i].shrink and widths[i] < natural[i] and total() < width:
            widths[i] = min(natural[i], widths[i] + (width - total()))
    if left_out:
        note = (f"not shown at this width: {', '.join(left_out)} "
                "(a wider terminal, --json or --csv shows them)")
        caption = f"{caption}\n{note}" if caption else note
    table = Table(title=title, caption=caption)
    for i in shown:
        column = columns[i]
        if column.shrink:
            table.add_column(column.header, justify=column.justify, max_width=widths[i],
                             overflow="ellipsis", no_wrap=True)
        else:
            table.add_column(column.header, justify=column.justify, no_wrap=True,
                             min_width=natural[i])
    for row in rows:
        table.add_row(*(row[i] for i in shown))
    return table
