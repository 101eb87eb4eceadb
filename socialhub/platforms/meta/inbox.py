"""The inbox of the Meta networks: comments and replies found by scanning recent posts.

Facebook Pages, Instagram and Threads have no "notifications" list an app may read
(their webhooks need a public HTTPS endpoint, which a self-hosted hub does not
have), so the inbox walks the account's own recent posts and reads the comments
(Threads: the replies) on each, one Graph call per ``fetch_inbox`` page:

* A **round** starts by listing the newest ``RECENT_POSTS`` posts (one call). Where
  the network gives each post's comment count (Instagram's ``comments_count``), a
  post whose count did not change since the last finished round is skipped.
* Then each queued post's comments are read, newest first, one page per call,
  following ``paging.cursors.after``, and only those created since the last round
  started (less ``OVERLAP_S`` for clock skew; an item seen twice is stored once).
  A page older than that ends the post early; a post deleted meanwhile (Graph code
  100) is passed over.
* The cursor keeps the round (its queue, the ``after`` of the post being read and its
  start) until the queue is empty; only then does ``since`` move to the round's start.
  A sync cut short (budget, error) resumes the round where the last saved page left
  it, so nothing is skipped.

What each network reads is in ``docs/inbox.md`` (and the gaps: no mentions, no
direct messages, only recent posts).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from socialhub.platforms.base import InboxPage, PublishRequest, RemoteInboxItem, reply_target
from socialhub.platforms.errors import InvalidContentError
from socialhub.platforms.timestamps import parse_timestamp

log = logging.getLogger(__name__)

#: How many of the account's newest posts a round reads the comments of.
RECENT_POSTS = 25
#: Comments up to this many seconds older than the last round's start are read again.
OVERLAP_S = 300


@dataclass(frozen=True)
class CommentPage:
    """One Graph page of comments on one post, already turned into inbox items."""

    items: list[RemoteInboxItem]
    after: str | None  # ``paging.cursors.after`` when there is a next page to read
    oldest: datetime | None  # the oldest creation time on the page (own items included)


#: ``recent_posts()`` → ``[(post id, comment count or None when unknown)]``, newest first.
RecentPosts = Callable[[], list[tuple[str, int | None]]]
#: ``comments(post id, after, floor, limit)`` → one page of the post's comments, newest
#: first; ``floor`` (None: everything) is the oldest creation time still wanted, for
#: networks that filter by it themselves (Facebook's ``since``).
Comments = Callable[[str, str | None, datetime | None, int], CommentPage]


def next_after(answer: dict[str, Any]) -> str | None:
    """The ``after`` cursor of a Graph listing, only when the listing says there is more
    (``paging.next`` present), as Meta documents its cursor pagination."""
    paging = answer.get("paging") or {}
    if not isinstance(paging, dict) or not paging.get("next"):
        return None
    after = (paging.get("cursors") or {}).get("after")
    return str(after) if after else None


def graph_time(value: Any) -> datetime:
    """A Graph timestamp (``2026-12-06T08:00:00+0000``) as an aware datetime (now if absent)."""
    return parse_timestamp(value) or datetime.now(UTC)


def scan_comments(cursor: dict[str, Any], *, limit: int, recent_posts: RecentPosts,
                  comments: Comments, now: Callable[[], float] = time.time) -> InboxPage:
    """One page of the comment scan described in this module's docstring.

    ``cursor`` is what the last call returned (empty: the first sync, which reads the
    recent posts' comments whatever their age). Items come oldest first.
    """
    since = cursor.get("since")
    counts: dict[str, int] = dict(cursor.get("counts") or {})
    scan = cursor.get("round")
    if not isinstance(scan, dict):
        started = int(now())
        posts = recent_posts()
        queue = [pid for pid, n in posts if n is None or (n > 0 and counts.get(pid) != n)]
        scan = {"started": started, "queue": queue, "after": None,
                "counts": {pid: n for pid, n in posts if n is not None}}
    queue = list(scan.get("queue") or [])
    items: list[RemoteInboxItem] = []
    if queue:
        floor = (datetime.fromtimestamp(int(since) - OVERLAP_S, UTC)
                 if since is not None else None)
        try:
            page = comments(queue[0], scan.get("after"), floor, limit)
        except InvalidContentError as exc:
            if exc.code != "100":  # 100: the post was deleted since the round listed it
                raise
            log.warning("inbox: passing over post %s: %s", queue[0], exc.message)
            page = CommentPage(items=[], after=None, oldest=None)
        items = [i for i in page.items if floor is None or i.received_at >= floor]
        done = page.after is None or (floor is not None and page.oldest is not None
                                      and page.oldest < floor)
        scan = {**scan, "queue": queue[1:] if done else queue,
                "after": None if done else page.after}
        queue = scan["queue"]
    items.sort(key=lambda i: i.received_at)
    if queue:
        return InboxPage(items=items, cursor={"since": since, "counts": counts, "round": scan},
                         more=True)
    return InboxPage(items=items, cursor={"since": scan["started"],
                                          "counts": dict(scan.get("counts") or {})})


def comment_to_answer(request: PublishRequest) -> str:
    """The comment a Facebook or Instagram reply is posted on: the top-level comment
    (``root_id``) of the one answered, or that one when it is top-level itself.

    Raises:
        ValueError: ``request`` is no reply.
    """
    target = reply_target(request)
    if target is None:
        raise ValueError("not a reply")
    return target.root_id or target.remote_id


def oldest_of(rows: list[dict[str, Any]], field: str) -> datetime | None:
    """The oldest ``field`` timestamp among ``rows`` (None when none has one)."""
    times = [t for t in (parse_timestamp(r.get(field)) for r in rows) if t is not None]
    return min(times) if times else None
