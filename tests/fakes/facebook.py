"""A fake Facebook Graph API for Pages over real HTTP: ``start_fake()`` for the contract.

The shared Graph machinery is in ``tests.fakes.meta`` (state),
``meta_http`` and ``meta_graph``; this module adds the
Pages routes of PLATFORMS.md §2.7: ``GET /me/accounts`` (Page tokens from a
user token), ``GET /me/permissions``, ``POST /{page}/feed`` (message, link,
``attached_media``), ``POST /{page}/photos`` (``url`` or a multipart
``source``; ``published=false`` for multi-photo posts),
``GET /{page}/published_posts`` and the reactions/comments/shares summary.
"""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.meta import FakeMeta
from tests.fakes.meta_graph import Fail, graph_time, listing, need, owned_post
from tests.fakes.meta_model import Container, Tok

MESSAGE_LIMIT = 63_206


def start_fake(**kw: Any) -> FakeMeta:
    """A running fake Facebook Graph API."""
    return FakeMeta("facebook", **kw).start()


def _attached(params: dict[str, Any]) -> list[str]:
    raw = params.get("attached_media")
    items = json.loads(raw) if isinstance(raw, str) else raw or []
    indexed = sorted((k for k in params if k.startswith("attached_media[")),
                     key=lambda k: int(k[15:-1]))
    items += [json.loads(params[k]) for k in indexed]
    return [str(i["media_fbid"]) for i in items]


def route(fake: FakeMeta, method: str, tok: Tok, segments: list[str], params: dict[str, Any],
          files: dict[str, bytes]) -> Any:
    """The Facebook-only endpoints (None: not one of them)."""
    if segments == ["me", "accounts"] and method == "GET":
        if tok.kind == "page":
            raise Fail("(#100) Tried accessing nonexisting field (accounts) on node type "
                       "(Page)", 100)
        data = []
        for info in fake.pages.values():
            if info["admin"] != tok.owner:
                continue
            if "token" not in info:
                info["token"] = fake.issue(info["id"], "page", lifetime_s=None,
                                           scopes=tok.scopes)
            data.append({"id": info["id"], "name": info["name"], "category": "Shop",
                         "access_token": info["token"],
                         "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT",
                                   "MANAGE"]})
        return {"data": data, "paging": {"cursors": {"before": "QVFI", "after": "QVFJ"}}}
    if segments == ["me", "permissions"] and method == "GET":
        return {"data": [{"permission": s, "status": "granted"} for s in sorted(tok.scopes)]}
    if len(segments) == 1 and method == "GET" and "reactions" in str(params.get("fields")):
        post = owned_post(fake, segments[0])
        counters = post.counters
        comments = sum(1 for p in fake.posts_by_id.values()
                       if p.reply_to == post.id and not p.deleted)
        return {"id": post.id,
                "reactions": {"data": [], "summary": {"total_count": counters.get(
                    "reactions", 0), "viewer_reaction": "NONE"}},
                "comments": {"data": [], "summary": {"order": "ranked", "total_count":
                                                     comments, "can_comment": True}},
                **({"shares": {"count": counters["shares"]}} if counters.get("shares") else {})}
    if len(segments) == 1 and method == "GET" and "permalink_url" in str(params.get("fields")):
        post = owned_post(fake, segments[0])
        return {"id": post.id, "permalink_url": f"https://www.facebook.com/{post.id}"}
    if len(segments) != 2 or segments[1] not in ("feed", "photos", "published_posts"):
        return None
    page, edge = segments
    if tok.kind != "page" or tok.owner != page:
        raise Fail("(#200) If posting to a page, requires both pages_read_engagement and "
                   "pages_manage_posts permission with page token", 200, status=403)
    if (method, edge) == ("POST", "feed"):
        need(fake, tok, "pages_manage_posts")
        message = str(params.get("message") or "")
        media = _attached(params)
        if not (message or params.get("link") or media):
            raise Fail("(#100) Missing message or attachment", 100)
        if len(message) > MESSAGE_LIMIT:
            raise Fail("(#100) The message is too long", 100)
        for fbid in media:
            if fbid not in fake.containers:
                raise Fail(f"(#100) param attached_media[0] has invalid media_fbid {fbid}", 100)
        post = fake.new_post(page, message, reply_to=None, kind="post",
                             media_type="ALBUM" if media else "STATUS",
                             media=[fake.containers[f].params for f in media],
                             link=params.get("link"))
        return {"id": post.id}
    if (method, edge) == ("POST", "photos"):
        need(fake, tok, "pages_manage_posts")
        if not params.get("url") and "source" not in files:
            raise Fail("(#324) Requires upload file", 324)
        photo = {k: v for k, v in params.items() if k != "access_token"}
        if "source" in files:
            photo["source_bytes"] = len(files["source"])
        if params.get("published") == "false":
            photo_id = fake.next_id()
            fake.containers[photo_id] = Container(photo_id, page, photo, 0, status="FINISHED")
            return {"id": photo_id}
        post = fake.new_post(page, str(params.get("caption") or params.get("message") or ""),
                             reply_to=None, kind="post", media_type="PHOTO", media=[photo])
        return {"id": fake.next_id(), "post_id": post.id}
    if (method, edge) == ("GET", "published_posts"):
        posts = [p for p in fake.posts_by_id.values() if p.owner == page and p.kind == "post"]
        return listing(posts, params, lambda p: {
            "id": p.id, "message": p.text, "created_time": graph_time(p.created),
            "permalink_url": f"https://www.facebook.com/{p.id}"})
    return None
