"""``measure``: the length of a text as a platform counts it, and whether it may be posted.

Each network's rules (limit, unit, caps) are a ``PlatformRules`` value declared in
its own ``platforms/<name>/spec.py``; the functions here take that value (the
registry in ``platforms/registry.py`` looks it up by name). What lives here is
the algorithms the values name: the counters (``unit`` / ``counter``) and the
refused-character checks (``refuses``). The limits and counting rules come from
``PLATFORMS.md`` (public docs, official specs and SDK sources);
``docs/text-rules.md`` lists them with their sources. ``measure`` is total: any
string gives a ``Measure``, never an exception.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import regex

from socialhub.core.platform_rules import PlatformRules
from socialhub.core.text_entities import (
    count_links,
    count_unique_links,
    encodable,
    find_hashtags,
    find_urls,
    grapheme_count,
    graphemes,
    is_emoji_grapheme,
    lone_surrogates,
    utf8_len,
    utf16_len,
)

# Limits of secondary fields, for callers that validate them with ``limit=``.
REDDIT_TITLE_LIMIT = 300
PINTEREST_TITLE_LIMIT = 100
YOUTUBE_TITLE_LIMIT = 100

# Characters twitter-text's invalidCharsGroup rejects outright.
X_INVALID_CHARS = ("\ufffe", "\ufeff", "\uffff")


@functools.cache
def _x_counter() -> tuple[Any, dict[str, Any]]:
    # Imported on first use: twitter-text takes over a second to import, and the
    # daemon and CLI start-up should not pay for it unless X text is measured.
    from twitter_text import parse_tweet
    from twitter_text.config import config

    # twitter-text config v3 (the default): NFC, weight ranges, URL = 23, emoji = 2.
    return parse_tweet, dict(config["version3"])

_MASTODON_URL_CHARS = 23
# Account::MENTION_RE (Mastodon 4.x): the local part before an optional @domain.
_MASTODON_MENTION_RE = regex.compile(
    r"(?<![=/\w])@(([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_])?)(?:@[\w.-]+\w+)?)",
    regex.IGNORECASE,
)


_UNIT_WORDS: dict[str, str] = {
    "weighted": "weighted characters",
    "graphemes": "graphemes",
    "graphemes+bytes": "graphemes",
    "utf16": "UTF-16 code units",
    "utf8-emoji": "characters (emoji as UTF-8 bytes)",
    "chars": "characters",
    "bytes": "bytes",
}


@dataclass(frozen=True)
class Measure:
    """The result of measuring one text for one platform."""

    platform: str
    length: int
    limit: int
    valid: bool
    unit: str
    problems: tuple[str, ...] = ()
    details: dict[str, int] = field(default_factory=dict)


def x_weighted_length(text: str) -> int:
    """X's weighted length (twitter-text config v3): NFC, weights 1/2, URL = 23, emoji = 2."""
    parse_tweet, options = _x_counter()
    return int(parse_tweet(encodable(text), options).weightedLength)


def mastodon_length(text: str, spoiler_text: str = "") -> int:
    """Length as Mastodon's server counts it (``StatusLengthValidator``).

    Graphemes of ``spoiler_text + countable_text(text)``, where each URL with a
    scheme becomes 23 characters and ``@user@domain`` becomes ``@user``.
    Scheme-less ``example.com`` counts literally, as on the server.
    """
    return grapheme_count(spoiler_text + _mastodon_countable_text(text))


def _mastodon_countable_text(text: str) -> str:
    if not text.strip():  # Ruby's str.blank?
        return ""
    entities: list[tuple[int, int, str]] = [
        (u.start, u.end, "x" * _MASTODON_URL_CHARS) for u in find_urls(text, with_scheme_only=True)
    ]
    for match in _MASTODON_MENTION_RE.finditer(text):
        screen_name = match.group(1)
        entities.append((match.start(1) - 1, match.end(1), "@" + screen_name.split("@")[0]))
    entities.sort(key=lambda e: e[0])
    # Extractor.remove_overlapping_entities: drop any entity that starts
    # inside the previous kept one.
    parts: list[str] = []
    cursor = 0
    for start, end, replacement in entities:
        if start < cursor:
            continue
        parts.append(text[cursor:start])
        parts.append(replacement)
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts)


def threads_length(text: str) -> int:
    """Threads length: each emoji counts its UTF-8 bytes, every other code point counts 1."""
    return sum(
        utf8_len(cluster) if is_emoji_grapheme(cluster) else len(cluster)
        for cluster in graphemes(text)
    )


#: How length is counted, by ``PlatformRules.unit`` (or ``.counter`` when it is set).
_COUNTERS: dict[str, Callable[[str], int]] = {
    "weighted": x_weighted_length,
    "graphemes": grapheme_count,
    "graphemes+bytes": grapheme_count,
    "utf16": utf16_len,
    "utf8-emoji": threads_length,
    "chars": len,
    "bytes": utf8_len,
}

#: Counters that count a content warning (``spoiler_text``) with the text.
_WARNING_COUNTERS: dict[str, Callable[[str, str], int]] = {
    "mastodon": mastodon_length,
}


def _x_refused(text: str, display_name: str) -> list[str]:
    normalized = unicodedata.normalize("NFC", encodable(text))
    return [f"contains U+{ord(ch):04X}, which {display_name} refuses"
            for ch in X_INVALID_CHARS if ch in normalized]


def _brackets_refused(text: str, display_name: str) -> list[str]:
    brackets = sorted({ch for ch in text if ch in "<>"})
    if not brackets:
        return []
    return [f"contains {' and '.join(brackets)}, which {display_name} refuses"]


#: Characters a network refuses whatever the length, by ``PlatformRules.refuses``.
_REFUSED: dict[str, Callable[[str, str], list[str]]] = {
    "twitter-text": _x_refused,  # twitter-text's invalidCharsGroup, after NFC
    "angle-brackets": _brackets_refused,
}

#: The units ``PlatformRules.unit`` may name.
UNITS: tuple[str, ...] = tuple(_COUNTERS)
#: The counters ``PlatformRules.counter`` may name (the units, and the special ones).
COUNTERS: tuple[str, ...] = (*_COUNTERS, *_WARNING_COUNTERS)
#: The checks ``PlatformRules.refuses`` may name.
REFUSED_CHARACTER_CHECKS: tuple[str, ...] = tuple(_REFUSED)


def count_length(text: str, rules: PlatformRules, spoiler_text: str = "") -> int:
    """The length of ``text`` as the network of ``rules`` counts it, in ``rules.unit``."""
    counter = rules.counter or rules.unit
    with_warning = _WARNING_COUNTERS.get(counter)
    if with_warning is not None:
        return with_warning(text, spoiler_text)
    return _COUNTERS[counter](text)


def measure(
    text: str,
    rules: PlatformRules,
    *,
    limit: int | None = None,
    max_hashtags: int | None = None,
    spoiler_text: str = "",
) -> Measure:
    """Measure ``text`` as the network of ``rules`` counts it and say whether it may be posted.

    ``valid`` means ``0 < length <= limit`` and no other rule is broken (byte
    cap, hashtag or link cap, forbidden characters). Empty text is invalid and
    says so: it is only acceptable where media carries the post.

    Args:
        text: The post text (for Reddit the self-text body; for YouTube the
            description; for Pinterest the description).
        rules: The network's rules (``platforms.registry.rules_for(name)``).
        limit: Overrides the default limit (e.g. a Mastodon instance's
            ``max_characters``, or ``REDDIT_TITLE_LIMIT`` for a title).
        max_hashtags: Overrides the hashtag cap (Instagram: 30 by default).
        spoiler_text: A content warning, which counts too where the network's
            counter says so (Mastodon).
    """
    name = rules.display_name
    limit = rules.limit if limit is None else limit
    unit_word = _UNIT_WORDS[rules.unit]
    length = count_length(text, rules, spoiler_text)

    problems: list[str] = []
    hashtags = len(find_hashtags(text))
    details: dict[str, int] = {"hashtags": hashtags, "links": count_links(text)}
    ok = True
    if length == 0:
        ok = False
        problems.append(f"empty text: {name} only accepts it when media carries the post")
    elif length > limit:
        ok = False
        problems.append(f"{length} {unit_word}, over the {limit} limit")
    if rules.byte_limit is not None:
        size = utf8_len(text)
        details["bytes"] = size
        if size > rules.byte_limit:
            ok = False
            problems.append(f"{size} UTF-8 bytes, over the {rules.byte_limit} byte limit")
    cap = max_hashtags if max_hashtags is not None else rules.max_hashtags
    if cap is not None and hashtags > cap:
        ok = False
        problems.append(f"{hashtags} hashtags, {name} allows {cap}")
    if rules.max_links is not None:
        unique = count_unique_links(text)
        if unique > rules.max_links:
            ok = False
            problems.append(f"{unique} links, {name} allows {rules.max_links}")
    forbidden = character_problems(text, rules)
    if forbidden:
        ok = False
        problems.extend(forbidden)
    return Measure(rules.platform, length, limit, ok, rules.unit, tuple(problems), details)


def character_problems(text: str, rules: PlatformRules) -> list[str]:
    """Problems with single characters that no amount of splitting can fix.

    Lone surrogates everywhere; then the network's own check (``rules.refuses``):
    U+FFFE/U+FEFF/U+FFFF on X, ``<``/``>`` on YouTube.
    """
    problems: list[str] = []
    surrogates = lone_surrogates(text)
    if surrogates:
        problems.append(f"contains a lone surrogate U+{ord(surrogates[0]):04X}, not valid Unicode")
    if rules.refuses is not None:
        problems.extend(_REFUSED[rules.refuses](text, rules.display_name))
    return problems
