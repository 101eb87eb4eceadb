"""Reddit's inbox: replies to the user's posts and comments, username mentions, messages.

The source is ``GET /message/inbox`` (scope ``privatemessages``), newest first, paged
back with ``after`` (a fullname). Each entry's ``type`` tells what it is: ``post_reply``
(a comment on the user's post: a *comment*), ``comment_reply`` (a *reply*),
``username_mention`` (a *mention*); a ``t4_`` entry is a private *message*. As with X,
the stored cursor keeps the newest ``created_utc`` already stored, and while a sync
pages back it also keeps the ``after`` fullname and the newest instant seen, moving on
only once the walk reaches what was stored, so a sync cut short leaves no gap.
``mark=false`` leaves Reddit's own unread state alone.

Rate limit: every answer carries ``X-Ratelimit-Remaining`` and ``X-Ratelimit-Reset``
(seconds). When fewer than ``RESERVE`` requests remain, the walk stops after the page
(it resumes at the next sync) and leaves the rest to publishing; a 429 is a
``RateLimitedError`` until the reset (``platforms/http.py``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from socialhub.platforms.base import InboxPage, RemoteInboxItem, Tokens
from socialhub.platforms.errors import AdapterError, AuthRevokedError

#: The OAuth scope ``/message/*`` needs.
SCOPE = "privatemessages"
#: Requests left in Reddit's window below which the inbox stops paging for this sync.
RESERVE = 10
_KINDS = {"post_reply": "comment", "comment_reply": "reply", "username_mention": "mention"}
_LINK_RE = re.compile(r"/comments/([0-9a-z]+)/")


class RedditAdapter(Protocol):
    """What this module uses of the adapter (a protocol: the adapter imports this module)."""

    tokens: Tokens
    _www_url: str

    def _call(self, method: str, path: str, **kw: Any) -> httpx.Response: ...


def _missing_scope() -> AdapterError:
    return AdapterError(f"reddit: the inbox needs the {SCOPE!r} scope, which this "
                        "account's token was not granted", code="insufficient_scope",
                        hint="reconnect the account: socialhub accounts connect reddit")


def fetch_inbox(adapter: RedditAdapter, cursor: dict[str, Any], limit: int) -> InboxPage:
    """New comments, replies, mentions and messages since ``cursor``, oldest first.

    Raises:
        AdapterError: the token lacks ``privatemessages`` (publishing keeps working;
            the inbox needs a reconnect).
        RateLimitedError: Reddit answered 429.
    """
    if adapter.tokens.scopes and SCOPE not in adapter.tokens.scopes:
        raise _missing_scope()
    params: dict[str, Any] = {"limit": max(1, min(limit, 100)), "raw_json": 1,
                              "mark": "false"}
    if cursor.get("after"):
        params["after"] = cursor["after"]
    try:
        response = adapter._call("GET", "/message/inbox", params=params)
    except AuthRevokedError as exc:
        if exc.code == "insufficient_scope":
            raise _missing_scope() from None
        raise
    listing = response.json().get("data") or {}
    stored = cursor.get("newest")
    newest = cursor.get("walk_newest", stored)
    items: list[RemoteInboxItem] = []
    reached = False
    for child in listing.get("children") or []:
        data = child.get("data") or {}
        created = float(data.get("created_utc") or 0)
        if newest is None or created > newest:
            newest = created
        if stored is not None and created <= stored:
            reached = True
            if created < stored:
                continue  # stored already (an equal second is read again; stored once)
        item = _item(adapter, str(child.get("kind")), data, created)
        if item is not None:
            items.append(item)
    items.sort(key=lambda i: (i.received_at, i.remote_id))
    after = listing.get("after")
    if after and not reached and listing.get("children"):
        walking = {"newest": stored, "after": after, "walk_newest": newest}
        return InboxPage(items=items, cursor=walking, more=not _low(response))
    return InboxPage(items=items, cursor={"newest": newest})


def _low(response: httpx.Response) -> bool:
    """True when Reddit's window has fewer than ``RESERVE`` requests left."""
    try:
        return float(response.headers.get("x-ratelimit-remaining", "inf")) < RESERVE
    except ValueError:
        return False


def _item(adapter: RedditAdapter, kind: str, data: dict[str, Any],
          created: float) -> RemoteInboxItem | None:
    name = str(data.get("name") or "")
    if not name:
        return None
    context = str(data.get("context") or "")
    url: str | None
    if kind == "t4":
        item_kind, conversation = "message", data.get("first_message_name") or name
        url = f"{adapter._www_url}/message/messages/{str(conversation).removeprefix('t4_')}"
    else:
        item_kind = _KINDS.get(str(data.get("type")), "mention")
        link = _LINK_RE.search(context)
        conversation = f"t3_{link.group(1)}" if link else data.get("parent_id")
        url = f"{adapter._www_url}{context}" if context.startswith("/") else None
    author = str(data.get("author") or "[deleted]")
    return RemoteInboxItem(
        remote_id=name, kind=item_kind, author_handle=author, text=str(data.get("body") or ""),
        received_at=datetime.fromtimestamp(created, UTC), url=url,
        parent_id=data.get("parent_id") or None,
        conversation_id=str(conversation) if conversation else None,
        context={k: data[k] for k in ("subreddit", "subject", "link_title") if data.get(k)})
