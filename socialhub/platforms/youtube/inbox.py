"""YouTube's inbox: comments on the channel's videos and replies in their threads.

The source is ``commentThreads.list`` with ``allThreadsRelatedToChannelId`` (every
thread on the channel's videos and the channel itself), ``order=time`` (newest
first), ``part=snippet,replies`` (a thread brings up to five of its replies) and
``pageToken``. As with X and Bluesky the walk goes back from the newest thread: the
stored cursor keeps the newest ``publishedAt`` already stored, and while a sync pages
back it also keeps the page token and the newest instant seen, moving on only once the
walk reaches what was stored, so a sync cut short leaves no gap. The channel's own
comments are not inbox items.

Quota: a list call costs 1 unit of the Google Cloud project's daily quota (10,000 by
default, shared with uploads at 1,600 and replies at 50). The inbox spends at most
``DAILY_UNITS`` a Pacific day, counted in the cursor; past that, the sync stops with a
rate limit until midnight Pacific, when Google resets the quota.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from socialhub.platforms.base import InboxPage, RemoteInboxItem
from socialhub.platforms.errors import RateLimitedError
from socialhub.platforms.timestamps import parse_timestamp
from socialhub.platforms.youtube.api import PACIFIC, next_pacific_midnight

#: Quota units the inbox may spend a day (list calls cost 1 each).
DAILY_UNITS = 1000
#: What one commentThreads.list call costs, in quota units.
LIST_COST = 1


class YouTubeAdapter(Protocol):
    """What this module uses of the adapter (a protocol: the adapter imports this module)."""

    @property
    def channel_id(self) -> str:
        """The channel's id."""
        ...

    def _call(self, method: str, path: str, **kw: Any) -> httpx.Response: ...


def _when(text: Any) -> datetime:
    return parse_timestamp(text) or datetime.now(UTC)


def fetch_inbox(adapter: YouTubeAdapter, cursor: dict[str, Any], limit: int, *,
                now: datetime | None = None) -> InboxPage:
    """New comments and replies since ``cursor``, oldest first, within the day's units.

    Raises:
        RateLimitedError: the inbox's share of today's quota is spent (until midnight
            Pacific), or Google's own quota or rate limit.
    """
    today = (now or datetime.now(UTC)).astimezone(PACIFIC).date().isoformat()
    units = int(cursor.get("units") or 0) if cursor.get("day") == today else 0
    if units + LIST_COST > DAILY_UNITS:
        raise RateLimitedError(
            f"youtube: the inbox spent its {DAILY_UNITS} quota units for today; it reads "
            "again after midnight Pacific time", until=next_pacific_midnight(now))
    params: dict[str, Any] = {"part": "snippet,replies", "order": "time",
                              "allThreadsRelatedToChannelId": adapter.channel_id,
                              "maxResults": max(1, min(limit, 100)), "textFormat": "plainText"}
    if cursor.get("page"):
        params["pageToken"] = cursor["page"]
    body = adapter._call("GET", "/youtube/v3/commentThreads", params=params).json()
    stored = parse_timestamp(cursor.get("newest"))
    newest = parse_timestamp(cursor.get("walk_newest")) or stored
    items: list[RemoteInboxItem] = []
    reached = False
    for thread in body.get("items") or []:
        snippet = thread.get("snippet") or {}
        top = snippet.get("topLevelComment") or {}
        top_when = _when((top.get("snippet") or {}).get("publishedAt"))
        if newest is None or top_when > newest:
            newest = top_when
        if stored is not None and top_when <= stored:
            reached = True
        ours_top = _author_channel(top) == adapter.channel_id
        comments = [(top, "comment")] + [
            (reply, "reply" if ours_top else "comment")
            for reply in (thread.get("replies") or {}).get("comments") or []]
        for comment, kind in comments:
            when = _when((comment.get("snippet") or {}).get("publishedAt"))
            if _author_channel(comment) == adapter.channel_id:
                continue  # the channel's own words are not inbox items
            if stored is not None and when < stored:
                continue  # stored already (an equal instant is read again; stored once)
            if newest is None or when > newest:
                newest = when
            items.append(_item(thread, comment, kind, when))
    items.sort(key=lambda i: (i.received_at, i.remote_id))
    spent = {"day": today, "units": units + LIST_COST}
    page = body.get("nextPageToken")
    newest_text = newest.isoformat() if newest else None
    if page and not reached and body.get("items"):
        return InboxPage(items=items, more=True, cursor={
            "newest": cursor.get("newest"), "page": page, "walk_newest": newest_text,
            **spent})
    return InboxPage(items=items, cursor={"newest": newest_text or cursor.get("newest"),
                                          **spent})


def _author_channel(comment: dict[str, Any]) -> str | None:
    author = (comment.get("snippet") or {}).get("authorChannelId") or {}
    value = author.get("value") if isinstance(author, dict) else author
    return str(value) if value else None


def _item(thread: dict[str, Any], comment: dict[str, Any], kind: str,
          when: datetime) -> RemoteInboxItem:
    snippet = comment.get("snippet") or {}
    thread_snippet = thread.get("snippet") or {}
    video_id = snippet.get("videoId") or thread_snippet.get("videoId")
    comment_id = str(comment.get("id"))
    thread_id = str(thread.get("id") or comment_id)
    name = str(snippet.get("authorDisplayName") or "")
    handle = name or _author_channel(comment) or "?"
    url = (f"https://www.youtube.com/watch?v={video_id}&lc={comment_id}" if video_id
           else None)
    parent = snippet.get("parentId") or video_id
    return RemoteInboxItem(
        remote_id=comment_id, kind=kind, author_handle=handle.lstrip("@"),
        author_name=name or None,
        text=str(snippet.get("textOriginal") or snippet.get("textDisplay") or ""),
        received_at=when, url=url, parent_id=str(parent) if parent else None,
        conversation_id=thread_id,
        context={"thread_id": thread_id, **({"video_id": video_id} if video_id else {})})
