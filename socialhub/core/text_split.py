"""Split a long text into thread parts that each pass the platform's own counter.

Parts are cut only between whitespace-separated tokens, and only where a
grapheme boundary falls, so a word, URL, @mention, #hashtag or emoji sequence
is never broken. Each part is the exact slice of the original text between
its first and last token (inner line breaks kept), plus an optional " 2/5"
counter. Every part is checked with ``measure`` before it is returned.
"""

from __future__ import annotations

from collections.abc import Callable

import regex

from socialhub.core.platform_rules import PlatformRules
from socialhub.core.text_entities import GRAPHEME_RE
from socialhub.core.text_measure import character_problems, measure
from socialhub.errors import ValidationError

# A cut at a paragraph or sentence end is taken when the part keeps at least
# this share of what would fit; otherwise the part is filled up to a word end.
_MIN_FILL = 0.5
_SENTENCE_END_RE = regex.compile(r"[.!?…。！？‼⁇⁈⁉]['\"’”)\]»]*$")

_PARAGRAPH, _SENTENCE, _WORD = 2, 1, 0


def _tokens(text: str) -> list[tuple[int, int]]:
    """Code-point spans of maximal runs of non-whitespace graphemes."""
    spans: list[tuple[int, int]] = []
    start: int | None = None
    for match in GRAPHEME_RE.finditer(text):
        if match.group(0).isspace():
            if start is not None:
                spans.append((start, match.start()))
                start = None
        elif start is None:
            start = match.start()
    if start is not None:
        spans.append((start, len(text)))
    return spans


def _boundary_kinds(text: str, tokens: list[tuple[int, int]]) -> list[int]:
    """kinds[i] = how good a cut after token i is (paragraph > sentence > word)."""
    kinds = []
    for i in range(len(tokens) - 1):
        gap = text[tokens[i][1]:tokens[i + 1][0]].replace("\r\n", "\n").replace("\r", "\n")
        breaks = gap.count("\n") + gap.count("\u2028")
        if breaks >= 2 or "\u2029" in gap:
            kinds.append(_PARAGRAPH)
        elif breaks == 1 or _SENTENCE_END_RE.search(text[tokens[i][0]:tokens[i][1]]):
            kinds.append(_SENTENCE)
        else:
            kinds.append(_WORD)
    kinds.append(_PARAGRAPH)  # the end of the text
    return kinds


def split_thread(
    text: str, rules: PlatformRules, *, limit: int | None = None, number: bool = False
) -> list[str]:
    """Split ``text`` into parts that are each valid on the network of ``rules``.

    Cuts prefer a paragraph break, then a sentence end, then any word
    boundary, and never fall inside a word, URL, @mention, #hashtag or
    grapheme. Text that fits is returned as one part; blank text gives ``[]``.

    Args:
        text: The text to split.
        rules: The network's rules (``platforms.registry.rules_for(name)``).
        limit: Overrides the platform's default limit.
        number: Append " 1/3"-style counters; parts still fit with them.

    Returns:
        The parts, in order.

    Raises:
        ValidationError: a character the platform refuses, or a single
            unbreakable token that cannot fit in one part.
    """
    refused = character_problems(text, rules)
    if refused:
        raise ValidationError(
            f"cannot split for {rules.display_name}: text {'; '.join(refused)}"
        )
    tokens = _tokens(text)
    if not tokens:
        return []
    kinds = _boundary_kinds(text, tokens)

    def fits(candidate: str) -> bool:
        return measure(candidate, rules, limit=limit).valid

    if not number:
        return _pack(text, tokens, kinds, fits, lambda _i: "", rules, limit)
    total = len(_pack(text, tokens, kinds, fits, lambda _i: "", rules, limit))
    while True:
        parts = _pack(text, tokens, kinds, fits, _counter(total), rules, limit)
        if len(parts) <= total:
            break
        # Longer counters took room: more parts. The count only grows and is
        # bounded by the number of tokens, so this loop ends.
        total = len(parts)
    count = len(parts)
    # When fewer parts came out than the counter assumed, relabel: the real
    # counter is never longer, so every part still fits.
    suffix = _counter(total)
    return [part[: len(part) - len(suffix(i))] + _counter(count)(i) for i, part in enumerate(parts)]


def _counter(total: int) -> Callable[[int], str]:
    return lambda i: f" {i + 1}/{total}"


def _pack(
    text: str,
    tokens: list[tuple[int, int]],
    kinds: list[int],
    fits: Callable[[str], bool],
    suffix: Callable[[int], str],
    rules: PlatformRules,
    limit: int | None,
) -> list[str]:
    parts: list[str] = []
    n = len(tokens)
    start, hint = 0, 1
    while start < n:
        tail = suffix(len(parts))

        def candidate(end: int, start: int = start, tail: str = tail) -> str:
            return text[tokens[start][0]:tokens[end - 1][1]] + tail

        longest = _longest_fit(start, n, lambda e: fits(candidate(e)), hint)
        if longest == start:
            _refuse(text[tokens[start][0]:tokens[start][1]], tail, rules, limit)
        end = _preferred_cut(text, tokens, kinds, start, longest, lambda e: fits(candidate(e)))
        parts.append(candidate(end))
        hint = longest - start
        start = end
    return parts


def _longest_fit(start: int, n: int, fits: Callable[[int], bool], hint: int) -> int:
    """Largest ``end`` in (start, n] whose candidate fits, or ``start`` if none does.

    Galloping from the previous part's size (``hint`` tokens), then bisection:
    a few measurements per part, each on a candidate about the part's size.
    """
    good, step, bad = start, 1, n + 1
    guess = min(start + max(hint, 1), n)
    if fits(guess):
        good = guess
    else:
        bad = guess
    while good < n and bad == n + 1:
        probe = min(good + step, n)
        if fits(probe):
            good = probe
            step *= 2
        else:
            bad = probe
    while bad - good > 1:
        mid = (good + bad) // 2
        if fits(mid):
            good = mid
        else:
            bad = mid
    return good


def _preferred_cut(
    text: str,
    tokens: list[tuple[int, int]],
    kinds: list[int],
    start: int,
    end: int,
    fits: Callable[[int], bool],
) -> int:
    if kinds[end - 1] == _PARAGRAPH or end == len(tokens):
        return end
    full = tokens[end - 1][1] - tokens[start][0]
    for wanted in (_PARAGRAPH, _SENTENCE):
        for cut in range(end - 1, start, -1):
            if tokens[cut - 1][1] - tokens[start][0] < _MIN_FILL * full:
                break
            if kinds[cut - 1] >= wanted:
                if fits(cut):
                    return cut
                break
    return end


def _refuse(token: str, tail: str, rules: PlatformRules, limit: int | None) -> None:
    name = rules.display_name
    preview = token if len(token) <= 40 else token[:37] + "…"
    alone = measure(token, rules, limit=limit)
    if alone.valid:
        raise ValidationError(
            f"cannot split for {name}: {preview!r} does not fit in one part with the "
            f"counter {tail.strip()!r}; split without --number or shorten it"
        )
    raise ValidationError(
        f"cannot split for {name}: {preview!r} is one unbreakable token of "
        f"{'; '.join(alone.problems)}"
    )
