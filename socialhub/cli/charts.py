"""Tiny text charts for CLI tables: sparklines and bars from block characters.

Hand-rolled on purpose: Rich has bars for progress only, Textual's Sparkline is a
widget that needs an app, and no maintained sparkline package on PyPI fits (the
few there are unmaintained or pull plotting stacks). Absent values (None) show as
a space in a sparkline, never as the lowest bar.
"""

from __future__ import annotations

from collections.abc import Sequence

_TICKS = "▁▂▃▄▅▆▇█"
_EIGHTHS = " ▏▎▍▌▋▊▉█"
ABSENT = "—"


def sparkline(values: Sequence[float | None], *, from_zero: bool = True) -> str:
    """One character per value, from ▁ to █ (the largest); a space where a value is
    absent. The scale starts at 0 (``from_zero``, for counts and rates) or at the
    smallest value (for levels such as followers); all ▁ when nothing varies."""
    present = [v for v in values if v is not None]
    if not present:
        return " " * len(values)
    low, high = min(present), max(present)
    if from_zero:
        low = min(low, 0)
    span = high - low
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        else:
            out.append(_TICKS[int((v - low) / span * (len(_TICKS) - 1)) if span else 0])
    return "".join(out)


def bar(value: float | None, largest: float | None, width: int = 20) -> str:
    """A horizontal bar ``width`` characters long at ``largest`` (eighths of a
    character resolution); empty when the value is absent or nothing is positive."""
    if value is None or not largest or largest <= 0 or value <= 0:
        return ""
    eighths = round(min(value / largest, 1.0) * width * 8)
    return "█" * (eighths // 8) + (_EIGHTHS[eighths % 8] if eighths % 8 else "")


def count(value: int | float | None) -> str:
    """A count with thousands separators, or — when absent."""
    if value is None:
        return ABSENT
    return f"{value:,.0f}" if isinstance(value, float) else f"{value:,}"


def rate(value: float | None) -> str:
    """An engagement rate as a percentage with two decimals, or — when absent."""
    return ABSENT if value is None else f"{value * 100:.2f}%"
