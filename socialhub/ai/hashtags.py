"""Hashtags from keywords: pure and deterministic, sized to each platform's custom.

The count follows what each network rewards (one topic tag on Threads, two on X,
many on Instagram), never above the platform's hard cap: both come with the
platform's ``PlatformRules``, which the caller passes (declared in each network's
``platforms/<name>/spec.py``).
"""

from __future__ import annotations

import re
from collections import Counter

from socialhub.ai import text_features as tf
from socialhub.core.platform_rules import PlatformRules

# Calendar words and plain adjectives make poor hashtags, however prominent in the text.
_NOT_TAGS = frozenset(tf.wordlist(
    "monday tuesday wednesday thursday friday saturday sunday today tomorrow tonight week "
    "weekend month year january february march april may june july august september october "
    "november december morning evening small big little large tiny huge great good best better "
    "first last next every each many much more most other same own whole"))
_CAMEL_SPLIT_RE = re.compile(r"[^0-9A-Za-zÀ-ÖØ-öø-ÿ]+")


def recommended_count(rules: PlatformRules) -> int:
    """How many hashtags a post on the platform of ``rules`` should carry at most (by custom)."""
    count = rules.hashtag_budget  # each network's custom, declared with its text rules
    return min(count, rules.max_hashtags) if rules.max_hashtags is not None else count


def to_hashtag(phrase: str) -> str:
    """``"open source tools"`` → ``#OpenSourceTools`` (letters and digits only)."""
    parts = [p for p in _CAMEL_SPLIT_RE.split(phrase) if p]
    if not parts:
        return ""
    if len(parts) == 1:
        word = parts[0]
        return "#" + (word if any(c.isupper() for c in word[1:]) else word[:1].upper() + word[1:])
    return "#" + "".join(p[:1].upper() + p[1:] for p in parts)


def keywords(text: str, limit: int = 10) -> list[str]:
    """Content words and two-word names of ``text``, most telling first.

    Capitalised words (names, products) weigh more; ties keep text order.
    """
    scores: Counter[str] = Counter()
    first_seen: dict[str, int] = {}
    pos = 0
    for sentence in tf.sentences(tf.strip_entities(text)):
        # Two-word names only pair up inside a clause, never across punctuation.
        for clause in re.split(r"[,;:()\[\]—–]", sentence):
            ws = tf.words(clause)
            for i, w in enumerate(ws):
                pos += 1
                low = w.lower().strip("'’-")
                if low in tf.STOPWORDS or low in _NOT_TAGS or len(low) < 3 \
                        or low.endswith(("'s", "’s")):
                    continue
                capital = w[:1].isupper() and (i > 0 or not sentence.startswith(w))
                scores[low] += 2 if capital else 1
                first_seen.setdefault(low, pos)
                if i + 1 < len(ws) and w[:1].isupper() and ws[i + 1][:1].isupper() \
                        and ws[i + 1].lower() not in tf.STOPWORDS:
                    pair = f"{low} {ws[i + 1].lower()}"
                    scores[pair] += 3
                    first_seen.setdefault(pair, pos)
    # A word's length tells a little about how specific it is.
    ranked = sorted(scores, key=lambda k: (-(scores[k] + min(len(k), 12) / 12), first_seen[k]))
    out: list[str] = []
    for k in ranked:
        if any(k in longer.split() for longer in out if " " in longer):
            continue
        out.append(k)
        if len(out) == limit:
            break
    return out


def suggest_hashtags(text: str, rules: PlatformRules, *, count: int | None = None,
                     favourites: list[str] | None = None) -> list[str]:
    """Suggest hashtags for ``text`` on the platform of ``rules``.

    Args:
        text: The post or idea.
        rules: The platform's text rules (its hashtag custom and cap).
        count: How many at most (default: the platform's recommended count).
        favourites: Hashtags the voice uses often; those matching the text's
            keywords come first.

    Returns:
        Distinct hashtags (with ``#``), none already present in ``text``.
    """
    n = recommended_count(rules) if count is None else count
    cap = rules.max_hashtags
    if cap is not None:
        n = min(n, cap)
    if n <= 0:
        return []
    present = {t.lower() for t in tf.hashtags(text)}
    kws = keywords(text, limit=max(10, n * 2))
    out: list[str] = []
    for fav in favourites or []:
        bare = fav.lstrip("#").lower()
        if any(bare == k.replace(" ", "") for k in kws):
            out.append(fav if fav.startswith("#") else "#" + fav)
    for k in kws:
        tag = to_hashtag(k)
        if tag and tag.lower() not in {o.lower() for o in out}:
            out.append(tag)
    return [t for t in out if t.lower() not in present][:n]
