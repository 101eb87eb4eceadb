"""Reading an RSS or Atom feed for a ``feed`` trigger: one HTTP GET, parsed by feedparser.

The fetch is conditional (``ETag``/``Last-Modified`` from the last one), sends
socialhub's User-Agent, follows at most five redirects (no credential is ever
sent) and gives up after ``TIMEOUT_S``. An entry's key is its ``id`` (else its
link, else its title), hashed to a short subject for ``rule_runs``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import httpx

from socialhub.platforms.http import USER_AGENT
from socialhub.security.tls import verify_context

#: Seconds a feed has to answer.
TIMEOUT_S = 15.0
#: Bytes read of a feed at most (a feed is text; anything larger is refused).
MAX_BYTES = 5 * 1024 * 1024


@dataclass
class Feed:
    """What a fetch found: the entries (oldest first), or ``not_modified``, or an error."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    title: str = ""
    etag: str | None = None
    modified: str | None = None
    not_modified: bool = False
    error: str | None = None


def entry_key(entry: dict[str, Any]) -> str:
    """The short stable key of an entry (its id, link or title, hashed)."""
    raw = str(entry.get("id") or entry.get("link") or entry.get("title") or "")
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def parse_feed(body: bytes | str, url: str) -> Feed:
    """The entries of an RSS/Atom document, oldest first, as templates see them
    (``id``, ``title``, ``link``, ``summary``, ``author``, ``published``, ``feed``,
    ``feed_url``); ``error`` when it is not a feed."""
    import feedparser

    parsed = feedparser.parse(body)
    title = str(parsed.feed.get("title", "") or "")
    if parsed.bozo and not parsed.entries:
        return Feed(error=f"not an RSS or Atom feed ({type(parsed.bozo_exception).__name__})")
    entries = []
    for e in parsed.entries:
        stamp = e.get("published_parsed") or e.get("updated_parsed")
        published = ("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}+00:00".format(*stamp[:6])
                     if stamp else None)
        entries.append({"id": str(e.get("id") or e.get("link") or e.get("title") or ""),
                        "title": str(e.get("title", "") or ""),
                        "link": str(e.get("link", "") or ""),
                        "summary": str(e.get("summary", "") or ""),
                        "author": str(e.get("author", "") or ""),
                        "published": published, "feed": title, "feed_url": url})
    # Feeds list the newest first; a rule acts on them in the order they appeared.
    entries.sort(key=lambda x: x["published"] or "")
    return Feed(entries=entries, title=title)


def fetch_feed(url: str, *, etag: str | None = None, modified: str | None = None) -> Feed:
    """GET the feed at ``url`` and parse it; never raises (``error`` says what failed)."""
    headers = {"User-Agent": USER_AGENT,
               "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, "
                         "text/xml;q=0.8, */*;q=0.1"}
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    timeout = httpx.Timeout(TIMEOUT_S, connect=min(TIMEOUT_S, 10.0))
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=5,
                          verify=verify_context()) as client, \
                client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return Feed(not_modified=True, etag=etag, modified=modified)
            if response.status_code >= 400:
                return Feed(error=f"the feed answered HTTP {response.status_code}")
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    return Feed(error=f"the feed is larger than {MAX_BYTES // 1024 // 1024} MB")
            found = parse_feed(body, url)
            found.etag = response.headers.get("ETag")
            found.modified = response.headers.get("Last-Modified")
            return found
    except httpx.HTTPError as exc:
        return Feed(error=f"could not fetch the feed: {type(exc).__name__}")
