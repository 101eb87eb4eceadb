"""Text rules of every platform: length as the platform counts it, thread splitting, facets.

This is the one import other modules use. The work lives in three helpers:
``text_entities`` (units, URLs, hashtags, Bluesky facets), ``text_measure``
(per-platform rules and ``measure``) and ``text_split`` (``split_thread``).
All of it is pure: no I/O, no front end. The rules and their sources are
listed in ``docs/text-rules.md``.
"""

from __future__ import annotations

from socialhub.core.text_entities import (
    bluesky_facets,
    count_links,
    find_hashtags,
    find_urls,
    grapheme_count,
    graphemes,
    utf8_len,
    utf16_len,
)
from socialhub.core.text_measure import (
    DISPLAY_NAMES,
    PINTEREST_TITLE_LIMIT,
    PLATFORMS,
    REDDIT_TITLE_LIMIT,
    YOUTUBE_TITLE_LIMIT,
    Measure,
    PlatformRules,
    character_problems,
    mastodon_length,
    measure,
    rules_for,
    threads_length,
    x_weighted_length,
)
from socialhub.core.text_split import split_thread

__all__ = [
    "DISPLAY_NAMES",
    "PINTEREST_TITLE_LIMIT",
    "PLATFORMS",
    "REDDIT_TITLE_LIMIT",
    "YOUTUBE_TITLE_LIMIT",
    "Measure",
    "PlatformRules",
    "bluesky_facets",
    "character_problems",
    "count_links",
    "find_hashtags",
    "find_urls",
    "grapheme_count",
    "graphemes",
    "mastodon_length",
    "measure",
    "rules_for",
    "split_thread",
    "threads_length",
    "utf8_len",
    "utf16_len",
    "x_weighted_length",
]
