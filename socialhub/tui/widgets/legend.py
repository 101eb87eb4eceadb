"""The line under the calendar's title: what each badge on screen stands for.

``bs @shop.example.com · ma @me@social.example`` was one line cut at the right edge:
at 80 columns a third account's handle was cut, or not shown at all. The pairs now
wrap between pairs (never between a badge and its handle) onto up to three lines;
what does not fit even so is counted (``+2 more``), never cut silently.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.widgets import Static

#: The most lines the legend takes (the rest of the height is the calendar's).
MAX_LINES = 3
SEPARATOR = " · "


def pack_pairs(pairs: list[str], width: int, max_lines: int = MAX_LINES) -> list[str]:
    """``pairs`` joined by `` · `` into lines of at most ``width`` cells (a pair longer
    than that alone on its line), at most ``max_lines`` of them, the last ending in
    ``+N more`` when pairs were left out."""
    lines: list[str] = []
    for n, pair in enumerate(pairs):
        joined = f"{lines[-1]}{SEPARATOR}{pair}" if lines else pair
        if lines and cell_len(joined) <= width:
            lines[-1] = joined
        elif len(lines) < max_lines:
            lines.append(pair)
        else:
            left, last = len(pairs) - n, lines[-1]
            while last and cell_len(f"{last}{SEPARATOR}+{left} more") > width:
                last = last.rpartition(SEPARATOR)[0]  # one pair fewer: room for the count
                left += 1
            lines[-1] = f"{last}{SEPARATOR}+{left} more" if last else f"+{left} more"
            break
    return lines


class Legend(Static):
    """The badge legend, packed again to the widget's width when that changes."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.pairs: list[str] = []
        self.empty = ""
        self._shown = ""

    def show(self, text: str, empty: str) -> None:
        """Show ``text`` (pairs joined by `` · ``, as ``board_labels.legend`` gives), or
        ``empty`` when it is empty."""
        self.pairs = text.split(SEPARATOR) if text else []
        self.empty = empty
        self._pack()

    def on_resize(self) -> None:
        self._pack()

    def _pack(self) -> None:
        width = self.content_region.width or self.app.size.width
        shown = "\n".join(pack_pairs(self.pairs, width)) if self.pairs else self.empty
        if shown != self._shown:  # the same text: no relayout (a resize would follow it)
            self._shown = shown
            self.update(shown)
