"""Make a text valid for a platform without a model: split into a thread, or trim.

Every check goes through ``core.text.measure`` — the platform's own counter —
so a fitted text is valid by the same rule that validates stored variants. The
platform's ``PlatformRules`` come from the caller (ai does not import
``platforms/``; services look them up by name).
"""

from __future__ import annotations

import re

from socialhub.ai import text_features as tf
from socialhub.core.text import PlatformRules, measure, split_thread

_TAG_TAIL_RE = re.compile(r"(?:\s*#\w+)+\s*$")
_COUNTER_RE = re.compile(r"\s+\d+/\d+$")
ELLIPSIS = "…"


def fits(text: str, rules: PlatformRules, limit: int | None = None) -> bool:
    """Whether ``text`` is valid as one post on the platform of ``rules``."""
    return measure(text, rules, limit=limit).valid


def drop_trailing_hashtags(text: str) -> str:
    """``text`` without the run of hashtags at its end."""
    return _TAG_TAIL_RE.sub("", text).rstrip()


def join_thread(parts: list[str]) -> str:
    """One text from thread parts, without the " 2/5" counters splitting added."""
    if len(parts) < 2:
        return "".join(parts)
    return " ".join(_COUNTER_RE.sub("", p.strip()) for p in parts)


def trim_to_fit(text: str, rules: PlatformRules, limit: int | None = None) -> str:
    """Shorten ``text`` until it fits: drop trailing hashtags, then whole sentences from the end,
    and only when one sentence alone is too long, cut at a word and add an ellipsis.

    Returns the text unchanged when it already fits.
    """
    if fits(text, rules, limit):
        return text
    bare = drop_trailing_hashtags(text)
    if bare and fits(bare, rules, limit):
        tags = text[len(bare):].split()
        # Keep as many of the trailing hashtags as still fit.
        while tags and not fits(bare + " " + " ".join(tags), rules, limit):
            tags.pop()
        return bare + (" " + " ".join(tags) if tags else "")
    sents = tf.sentences(bare) or [bare]
    while len(sents) > 1:
        sents.pop()
        candidate = " ".join(sents)
        if fits(candidate, rules, limit):
            return candidate
    words = sents[0].split()
    while words:
        candidate = " ".join(words).rstrip(",;:—-") + ELLIPSIS
        if fits(candidate, rules, limit):
            return candidate
        words.pop()
    return ELLIPSIS


def fit_text(text: str, rules: PlatformRules, *, limit: int | None = None,
             allow_thread: bool = True) -> tuple[str, list[str], str | None]:
    """Return ``(text, thread, how)`` valid on the platform of ``rules``.

    ``how`` is None when nothing changed, ``"split"`` when the text became a
    thread (platforms with threads), ``"trimmed"`` when it was cut at a
    sentence boundary. The thread is empty unless split into 2+ parts.
    """
    text = text.strip()
    if fits(text, rules, limit):
        return text, [], None
    m = measure(text, rules, limit=limit)
    if m.length > m.limit and allow_thread and rules.supports_threads:
        try:
            parts = split_thread(text, rules, limit=limit, number=True)
        except Exception:  # an unbreakable token: trimming still works
            parts = []
        if len(parts) > 1 and all(fits(p, rules, limit) for p in parts):
            return parts[0], parts, "split"
    return trim_to_fit(text, rules, limit), [], "trimmed"
