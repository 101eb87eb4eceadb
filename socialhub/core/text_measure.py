"""Each platform's text rules, and ``measure``: the length as that platform counts it.

The limits and counting rules come from ``PLATFORMS.md`` (public docs, official
specs and SDK sources); ``docs/text-rules.md`` lists them with their sources.
``measure`` is total: any string gives a ``Measure``, never an exception.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import regex

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
from socialhub.errors import ValidationError

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


@dataclass(frozen=True)
class PlatformRules:
    """One platform's text and post-shape rules (defaults; runtime values may override)."""

    platform: str
    limit: int
    unit: str
    supports_threads: bool
    max_hashtags: int | None
    max_links: int | None
    max_media: int | None
    requires_media: bool
    byte_limit: int | None
    #: The network's name as people write it ("LinkedIn").
    display_name: str = ""
    #: How many hashtags a post should carry by custom (not a hard cap; see ``max_hashtags``).
    hashtag_budget: int = 3


# The text half of each network's declaration. Core is pure and must not import
# ``platforms/``, so a network's ``PlatformSpec`` reads its row here by name.
# Fields: platform, limit, unit (how length is counted, a key of _COUNTERS),
# supports_threads, max_hashtags, max_links, max_media, requires_media, byte_limit.
_RULES: dict[str, PlatformRules] = {
    r.platform: r
    for r in (
        PlatformRules("sandbox", 500, "graphemes", True, None, None, 4, False, None,
                      display_name="Sandbox", hashtag_budget=3),
        PlatformRules("bluesky", 300, "graphemes+bytes", True, None, None, 4, False, 3000,
                      display_name="Bluesky", hashtag_budget=2),
        PlatformRules("mastodon", 500, "graphemes", True, None, None, 4, False, None,
                      display_name="Mastodon", hashtag_budget=3),
        PlatformRules("x", 280, "weighted", True, None, None, 4, False, None,
                      display_name="X", hashtag_budget=2),
        PlatformRules("linkedin", 3000, "utf16", False, None, None, None, False, None,
                      display_name="LinkedIn", hashtag_budget=3),
        PlatformRules("threads", 500, "utf8-emoji", True, None, 5, 20, False, None,
                      display_name="Threads", hashtag_budget=1),
        PlatformRules("instagram", 2200, "chars", False, 30, None, 10, True, None,
                      display_name="Instagram", hashtag_budget=10),
        PlatformRules("facebook", 63206, "chars", False, None, None, None, False, None,
                      display_name="Facebook", hashtag_budget=2),
        PlatformRules("reddit", 40000, "chars", False, None, None, None, False, None,
                      display_name="Reddit", hashtag_budget=0),
        PlatformRules("pinterest", 800, "chars", False, None, None, None, True, None,
                      display_name="Pinterest", hashtag_budget=5),
        PlatformRules("youtube", 5000, "bytes", False, None, None, 1, True, None,
                      display_name="YouTube", hashtag_budget=3),
        PlatformRules("tiktok", 2200, "utf16", False, None, None, 35, True, None,
                      display_name="TikTok", hashtag_budget=4),
    )
}

#: Every platform whose text socialhub can measure, in the registry's order
#: (``platforms/registry.py``; a test keeps the two the same).
PLATFORMS: tuple[str, ...] = tuple(_RULES)

#: Each platform's name as people write it.
DISPLAY_NAMES: dict[str, str] = {name: r.display_name for name, r in _RULES.items()}

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


def rules_for(platform: str) -> PlatformRules:
    """Return the default rules of ``platform`` (its lowercase name).

    Raises:
        ValidationError: the platform is unknown; the message names the known ones.
    """
    rules = _RULES.get(platform.lower() if isinstance(platform, str) else platform)
    if rules is None:
        raise ValidationError(
            f"unknown platform {platform!r}; known platforms: {', '.join(PLATFORMS)}"
        )
    return rules


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


_COUNTERS: dict[str, Callable[[str], int]] = {
    "weighted": x_weighted_length,
    "graphemes": grapheme_count,
    "graphemes+bytes": grapheme_count,
    "utf16": utf16_len,
    "utf8-emoji": threads_length,
    "chars": len,
    "bytes": utf8_len,
}


def measure(
    text: str,
    platform: str,
    *,
    limit: int | None = None,
    max_hashtags: int | None = None,
    spoiler_text: str = "",
) -> Measure:
    """Measure ``text`` as ``platform`` counts it and say whether it may be posted.

    ``valid`` means ``0 < length <= limit`` and no other rule is broken (byte
    cap, hashtag or link cap, forbidden characters). Empty text is invalid and
    says so: it is only acceptable where media carries the post.

    Args:
        text: The post text (for Reddit the self-text body; for YouTube the
            description; for Pinterest the description).
        platform: A name from ``PLATFORMS``.
        limit: Overrides the default limit (e.g. a Mastodon instance's
            ``max_characters``, or ``REDDIT_TITLE_LIMIT`` for a title).
        max_hashtags: Overrides the hashtag cap (Instagram: 30 by default).
        spoiler_text: Mastodon's content warning, which counts too.

    Raises:
        ValidationError: only for an unknown platform.
    """
    rules = rules_for(platform)
    name = DISPLAY_NAMES[rules.platform]
    limit = rules.limit if limit is None else limit
    unit_word = _UNIT_WORDS[rules.unit]
    if rules.platform == "mastodon":
        length = mastodon_length(text, spoiler_text)
    else:
        length = _COUNTERS[rules.unit](text)

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
    forbidden = character_problems(text, rules.platform)
    if forbidden:
        ok = False
        problems.extend(forbidden)
    return Measure(rules.platform, length, limit, ok, rules.unit, tuple(problems), details)


def character_problems(text: str, platform: str) -> list[str]:
    """Problems with single characters that no amount of splitting can fix.

    Lone surrogates everywhere; U+FFFE/U+FEFF/U+FFFF on X; ``<``/``>`` on YouTube.
    """
    problems: list[str] = []
    surrogates = lone_surrogates(text)
    if surrogates:
        problems.append(f"contains a lone surrogate U+{ord(surrogates[0]):04X}, not valid Unicode")
    if platform == "x":
        normalized = unicodedata.normalize("NFC", encodable(text))
        for ch in X_INVALID_CHARS:
            if ch in normalized:
                problems.append(f"contains U+{ord(ch):04X}, which X refuses")
    if platform == "youtube":
        brackets = sorted({ch for ch in text if ch in "<>"})
        if brackets:
            problems.append(f"contains {' and '.join(brackets)}, which YouTube refuses")
    return problems
