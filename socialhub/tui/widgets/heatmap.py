"""The best-time heatmap: weekday rows × hour columns, shaded by mean interactions.

Text shades (· ░ ▒ ▓ █), not a plot: plotext's matrix plot puts its row labels
between rows and reads lighter-is-more on dark themes, and a grid of characters
reads the same in every theme and in a snapshot. Two columns per hour when the widget
is wide enough (54 cells and more), one otherwise.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: No posts at that hour, then four steps of the largest mean.
SHADES = ("·", "░", "▒", "▓", "█")


def shade(value: float | None, largest: float) -> str:
    """The character for ``value`` on a scale up to ``largest``: · when absent or 0."""
    if not value or largest <= 0:
        return SHADES[0]
    return SHADES[min(4, 1 + int(value / largest * 3.999))]


class Heatmap(Static):
    """Mean interactions per weekday and hour (from ``best_times`` cells)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.cells: list[dict[str, Any]] = []
        self.zone = ""

    def show(self, cells: list[dict[str, Any]], zone: str) -> None:
        """Draw ``cells`` (168, Monday 00:00 first) read in ``zone``."""
        self.cells, self.zone = cells, zone
        self.update(self.grid(self.size.width))

    def on_resize(self) -> None:
        if self.cells:
            self.update(self.grid(self.size.width))

    def grid(self, width: int) -> Text:
        """The heatmap as text for a widget ``width`` cells wide."""
        wide = width >= 4 + 48 + 2
        cell_w = 2 if wide else 1
        largest = max((c["mean_interactions"] or 0 for c in self.cells), default=0)
        text = Text()
        text.append(f"Best times ({self.zone}), mean interactions\n", style="bold")
        hours = "".join(f"{h:02d}".ljust(cell_w * 6) for h in range(0, 24, 6))
        # A label, not spaces, before the hours: Textual trims a line's leading blanks.
        text.append("hr  " + hours.rstrip() + "\n", style="dim")
        by_slot = {(c["weekday"], c["hour"]): c for c in self.cells}
        for weekday, day in enumerate(DAYS):
            text.append(f"{day} ")
            for hour in range(24):
                cell = by_slot.get((weekday, hour))
                mark = shade(cell["mean_interactions"] if cell else None, largest)
                text.append(mark * cell_w, style="dim" if mark == SHADES[0] else "bold")
            text.append("\n")
        text.append("key · none  ░ ▒ ▓ █ more", style="dim")
        return text
