"""Text as platforms count it: length, thread splitting, facets.

This is the one import other modules use. The work lives in three helpers:
``text_entities`` (units, URLs, hashtags, Bluesky facets), ``text_measure``
(the counters and ``measure``) and ``text_split`` (``split_thread``). All of it
is pure: no I/O, no front end. The functions take a network's ``PlatformRules``
(declared in its ``platforms/<name>/spec.py``, looked up by name in
``platforms/registry.py``; front ends use ``services.authoring.text_rules``).
The rules and their sources are listed in ``docs/text-rules.md``.
"""

from __future__ import annotations

from socialhub.core.platform_rules import PlatformRules
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
    PINTEREST_TITLE_LIMIT,
    REDDIT_TITLE_LIMIT,
    YOUTUBE_TITLE_LIMIT,
    Measure,
    character_problems,
    count_length,
    mastodon_length,
    measure,
    threads_length,
    x_weighted_length,
)
from socialhub.core.text_split import split_thread

__all__ = [
    "PINTEREST_TITLE_LIMIT",
    "REDDIT_TITLE_LIMIT",
    "YOUTUBE_TITLE_LIMIT",
    "Measure",
    "PlatformRules",
    "bluesky_facets",
    "character_problems",
    "count_length",
    "count_links",
    "find_hashtags",
    "find_urls",
    "grapheme_count",
    "graphemes",
    "mastodon_length",
    "measure",
    "split_thread",
    "threads_length",
    "utf8_len",
    "utf16_len",
    "x_weighted_length",
]
