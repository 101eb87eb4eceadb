"""What a model call costs, from its token counts (list prices, US dollars per million tokens).

Prices change; the table is matched by model-name prefix so dated model ids
(``claude-sonnet-4-5-20250929``) find their family. Unknown models are priced
like the most expensive known family, so a budget never under-counts.
"""

from __future__ import annotations

# (prefix, input $/MTok, output $/MTok). Longest prefix wins.
PRICES: tuple[tuple[str, float, float], ...] = (
    ("claude-opus-4-5", 5.0, 25.0),
    ("claude-opus-4-1", 15.0, 75.0),
    ("claude-opus-4", 15.0, 75.0),
    ("claude-sonnet-4-6", 3.0, 15.0),
    ("claude-sonnet-4-5", 3.0, 15.0),
    ("claude-sonnet-4", 3.0, 15.0),
    ("claude-3-7-sonnet", 3.0, 15.0),
    ("claude-3-5-sonnet", 3.0, 15.0),
    ("claude-haiku-4-5", 1.0, 5.0),
    ("claude-3-5-haiku", 0.8, 4.0),
    ("claude-3-haiku", 0.25, 1.25),
    ("offline", 0.0, 0.0),
)
_FALLBACK = (15.0, 75.0)


def price_per_mtok(model: str) -> tuple[float, float]:
    """(input, output) US dollars per million tokens for ``model``."""
    best: tuple[str, float, float] | None = None
    for prefix, inp, out in PRICES:
        if model.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, inp, out)
    return (best[1], best[2]) if best else _FALLBACK


def cost_usd(model: str, input_tokens: int, output_tokens: int) -> float:
    """The cost of one call in US dollars, rounded to a millionth."""
    inp, out = price_per_mtok(model)
    return round((input_tokens * inp + output_tokens * out) / 1_000_000, 6)
