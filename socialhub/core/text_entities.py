"""Units and entities shared by the platform counters: graphemes, code units, URLs, tags.

Everything here is pure and total: any Python string (even one holding lone
surrogates) gives an answer instead of an exception, because the counters
built on it promise never to raise. URL detection is twitter-text's own
extractor (PyPI ``twitter-text-parser``), the one X uses and the one Mastodon's
server reuses for its length rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import regex

GRAPHEME_RE = regex.compile(r"\X")
LONE_SURROGATE_RE = regex.compile(r"[\ud800-\udfff]")

# A grapheme is an emoji (for Threads' byte rule) when it holds a pictographic
# code point, a flag's regional indicator, or a keycap mark.
_EMOJI_RE = regex.compile(r"[\p{Extended_Pictographic}\p{Regional_Indicator}\u20e3]")

# Hashtags as a reader sees them: '#' not glued to a word, '&' (HTML entity)
# or '/' (URL fragment), followed by word characters with at least one
# non-digit. Not an emoji keycap ('#️⃣').
_HASHTAG_RE = regex.compile(r"(?<![\w&/#＃])[#＃](?![\ufe0f\u20e3])(\w*[^\W\d]\w*)")

# Bluesky's own detectors (packages/api/src/rich-text/detection.ts and util.ts).
_BSKY_URL_RE = regex.compile(r"(?:^|(?<=[\s(]))(https?://\S+)", regex.IGNORECASE)
_BSKY_MENTION_RE = regex.compile(r"(?:^|(?<=[\s(]))@([a-zA-Z0-9.-]+)\b")
_BSKY_HANDLE_RE = regex.compile(
    r"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$"
)
_BSKY_TAG_STOP = "\\s\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
_BSKY_TAG_RE = regex.compile(
    rf"(?:^|(?<=\s))[#＃]((?!\ufe0f)[^{_BSKY_TAG_STOP}]*"
    rf"[^\d\p{{P}}{_BSKY_TAG_STOP}]+[^{_BSKY_TAG_STOP}]*)"
)
_TRAILING_PUNCT_RE = regex.compile(r"\p{P}+$")


@dataclass(frozen=True)
class Span:
    """A run of text at code-point offsets ``start``..``end`` (end exclusive)."""

    start: int
    end: int
    text: str


def graphemes(text: str) -> list[str]:
    """Split ``text`` into extended grapheme clusters (UAX #29, as Intl.Segmenter does)."""
    return GRAPHEME_RE.findall(text)


def grapheme_count(text: str) -> int:
    """Number of extended grapheme clusters in ``text``."""
    return sum(1 for _ in GRAPHEME_RE.finditer(text))


def utf8_len(text: str) -> int:
    """Length of ``text`` in UTF-8 bytes (a lone surrogate counts its 3 bytes)."""
    return len(text.encode("utf-8", "surrogatepass"))


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, as JavaScript's ``str.length``."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def is_emoji_grapheme(cluster: str) -> bool:
    """True when the grapheme cluster is (or contains) an emoji."""
    return _EMOJI_RE.search(cluster) is not None


def lone_surrogates(text: str) -> list[str]:
    """Lone UTF-16 surrogates in ``text``: they cannot be encoded, so no platform takes them."""
    return LONE_SURROGATE_RE.findall(text)


def encodable(text: str) -> str:
    """``text`` with lone surrogates replaced by U+FFFD, safe for UTF-8/UTF-16 libraries."""
    return LONE_SURROGATE_RE.sub("\ufffd", text)


def find_urls(text: str, *, with_scheme_only: bool = False) -> list[Span]:
    """URLs as twitter-text finds them; scheme-less ``example.com`` unless ``with_scheme_only``."""
    from twitter_text import extract_urls_with_indices  # slow to import: only when needed

    try:
        found = extract_urls_with_indices(encodable(text), not with_scheme_only)
    except Exception:  # a library bug must not make counting raise; no URLs then
        return []
    return [Span(e["indices"][0], e["indices"][1], e["url"]) for e in found]


def find_web_links(text: str) -> list[Span]:
    """``http(s)://`` links as a reader sees them (Bluesky's detector): at the start or
    after a space or ``(``, up to the next space, without trailing sentence punctuation
    or an unbalanced ``)``. Any host counts, known top-level domain or not."""
    out = []
    for match in _BSKY_URL_RE.finditer(text):
        url = _strip_url_tail(match.group(1))
        out.append(Span(match.start(1), match.start(1) + len(url), url))
    return out


def find_hashtags(text: str) -> list[Span]:
    """Hashtags (``#tag``) outside URLs; the span includes the ``#``."""
    urls = find_urls(text)
    tags = []
    for match in _HASHTAG_RE.finditer(text):
        start, end = match.span()
        if any(u.start <= start < u.end for u in urls):
            continue
        tags.append(Span(start, end, match.group(0)))
    return tags


def count_links(text: str) -> int:
    """Number of links (with or without a scheme) in ``text``."""
    return len(find_urls(text))


def count_unique_links(text: str) -> int:
    """Number of distinct links, compared case-insensitively."""
    return len({u.text.lower() for u in find_urls(text)})


def _byte_offsets(text: str) -> list[int]:
    """UTF-8 byte offset of every code-point index 0..len(text)."""
    offsets = [0]
    total = 0
    for ch in text:
        total += utf8_len(ch)
        offsets.append(total)
    return offsets


def _strip_url_tail(url: str) -> str:
    # Like the Bluesky SDK, drop trailing sentence punctuation and a closing
    # parenthesis that closes nothing inside the URL; unlike it, repeat until
    # stable, so "(see https://w.org/Foo_(bar))." keeps exactly "Foo_(bar)".
    while True:
        unbalanced = url.endswith(")") and url.count(")") > url.count("(")
        if url[-1] not in ".,;:!?" and not unbalanced:
            return url
        url = url[:-1]


def bluesky_facets(text: str) -> list[dict[str, Any]]:
    """Rich-text facets for a Bluesky post, as ``app.bsky.richtext.facet`` dicts.

    Links (``http(s)://…``), mentions (``@handle.domain``) and hashtags are
    detected the way the official TypeScript SDK does. Indices are UTF-8 byte
    offsets (``byteStart`` inclusive, ``byteEnd`` exclusive). A mention carries
    the handle under ``"handle"``; the adapter resolves it to a DID before
    sending. Facets come sorted by ``byteStart``.

    Args:
        text: The post text.

    Returns:
        A list of facet dicts, possibly empty.
    """
    offsets = _byte_offsets(text)
    facets: list[tuple[int, dict[str, Any]]] = []

    def index(start: int, end: int) -> dict[str, int]:
        return {"byteStart": offsets[start], "byteEnd": offsets[end]}

    for match in _BSKY_URL_RE.finditer(text):
        uri = _strip_url_tail(match.group(1))
        start = match.start(1)
        facets.append((start, {
            "index": index(start, start + len(uri)),
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": uri}],
        }))
    for match in _BSKY_MENTION_RE.finditer(text):
        handle = match.group(1)
        if not _BSKY_HANDLE_RE.match(handle):
            continue
        start = match.start(1) - 1
        facets.append((start, {
            "index": index(start, match.end(1)),
            "features": [{"$type": "app.bsky.richtext.facet#mention", "handle": handle.lower()}],
        }))
    for match in _BSKY_TAG_RE.finditer(text):
        tag = _TRAILING_PUNCT_RE.sub("", match.group(1).strip())
        if not tag or grapheme_count(tag) > 64 or utf8_len(tag) > 640:
            continue
        start = match.start(1) - 1
        facets.append((start, {
            "index": index(start, match.start(1) + len(tag)),
            "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}],
        }))
    facets.sort(key=lambda item: item[0])
    return _drop_overlaps([facet for _, facet in facets])


def _drop_overlaps(facets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # A hashtag inside a URL ("…/page#top" is not one, but "(#x https://…")
    # must never yield two facets over the same bytes: keep the first.
    kept: list[dict[str, Any]] = []
    for facet in facets:
        if kept and kept[-1]["index"]["byteEnd"] > facet["index"]["byteStart"]:
            continue
        kept.append(facet)
    return kept
