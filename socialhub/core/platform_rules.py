"""``PlatformRules``: one network's text and post-shape rules, as plain data.

Each network declares its value in its own ``platforms/<name>/spec.py``, and the
registry (``platforms/registry.py``) looks it up by name. Core keeps the
algorithms the values name — how length is counted (``unit``, ``counter``) and
which characters are refused (``refuses``), in ``core.text_measure`` — and its
functions take a ``PlatformRules`` value, never a platform name: core must not
import ``platforms/``.

Standard library only, like the specs that import it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True, slots=True)
class PlatformRules:
    """One platform's text and post-shape rules (defaults; runtime values may override).

    A frozen value, built with keywords only.

    Attributes:
        platform: The network's lowercase name (its registry key).
        display_name: The network's name as people write it ("LinkedIn").
        limit: The default length limit, in ``unit``.
        unit: What length is counted in, a counter of ``core.text_measure``:
            ``weighted``, ``graphemes``, ``graphemes+bytes``, ``utf16``,
            ``utf8-emoji``, ``chars`` or ``bytes``.
        supports_threads: Whether a post can be a thread of several parts.
        max_hashtags: The hard hashtag cap, if any.
        max_links: The cap on distinct links, if any.
        max_media: How many media items a post may carry, if capped.
        requires_media: Whether a post needs media (text alone cannot be posted).
        byte_limit: A UTF-8 byte cap on top of ``limit``, if any.
        hashtag_budget: How many hashtags a post should carry by custom (not a
            hard cap; see ``max_hashtags``).
        counter: The counting algorithm when it is not the plain ``unit``'s, a
            counter of ``core.text_measure`` (``"mastodon"``: URLs count 23,
            ``@user@domain`` counts as ``@user``, the content warning counts too).
        refuses: Characters the network refuses whatever the length, a check of
            ``core.text_measure`` (``"twitter-text"``: U+FFFE, U+FEFF, U+FFFF;
            ``"angle-brackets"``: ``<`` and ``>``).
    """

    platform: str
    display_name: str
    limit: int
    unit: str
    supports_threads: bool = False
    max_hashtags: int | None = None
    max_links: int | None = None
    max_media: int | None = None
    requires_media: bool = False
    byte_limit: int | None = None
    hashtag_budget: int = 3
    counter: str | None = None
    refuses: str | None = None
