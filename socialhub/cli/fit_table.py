"""Tables that fit the terminal without cutting a number, a name or a handle.

Rich fits a wide table into a narrow terminal by shrinking every column, numbers
included: on 80 columns ``923,746`` became ``923…`` and ``bluesky:@shop.example.com``
became ``bluesky:@…``, useless for the next command. Here each column says how it may
give way: a number, a name, a handle or a time never shrinks; a text column (a post's
text, an error) may be cut down to a minimum, or wrapped onto more lines; a list (of
handles, of words) may wrap between its words, never inside one; an optional column
(a bar, a rarely needed field) may be left out, the highest ``drop`` rank first, and
the caption names what was left out. Only when all that is not enough do the widest
columns fold onto more lines: still whole, never ``…``. Rich has no column priorities,
so this is the small layer on top of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

Justify = Literal["left", "right", "center"]
#: Cells a column costs besides its content: one padding space each side, one border.
COLUMN_OVERHEAD = 3
#: The narrowest a column is folded to as the last resort (a wide character takes two).
FOLD_FLOOR = 2


@dataclass(frozen=True)
class Column:
    """One column: its header, alignment and how it gives way on a narrow terminal.

    ``drop`` 0 keeps it always; a higher rank is left out earlier. ``shrink`` is the
    fewest cells a text column may be cut to (0: never cut), ``widest`` the most it
    takes even on a wide terminal (0: no bound); ``wrap`` lets the column take more
    lines instead: a text column wraps rather than ending in ``…``, any other column
    wraps between its words (a list of handles, a date and a time) when text alone
    does not make room, never inside a word. ``called`` names it where the caption
    says it was left out (default: its header)."""

    header: str
    justify: Justify = "right"
    drop: int = 0
    shrink: int = 0
    widest: int = 0
    called: str = ""
    wrap: bool = False


def fitted_table(title: str | None, caption: str | None, columns: Sequence[Column],
                 rows: Sequence[Sequence[str | Text]], width: int, *,
                 shows_all: Sequence[str] = ("--json", "--csv")) -> Table:
    """A table of ``rows`` (one cell per column) at most ``width`` cells wide when it
    can be. In turn, what loses nothing first: ``wrap`` text columns wrap down to
    their ``shrink``, other ``wrap`` columns wrap between their words, text columns
    are cut to their ``shrink``, optional columns are left out (named in the caption
    with ``shows_all``, the options that show everything), and the room that made is
    given back. Only a table too wide even so has its widest columns folded onto more
    lines; no cell but cut text ever ends in ``…``.

    A string cell is shown as it is (never read as Rich markup or ``:emoji:`` codes),
    its control characters as the symbols the console prints for them (measured as
    such, so the table still fits); a ``rich.text.Text`` cell keeps its style."""
    from rich.table import Table
    from rich.text import Text

    from socialhub.services.terminal_text import printable

    cells = [[c if isinstance(c, Text) else Text(printable(c)) for c in row] for row in rows]
    natural = [max([_cells(Text(c.header)), *(_cells(r[i]) for r in cells)])
               for i, c in enumerate(columns)]
    natural = [min(n, c.widest) if c.widest else n for n, c in zip(natural, columns,
                                                                    strict=True)]
    widths = list(natural)
    shown = list(range(len(columns)))

    def total() -> int:
        return sum(widths[i] + COLUMN_OVERHEAD for i in shown) + 1

    def narrow(i: int, least: int) -> None:
        if total() > width:
            widths[i] = max(min(least, widths[i]), widths[i] - (total() - width))

    # What loses nothing gives way first: text that wraps, then lists and the like
    # wrapping between their words (the one with most to spare first); then text is
    # cut, each column as far as it must.
    for i in shown:
        if columns[i].shrink and columns[i].wrap:
            narrow(i, columns[i].shrink)
    words = {i: max([_longest_word(Text(columns[i].header)),
                     *(_longest_word(r[i]) for r in cells)])
             for i in shown if columns[i].wrap and not columns[i].shrink}
    for i in sorted(words, key=lambda i: words[i] - widths[i]):
        narrow(i, words[i])
    for i in shown:
        if columns[i].shrink and not columns[i].wrap:
            narrow(i, columns[i].shrink)
    left_out: list[str] = []
    for i in sorted((i for i in shown if columns[i].drop),
                    key=lambda i: (-columns[i].drop, -i)):
        if total() <= width:
            break
        shown.remove(i)
        left_out.append(columns[i].called or columns[i].header)
    # Give back the room that leaving columns out made: to cut text first, then to
    # wrapped lists, then to wrapped text.
    for i in sorted(shown, key=lambda i: (columns[i].wrap, bool(columns[i].shrink))):
        if widths[i] < natural[i] and total() < width:
            widths[i] = min(natural[i], widths[i] + (width - total()))
    folded = _fold_widest(widths, shown, width - total())
    if left_out:
        switches = ["a wider terminal", *shows_all]
        note = (f"not shown at this width: {', '.join(left_out)} "
                f"({' or '.join([', '.join(switches[:-1]), switches[-1]])} shows them)")
        caption = f"{caption}\n{note}" if caption else note
    table = Table(title=title, caption=caption)
    for i in shown:
        column = columns[i]
        cut = bool(column.shrink) and not column.wrap and i not in folded
        table.add_column(column.header, justify=column.justify, width=widths[i],
                         no_wrap=cut or widths[i] >= natural[i],
                         overflow="ellipsis" if cut else "fold")
    for row in cells:
        table.add_row(*(row[i] for i in shown))
    return table


def _fold_widest(widths: list[int], shown: Sequence[int], room: int) -> set[int]:
    """The last resort when even the cut, wrapped and shortened table is too wide by
    ``-room`` cells: narrow the widest columns one cell at a time (their text folds
    onto more lines); return which were narrowed."""
    folded: set[int] = set()
    while room < 0:
        i = max(shown, key=lambda i: (widths[i], i))
        if widths[i] <= FOLD_FLOOR:
            break
        widths[i] -= 1
        room += 1
        folded.add(i)
    return folded


def _cells(text: Text) -> int:
    """The cells the widest line of ``text`` takes."""
    from rich.cells import cell_len

    return max((cell_len(line) for line in text.plain.split("\n")), default=0)


def _longest_word(text: Text) -> int:
    """The cells the longest word of ``text`` takes (where wrapping may not break)."""
    from rich.cells import cell_len

    return max((cell_len(word) for word in text.plain.split()), default=0)


def print_list(columns: Sequence[Column], rows: Sequence[Sequence[str | Text]]) -> None:
    """Print a list command's rows on stdout as a table fitted to the terminal, naming
    what it leaves out (``--json`` shows everything)."""
    from socialhub.cli.common import out

    console = out()
    console.print(fitted_table(None, None, columns, rows, console.width,
                               shows_all=("--json",)))
