"""The week view: seven tall columns, one line per post or free slot."""

from __future__ import annotations

import textwrap
from datetime import date, timedelta
from typing import Any

from socialhub.tui.month_grid import MonthGrid


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
        """Time and badge, then up to two lines of the text, wrapped to the column."""
        head = self.entry_label(entry, width) if entry["kind"] == "slot" else \
            self.entry_label({**entry, "text": ""}, width).rstrip()
        if entry["kind"] == "slot" or width < 4:
            return [head]
        body = textwrap.wrap(" ".join(entry["text"].split()), width, max_lines=2,
                             placeholder="…") or [""]
        return [head, *(" " + line[: width - 1] for line in body)]
