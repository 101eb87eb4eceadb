"""Bluesky's inbox: mentions, replies and quotes of the account.

With an AppView behind the PDS (bsky.social and most hosts) the source is
``app.bsky.notification.listNotifications`` (reasons ``mention``, ``reply``,
``quote``). It lists newest first and pages backwards with ``cursor``; the stored
cursor keeps the newest ``indexedAt`` already stored, and while a sync pages
back it also keeps the page cursor and the newest instant seen, moving forward
only once the walk reaches what was stored, so a sync cut short leaves no gap.

A PDS without an AppView (a self-hosted PDS on its own, the reference PDS in the
tests) answers ``app.bsky.*`` reads with 501/502/404. Then the inbox reads the
repositories *on that PDS* (``com.atproto.sync.listRepos``, then each one's newest
posts with ``com.atproto.repo.listRecords``) and keeps the posts that reply to,
mention or quote the account: honest for people on the same PDS, blind to the
rest of the network (``docs/inbox.md``).

Thread context: a reply names only the post it answers, so each page fills the
parent posts of its replies (``context["thread"]``, root first) with
``app.bsky.feed.getPostThread`` (``depth=0``, ``parentHeight`` ``THREAD_HEIGHT``),
or, without an AppView, by walking ``reply.parent`` with ``com.atproto.repo.getRecord``.
Bounded: at most ``THREAD_CALLS`` calls per page; a failure there never fails the
sync (the items are stored without their context).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from socialhub.platforms.base import InboxPage, RemoteInboxItem
from socialhub.platforms.errors import AdapterError, InvalidContentError, RetryLaterError
from socialhub.platforms.http import raise_for_response
from socialhub.platforms.timestamps import parse_timestamp


class BlueskyAdapter(Protocol):
    """What this module uses of the adapter (a protocol: the adapter imports this module)."""

    _web: str

    @property
    def did(self) -> str:
        """The account's DID."""
        ...

    def _send(self, method: str, nsid: str, **kw: Any) -> httpx.Response: ...

    def _call(self, method: str, nsid: str, **kw: Any) -> httpx.Response: ...

POST_COLLECTION = "app.bsky.feed.post"
_REASONS = {"mention": "mention", "reply": "reply", "quote": "quote"}
_NO_APPVIEW = frozenset({404, 501, 502, 503})
_MAX_REPOS = 1000  # a PDS with more repositories than this is not one person's
#: How many parent posts a reply's thread context holds (getPostThread's parentHeight).
THREAD_HEIGHT = 5
#: At most this many thread look-ups (getPostThread or getRecord calls) per page.
THREAD_CALLS = 20


def fetch_inbox(adapter: BlueskyAdapter, cursor: dict[str, Any], limit: int) -> InboxPage:
    """New mentions, replies and quotes since ``cursor``, oldest first."""
    if cursor.get("mode") != "pds":
        response = adapter._send("GET", "app.bsky.notification.listNotifications", params={
            "limit": max(1, min(limit, 100)),
            **({"cursor": cursor["page"]} if cursor.get("page") else {})})
        if response.status_code not in _NO_APPVIEW:
            raise_for_response(response, platform="bluesky")
            page = _notifications_page(adapter, cursor, response.json())
            return with_threads(adapter, page, appview=True)
    return with_threads(adapter, _pds_page(adapter, cursor, limit), appview=False)


def with_threads(adapter: BlueskyAdapter, page: InboxPage, *, appview: bool) -> InboxPage:
    """``page`` with each reply's parent posts in ``context["thread"]`` (root first),
    within ``THREAD_CALLS`` look-ups; replies beyond the budget keep no thread."""
    budget = [THREAD_CALLS]
    handles: dict[str, str] = {}
    items = []
    for item in page.items:
        # Only replies have posts above them (a quote's parent_id is the quoted post).
        is_reply = item.context.get("root_uri") not in (None, item.remote_id)
        if item.parent_id and is_reply and budget[0] > 0:
            thread = None
            if appview:
                thread = _appview_thread(adapter, item.remote_id, budget)
            if thread is None:
                thread = _record_thread(adapter, item.parent_id, budget, handles)
            if thread:
                item = replace(item, context={**item.context, "thread": thread})
        items.append(item)
    return replace(page, items=items)


def _post_entry(uri: str, did: str, handle: str, record: dict[str, Any],
                when: str | None) -> dict[str, Any]:
    return {"uri": uri, "did": did, "author": handle, "text": str(record.get("text") or ""),
            "at": when or record.get("createdAt")}


def _appview_thread(adapter: BlueskyAdapter, uri: str,
                    budget: list[int]) -> list[dict[str, Any]] | None:
    """The parents of ``uri`` from ``getPostThread``; None when there is no AppView."""
    budget[0] -= 1
    try:
        response = adapter._send("GET", "app.bsky.feed.getPostThread", params={
            "uri": uri, "depth": 0, "parentHeight": THREAD_HEIGHT})
    except AdapterError:
        return []
    if response.status_code in _NO_APPVIEW:
        return None
    if response.status_code != 200:
        return []  # deleted, blocked, rate limited: the item goes in without its thread
    parents: list[dict[str, Any]] = []
    node = (response.json().get("thread") or {}).get("parent")
    while isinstance(node, dict) and isinstance(node.get("post"), dict):
        post = node["post"]
        author = post.get("author") or {}
        parents.append(_post_entry(str(post.get("uri")), str(author.get("did") or ""),
                                   str(author.get("handle") or author.get("did") or "?"),
                                   post.get("record") or {}, post.get("indexedAt")))
        node = node.get("parent")
    parents.reverse()
    return parents


def _record_thread(adapter: BlueskyAdapter, parent: str, budget: list[int],
                   handles: dict[str, str]) -> list[dict[str, Any]]:
    """The parents from ``parent`` up, read record by record from the PDS (no AppView);
    stops at a record the PDS does not hold (another PDS's) or at ``THREAD_HEIGHT``."""
    parents: list[dict[str, Any]] = []
    uri: str | None = parent
    while uri and len(parents) < THREAD_HEIGHT and budget[0] > 0:
        repo, _, rest = uri.removeprefix("at://").partition("/")
        collection, _, rkey = rest.partition("/")
        budget[0] -= 1
        try:
            response = adapter._send("GET", "com.atproto.repo.getRecord", params={
                "repo": repo, "collection": collection, "rkey": rkey})
        except AdapterError:
            break
        if response.status_code != 200:
            break
        value = response.json().get("value") or {}
        if repo not in handles:
            try:
                handles[repo] = _handle(adapter, repo)
            except AdapterError:
                handles[repo] = repo
        parents.append(_post_entry(uri, repo, handles[repo], value, None))
        uri = ((value.get("reply") or {}).get("parent") or {}).get("uri")
    parents.reverse()
    return parents


def _notifications_page(adapter: BlueskyAdapter, cursor: dict[str, Any],
                        body: dict[str, Any]) -> InboxPage:
    stored = cursor.get("indexed_at")
    items: list[RemoteInboxItem] = []
    reached = False
    newest = cursor.get("newest")
    for note in body.get("notifications") or []:
        indexed = str(note.get("indexedAt") or "")
        if newest is None or indexed > newest:
            newest = indexed
        if stored and indexed <= stored:
            reached = True
            continue
        kind = _REASONS.get(str(note.get("reason")))
        if kind is None:
            continue
        record = note.get("record") or {}
        author = note.get("author") or {}
        items.append(_item(adapter, kind, str(note["uri"]), str(note["cid"]), record,
                           handle=str(author.get("handle") or author.get("did") or "?"),
                           name=author.get("displayName"), when=indexed))
    items.reverse()
    page = body.get("cursor")
    if page and not reached and body.get("notifications"):
        return InboxPage(items=items, more=True, cursor={
            "indexed_at": stored, "page": page, "newest": newest})
    return InboxPage(items=items, cursor={"indexed_at": newest or stored})


def _item(adapter: BlueskyAdapter, kind: str, uri: str, cid: str, record: dict[str, Any], *,
          handle: str, name: str | None, when: str | None) -> RemoteInboxItem:
    reply = record.get("reply") or {}
    parent = (reply.get("parent") or {}).get("uri")
    root = reply.get("root") or {}
    quoted = _quoted_uri(record)
    repo, rkey = uri.removeprefix("at://").split("/")[0], uri.rsplit("/", 1)[-1]
    return RemoteInboxItem(
        remote_id=uri, kind=kind, author_handle=handle, author_name=name or None,
        text=str(record.get("text") or ""),
        received_at=parse_timestamp(when or record.get("createdAt")) or datetime.now(UTC),
        url=f"{adapter._web}/profile/{repo}/post/{rkey}",
        parent_id=parent or quoted, conversation_id=root.get("uri") or uri,
        context={"cid": cid, "root_uri": root.get("uri") or uri,
                 "root_cid": root.get("cid") or cid})


def _quoted_uri(record: dict[str, Any]) -> str | None:
    embed = record.get("embed") or {}
    inner = embed.get("record") or {}
    if isinstance(inner.get("record"), dict):  # app.bsky.embed.recordWithMedia
        inner = inner["record"]
    uri = inner.get("uri")
    return str(uri) if uri else None


def _classify(did: str, record: dict[str, Any]) -> str | None:
    """reply, quote or mention when ``record`` concerns the account ``did``; else None."""
    mine = f"at://{did}/"
    parent = ((record.get("reply") or {}).get("parent") or {}).get("uri") or ""
    if parent.startswith(mine):
        return "reply"
    if (_quoted_uri(record) or "").startswith(mine):
        return "quote"
    for facet in record.get("facets") or []:
        for feature in facet.get("features") or []:
            if feature.get("did") == did:
                return "mention"
    return None


def _pds_page(adapter: BlueskyAdapter, cursor: dict[str, Any], limit: int) -> InboxPage:
    """The PDS-only inbox: the newest posts of every other repository on the PDS."""
    did = adapter.did
    seen: dict[str, str] = dict(cursor.get("repos") or {})  # did -> newest createdAt read
    repos = adapter._call("GET", "com.atproto.sync.listRepos",
                          params={"limit": _MAX_REPOS}).json().get("repos") or []
    items: list[RemoteInboxItem] = []
    handles: dict[str, str] = {}
    for repo in repos:
        other = str(repo.get("did") or "")
        if not other or other == did or repo.get("active") is False:
            continue
        try:
            records = adapter._call("GET", "com.atproto.repo.listRecords", params={
                "repo": other, "collection": POST_COLLECTION,
                "limit": max(1, min(limit, 100))}).json().get("records") or []
        except (InvalidContentError, RetryLaterError):
            continue  # a repository that went away meanwhile
        last = seen.get(other, "")
        newest = last
        for rec in records:
            uri = str(rec.get("uri") or "")
            value = rec.get("value") or {}
            # createdAt, not the record key: posts written with derived keys (socialhub's
            # own exactly-once keys) do not sort by time.
            created = str(value.get("createdAt") or "")
            if created <= last:
                continue
            newest = max(newest, created)
            kind = _classify(did, value)
            if kind is None:
                continue
            if other not in handles:
                handles[other] = _handle(adapter, other)
            items.append(_item(adapter, kind, uri, str(rec.get("cid")), value,
                               handle=handles[other], name=None,
                               when=value.get("createdAt")))
        if newest:
            seen[other] = newest
    items.sort(key=lambda i: (i.received_at, i.remote_id))
    return InboxPage(items=items, cursor={"mode": "pds", "repos": seen})


def _handle(adapter: BlueskyAdapter, did: str) -> str:
    try:
        described = adapter._call("GET", "com.atproto.repo.describeRepo",
                                  params={"repo": did}).json()
    except (InvalidContentError, RetryLaterError):
        return did
    return str(described.get("handle") or did)
