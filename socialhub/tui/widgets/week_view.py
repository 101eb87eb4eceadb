"""The week view: seven tall columns, one line per post or free slot."""

from __future__ import annotations

import textwrap
from datetime import date, timedelta
from typing import Any

from socialhub.services.authoring.board_labels import badge, handle_of
from socialhub.tui.widgets.month_grid import MonthGrid

#: Where a handle may break across lines: after a dot, dash or underscore, before an ``@``.
BREAK_AFTER = ".-_"


class WeekView(MonthGrid):
    """One Monday-based week; left/right change day, up/down change week."""

    def first_day(self) -> date:
        """The Monday of the selected week."""
        return self.selected - timedelta(days=self.selected.weekday())

    def weeks(self) -> int:
        """Always one row."""
        return 1

    def _row_height(self) -> int:
        return max(2, self.size.height - 1)

    def entry_lines(self, entry: dict[str, Any], width: int, text_lines: int = 2) -> list[str]:
        """Time and badge, the account's whole handle, then up to ``text_lines`` lines of
        text (or "free").

        The handle is what a person recognises; the two-letter badge alone is not
        (the legend under the title and the help spell the badges out). On a narrow
        column (80 columns: 5 cells) the badge goes under the time and the handle
        takes as many lines as it needs: only the post's text is ever cut.
        """
        if width < 5:  # not even the time fits
            return [entry["time"][:width]]
        indent = " " if width >= 10 else ""  # a narrow column needs every cell
        inner = width - len(indent)
        head = [f"{entry['time']} {badge(entry['platform'])}"]
        if len(head[0]) > width:
            head = [entry["time"], indent + badge(entry["platform"])]
        who = [indent + part for part in wrap_handle(handle_of(entry["account"]), inner)]
        if entry["kind"] == "slot":
            if len(head[-1]) + 5 <= width:
                return [*head[:-1], head[-1] + " free", *who]
            return [*head, *who, indent + "free"]
        if text_lines <= 0:
            return [*head, *who]
        body = textwrap.wrap(" ".join(entry["text"].split()), inner, max_lines=text_lines,
                             placeholder="…") or [""]
        return [*head, *who, *(indent + line[:inner] for line in body)]

    def fit_entries(self, entries: list[dict[str, Any]], width: int, room: int,
                    text_lines: int = 2) -> list[list[str]]:
        """Every entry when they fit, with fewer lines of text if need be: the posts'
        text gives way before a post is left out (then counted as ``+N more``)."""
        for lines in range(text_lines, -1, -1):
            blocks = [self.entry_lines(e, width, lines) for e in entries]
            if sum(map(len, blocks)) <= room:
                return blocks
        return super().fit_entries(entries, width, room, 0)


def wrap_handle(handle: str, width: int) -> list[str]:
    """``handle`` whole, in lines of at most ``width`` characters, broken after a dot,
    dash or underscore or before an ``@`` where one falls in the second half of a
    line, else where the line is full (``@shop.example.com`` in 10: ``@shop.``,
    ``example.com``)."""
    lines: list[str] = []
    rest = handle
    while len(rest) > width > 0:
        at = max((k for k in range(width // 2 + 1, width + 1)
                  if rest[k - 1] in BREAK_AFTER or (k < len(rest) and rest[k] == "@")),
                 default=width)
        lines.append(rest[:at])
        rest = rest[at:]
    return [*lines, rest] if rest else lines
