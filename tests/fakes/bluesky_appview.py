"""A fake Bluesky AppView over real HTTP: what the inbox reads when a PDS has one behind it.

It follows the lexicons: ``app.bsky.notification.listNotifications`` (newest first,
``limit``/``cursor``; each notification ``{uri, cid, author, reason, record, indexedAt}``)
and ``app.bsky.feed.getPostThread`` (``uri``, ``depth``, ``parentHeight``: a
``#threadViewPost`` whose ``parent`` chain goes up at most ``parentHeight`` posts; a
deleted parent is a ``#notFoundPost``; an unknown ``uri`` is 400 ``NotFound``). Posts are
added with ``post(author, text, reply_to=…)``; a reply to the account or a mention of it
becomes a notification. The reference PDS has no AppView, which is why this exists.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.plumbing import JsonFakeServer, Reply, Request

_THREAD = "app.bsky.feed.defs#threadViewPost"
_NOT_FOUND = "app.bsky.feed.defs#notFoundPost"


class FakeAppView(JsonFakeServer):
    """One account (``did``) and the people who write to it."""

    def __init__(self, did: str = "did:plc:shop", handle: str = "shop.test") -> None:
        super().__init__()
        self.did, self.account_handle = did, handle
        self.posts: dict[str, dict[str, Any]] = {}
        self.notifications: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._clock = datetime(2026, 12, 1, tzinfo=UTC)

    def post(self, author: str, text: str, *, reply_to: str | None = None,
             mention: bool = False) -> str:
        """``author`` (a handle; ``account_handle``: the account itself) posts; its uri."""
        did = self.did if author == self.account_handle else f"did:plc:{author.split('.')[0]}"
        n = next(self._ids)
        uri, cid = f"at://{did}/app.bsky.feed.post/p{n:04d}", f"bafy{n:04d}"
        self._clock += timedelta(seconds=1)
        record: dict[str, Any] = {"$type": "app.bsky.feed.post", "text": text,
                                  "createdAt": self._clock.isoformat()}
        if reply_to is not None:
            parent = self.posts[reply_to]
            root = (parent["record"].get("reply") or {}).get("root") or {
                "uri": parent["uri"], "cid": parent["cid"]}
            record["reply"] = {"root": root, "parent": {"uri": parent["uri"],
                                                        "cid": parent["cid"]}}
        if mention:
            record["facets"] = [{"features": [{"$type": "app.bsky.richtext.facet#mention",
                                               "did": self.did}]}]
        view = {"uri": uri, "cid": cid, "author": {"did": did, "handle": author},
                "record": record, "indexedAt": self._clock.isoformat()}
        with self.lock:
            self.posts[uri] = view
            reason = None
            if reply_to is not None and reply_to.startswith(f"at://{self.did}/"):
                reason = "reply"
            elif mention:
                reason = "mention"
            if reason and did != self.did:
                self.notifications.append({**view, "reason": reason, "isRead": False})
        return uri

    def delete(self, uri: str) -> None:
        """The post is gone: a thread shows a ``#notFoundPost`` in its place."""
        with self.lock:
            self.posts[uri]["deleted"] = True

    def handle(self, request: Request) -> Reply:
        if request.path == "/xrpc/app.bsky.notification.listNotifications":
            return self._notifications(request.query)
        if request.path == "/xrpc/app.bsky.feed.getPostThread":
            return self._thread(request.query)
        return Reply(501, {"error": "MethodNotImplemented", "message": "Method Not Implemented"})

    def _notifications(self, query: dict[str, str]) -> Reply:
        limit = max(1, min(int(query.get("limit") or 50), 100))
        start = int(query.get("cursor") or 0)
        with self.lock:
            newest_first = list(reversed(self.notifications))
        chunk = newest_first[start:start + limit]
        body: dict[str, Any] = {"notifications": chunk}
        if start + limit < len(newest_first):
            body["cursor"] = str(start + limit)
        return Reply(200, body)

    def _thread(self, query: dict[str, str]) -> Reply:
        height = int(query.get("parentHeight") or 80)
        with self.lock:
            post = self.posts.get(query.get("uri", ""))
            if post is None or post.get("deleted"):
                return Reply(400, {"error": "NotFound", "message": "Post not found"})
            node: dict[str, Any] = {"$type": _THREAD, "post": _view(post)}
            top, uri = node, (post["record"].get("reply") or {}).get("parent", {}).get("uri")
            while uri and height > 0:
                parent = self.posts.get(uri)
                if parent is None or parent.get("deleted"):
                    top["parent"] = {"$type": _NOT_FOUND, "uri": uri, "notFound": True}
                    break
                top["parent"] = {"$type": _THREAD, "post": _view(parent)}
                top = top["parent"]
                uri = (parent["record"].get("reply") or {}).get("parent", {}).get("uri")
                height -= 1
        return Reply(200, {"thread": node})


def _view(post: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in post.items() if k != "deleted"}
