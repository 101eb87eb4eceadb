"""Each platform's text rules by name: measuring, splitting, display names.

Core's counters (``core.text``) take a network's ``PlatformRules``; the rules are
declared in each network's ``platforms/<name>/spec.py`` and looked up by name in
the registry. This module joins the two for the services, the CLI and the TUI:
the same functions as ``core.text``, taking a platform name. An unknown name
raises ``ValidationError`` naming the known ones.
"""

from __future__ import annotations

from typing import Any

from socialhub.core import text_measure, text_split
from socialhub.core.platform_rules import PlatformRules
from socialhub.core.text_measure import Measure
from socialhub.platforms.registry import display_names, platform_names, rules_for

__all__ = ["DISPLAY_NAMES", "PLATFORMS", "Measure", "PlatformRules", "character_problems",
           "measure", "measure_summary", "measured_parts", "rules_for", "split_thread"]

#: Every platform whose text socialhub can measure, in the registry's order.
PLATFORMS: tuple[str, ...] = platform_names()

#: Each platform's name as people write it.
DISPLAY_NAMES: dict[str, str] = display_names()


def measure(text: str, platform: str, *, limit: int | None = None,
            max_hashtags: int | None = None, spoiler_text: str = "") -> Measure:
    """Measure ``text`` as ``platform`` counts it (``core.text_measure.measure``).

    Raises:
        ValidationError: only for an unknown platform.
    """
    return text_measure.measure(text, rules_for(platform), limit=limit,
                                max_hashtags=max_hashtags, spoiler_text=spoiler_text)


def split_thread(text: str, platform: str, *, limit: int | None = None,
                 number: bool = False) -> list[str]:
    """Split ``text`` into parts each valid on ``platform`` (``core.text_split.split_thread``).

    Raises:
        ValidationError: unknown platform; a character the platform refuses; or a
            single unbreakable token that cannot fit in one part.
    """
    return text_split.split_thread(text, rules_for(platform), limit=limit, number=number)


def character_problems(text: str, platform: str) -> list[str]:
    """Characters of ``text`` that ``platform`` refuses whatever the length.

    Raises:
        ValidationError: only for an unknown platform.
    """
    return text_measure.character_problems(text, rules_for(platform))


def measure_summary(result: Measure) -> dict[str, Any]:
    """A measurement as plain data (``text measure --json``, the API)."""
    return {"platform": result.platform, "length": result.length, "limit": result.limit,
            "valid": result.valid, "unit": result.unit, "problems": list(result.problems),
            "details": result.details}


def measured_parts(text: str, platform: str, *, limit: int | None = None,
                   number: bool = False) -> list[dict[str, Any]]:
    """``text`` split into a thread for ``platform``, each part with its ``length``,
    ``limit`` and ``unit`` as the platform counts them.

    Raises:
        ValidationError: as :func:`split_thread`.
    """
    out = []
    for part in split_thread(text, platform, limit=limit, number=number):
        m = measure(part, platform, limit=limit)
        out.append({"text": part, "length": m.length, "limit": m.limit, "unit": m.unit})
    return out
