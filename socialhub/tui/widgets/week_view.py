"""The week view: seven tall columns, one line per post or free slot."""

from __future__ import annotations

import textwrap
from datetime import date, timedelta
from typing import Any

from socialhub.services.authoring.board_labels import badge, fit, handle_of
from socialhub.tui.widgets.month_grid import MonthGrid


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

    def entry_lines(self, entry: dict[str, Any], width: int) -> list[str]:
        """Time and badge, the account's handle, then up to two lines of text (or "free").

        The handle is what a person recognises; the two-letter badge alone is not
        (the legend under the title and the help spell the badges out).
        """
        head = f"{entry['time']} {badge(entry['platform'])}"
        who = " " + fit(handle_of(entry["account"]), width - 1)
        if width < 4:
            return [head[:width]]
        if entry["kind"] == "slot":
            if width >= len(head) + 5:
                return [head + " free", who]
            return [head[:width], who, " free"]
        body = textwrap.wrap(" ".join(entry["text"].split()), width, max_lines=2,
                             placeholder="…") or [""]
        return [head[:width], who, *(" " + line[: width - 1] for line in body)]
