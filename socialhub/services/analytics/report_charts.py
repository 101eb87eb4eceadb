"""The report's charts as SVG: a trend line, bars per network and the best-time heatmap.

Drawn with matplotlib's SVG backend (through ``Figure``, not ``pyplot``: no global
state, safe in the daemon's threads). Its SVG is plain inline-styled paths, text
included, so the HTML embeds it as is and fpdf2 draws the very same vectors into
the PDF. Output is deterministic (fixed hash salt, no date) so reports diff cleanly.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from socialhub.db.queries.analytics import INTERACTIONS
from socialhub.services.authoring.slots import WEEKDAYS

_WIDTH_IN = 7.0
_ACCENT = "#3b6ea8"


def _svg(fig: Any) -> str:
    import matplotlib

    matplotlib.rcParams["svg.hashsalt"] = "socialhub"
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buf.getvalue()
    # Drop the XML prolog and doctype: the SVG is inlined into HTML.
    return text[text.index("<svg"):]


def _figure(height_in: float) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(_WIDTH_IN, height_in), dpi=100)
    fig.patch.set_facecolor("white")
    return fig


def trend_svg(daily: Sequence[dict[str, Any]]) -> str:
    """Interactions per day (likes + replies + reposts + quotes + saves + clicks, absent
    counts adding nothing) and posts per day, oldest first; a gap where a day has no
    measured post."""
    fig = _figure(2.6)
    ax = fig.add_subplot()
    days = [row["period"][5:] for row in daily]
    values = [_interactions(row) for row in daily]
    xs = list(range(len(days)))
    ax.plot(xs, [float("nan") if v is None else v for v in values], color=_ACCENT,
            marker="o", markersize=3, linewidth=1.6, label="interactions")
    ax.set_ylabel("interactions")
    posts = ax.twinx()
    posts.bar(xs, [row["posts"] for row in daily], color="#c7d4e5", alpha=0.6, width=0.6)
    posts.set_ylabel("posts")
    ax.set_zorder(posts.get_zorder() + 1)
    ax.patch.set_visible(False)
    step = max(1, len(days) // 10)
    ax.set_xticks(xs[::step], days[::step], fontsize=8)
    ax.set_title("Interactions and posts per day", fontsize=10)
    ax.grid(axis="y", color="#e0e0e0")
    return _svg(fig)


def platform_svg(by_platform: Sequence[dict[str, Any]]) -> str:
    """Interactions per network as horizontal bars, largest on top."""
    rows = sorted(by_platform, key=lambda r: _interactions(r) or 0)
    fig = _figure(0.5 + 0.45 * max(len(rows), 1))
    ax = fig.add_subplot()
    names = [r["key"] for r in rows]
    values = [_interactions(r) or 0 for r in rows]
    bars = ax.barh(names, values, color=_ACCENT, height=0.5)
    ax.bar_label(bars, labels=[f"{v:,}" for v in values], padding=3, fontsize=8)
    ax.set_title("Interactions per network", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_xlim(0, max([*values, 1]) * 1.15)
    return _svg(fig)


def heatmap_svg(cells: Sequence[dict[str, Any]], zone: str) -> str:
    """Mean interactions per weekday × hour (in ``zone``); blank where nothing was
    posted or measured."""
    # Vector cells (pcolormesh), not imshow: an SVG <image> would not embed in the PDF.
    import numpy as np

    grid = np.full((7, 24), np.nan)
    for cell in cells:
        if cell["mean_interactions"] is not None:
            grid[cell["weekday"], cell["hour"]] = cell["mean_interactions"]
    fig = _figure(2.6)
    ax = fig.add_subplot()
    ax.pcolormesh(np.ma.masked_invalid(grid), cmap="Blues", edgecolors="white",
                  linewidth=0.5)
    ax.invert_yaxis()
    ax.set_yticks([d + 0.5 for d in range(7)], [d.capitalize() for d in WEEKDAYS], fontsize=8)
    ax.set_xticks([h + 0.5 for h in range(0, 24, 2)], [f"{h:02d}" for h in range(0, 24, 2)],
                  fontsize=8)
    ax.set_title(f"Mean interactions by weekday and hour ({zone}); darker is more",
                 fontsize=10)
    return _svg(fig)


def _interactions(row: dict[str, Any]) -> int | None:
    present = [row[m] for m in INTERACTIONS if row.get(m) is not None]
    return sum(present) if present else None
