"""How report, digest and alert text shows a figure: counts with separators, rates as
percentages, and "—" for a figure a network does not give (never 0)."""

from __future__ import annotations

ABSENT = "—"


def count(value: int | float | None) -> str:
    """A count with thousands separators, or — when absent."""
    if value is None:
        return ABSENT
    return f"{value:,.0f}" if isinstance(value, float) else f"{value:,}"


def rate(value: float | None) -> str:
    """An engagement rate as a percentage with two decimals, or — when absent."""
    return ABSENT if value is None else f"{value * 100:.2f}%"


def preview(text: str | None, width: int = 60) -> str:
    """A post's text on one line, cut to ``width`` characters with … when longer."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[:width - 1] + "…"
