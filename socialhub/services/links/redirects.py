"""Serving short links: code → target, and counting the people who follow them.

The redirect is public and on the daemon's hot path, so nothing in it waits for
the database once a code is known: targets are cached (links never change once
made), and clicks are counted in memory per (link, UTC day) and written by a
flusher thread every second in one transaction (``add_clicks``: an upsert that
adds). ``close()`` — the daemon calls it on SIGTERM, after the HTTP server has
stopped taking requests — writes what is left, so no counted click is lost; a
flush that fails keeps its counts for the next one.

Who is counted: people. Crawlers and link-preview fetchers (the card a
platform or a chat app draws for a posted link) are recognised by their user
agent with ``crawlerdetect`` (a maintained port of the PHP CrawlerDetect
patterns), plus the few preview agents it misses (``_MORE_PREVIEWS``); a
request without a user agent, a HEAD request and a browser's prefetch are not
clicks either. Nothing about the visitor is stored: no address, no agent, only
the day's count.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

import regex

from socialhub.core.links import CODE_RE
from socialhub.db.queries import links as queries
from socialhub.db.queries.links import LinkTarget
from socialhub.services.clock import now_utc
from socialhub.services.hub import Hub

log = logging.getLogger(__name__)

#: Preview fetchers crawlerdetect 0.4 does not know (checked against its list):
#: Bluesky's card service.
_MORE_PREVIEWS = regex.compile(r"cardyb", regex.IGNORECASE)

#: How long an unknown code is remembered as unknown (a link made meanwhile is found
#: after this), and how many unknown codes are remembered at most.
_MISS_SECONDS = 5.0
_MISS_MAX = 10_000
#: How many of the newest links the cache holds from the start (about 200 bytes each).
_WARM_LINKS = 100_000


@functools.lru_cache(maxsize=4096)
def is_bot(user_agent: str) -> bool:
    """Whether a request with this user agent is a crawler, a preview fetcher or a script
    rather than a person's browser (an empty agent counts as a script)."""
    if not user_agent.strip():
        return True
    if _MORE_PREVIEWS.search(user_agent):
        return True
    return bool(_detector().isCrawler(user_agent))


@functools.cache
def _detector() -> Any:
    from crawlerdetect import CrawlerDetect

    return CrawlerDetect()


def valid_code(code: str) -> bool:
    """Whether ``code`` has the shape of a short link's code (anything else is a 404)."""
    return CODE_RE.fullmatch(code) is not None


class LinkRedirects:
    """The redirect's state in one daemon: the target cache and the click counters."""

    def __init__(self, hub: Hub, *, flush_interval_s: float = 1.0,
                 today: Callable[[], date] | None = None) -> None:
        self.hub = hub
        self.flush_interval_s = flush_interval_s
        self.today = today or (lambda: now_utc().date())
        self._targets: dict[str, LinkTarget] = {}
        self._missing: dict[str, float] = {}
        self._pending: Counter[tuple[int, int, date]] = Counter()
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.counted = 0  # clicks counted since start
        self.written = 0  # clicks written to the database since start
        self.ignored = 0  # bots, previews, HEAD requests and prefetches since start

    # -- the request path -------------------------------------------------------------------
    def cached(self, code: str) -> LinkTarget | None:
        """The target of ``code`` if it is in the cache (no database access)."""
        return self._targets.get(code)

    def lookup(self, code: str) -> LinkTarget | None:
        """The target of ``code``, from the cache or the database; None when unknown.

        Blocking (it may read the database): the HTTP front end calls it off the
        event loop when ``cached`` missed.
        """
        found = self._targets.get(code)
        if found is not None or not valid_code(code):
            return found
        seen = self._missing.get(code)
        if seen is not None and time.monotonic() - seen < _MISS_SECONDS:
            return None
        with self.hub.transaction() as session:
            found = queries.link_by_code(session, code)
        if found is None:
            if len(self._missing) >= _MISS_MAX:
                self._missing.clear()
            self._missing[code] = time.monotonic()
            return None
        self._targets[code] = found
        return found

    def click(self, link: LinkTarget, *, user_agent: str, method: str = "GET",
              prefetch: bool = False) -> bool:
        """Count one request for ``link`` unless it is a bot, a preview, HEAD or a prefetch;
        whether it was counted."""
        if method != "GET" or prefetch or is_bot(user_agent):
            self.ignored += 1
            return False
        key = (link.org_id, link.id, self.today())
        with self._lock:
            self._pending[key] += 1
            self.counted += 1
        return True

    # -- the flusher --------------------------------------------------------------------------
    def warm_up(self) -> int:
        """Fill the cache with the newest links and load the bot patterns, so the first
        requests wait for neither; the number of links cached."""
        is_bot("Mozilla/5.0 (warm-up)")
        with self.hub.transaction() as session:
            for code, target in queries.newest_links(session, _WARM_LINKS):
                self._targets[code] = target
        return len(self._targets)

    def start(self) -> None:
        """Flush every ``flush_interval_s`` in a background thread until ``close()``."""
        self._thread = threading.Thread(target=self._run, name="link-clicks", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.flush_interval_s):
            try:
                self.flush()
            except Exception as exc:  # kept for the next flush; one line, not a traceback
                log.warning("could not write link clicks (kept for the next try): %s", exc)

    def flush(self) -> int:
        """Write the counted clicks in one transaction; the number of clicks written.

        On failure the counts go back to the pending ones and the error propagates.
        """
        with self._flush_lock:
            with self._lock:
                batch, self._pending = self._pending, Counter()
            if not batch:
                return 0
            try:
                with self.hub.transaction() as session:
                    queries.add_clicks(session, ((org, link, day, n)
                                                 for (org, link, day), n in batch.items()))
            except BaseException:
                with self._lock:
                    self._pending.update(batch)
                raise
            written = sum(batch.values())
            self.written += written
            return written

    def pending(self) -> int:
        """Clicks counted but not yet written."""
        with self._lock:
            return sum(self._pending.values())

    def close(self, *, attempts: int = 5) -> None:
        """Stop the flusher and write what is left (retrying briefly: a lost click is a bug)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        for attempt in range(attempts):
            try:
                self.flush()
                return
            except Exception as exc:
                log.warning("could not write link clicks at shutdown (try %d): %s",
                            attempt + 1, exc)
                time.sleep(0.2 * (attempt + 1))
        left = self.pending()
        if left:
            log.error("%d link clicks could not be written at shutdown", left)
