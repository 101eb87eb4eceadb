"""A fake Instagram Graph API (graph.instagram.com) over real HTTP: ``start_fake()``.

The shared Graph machinery is in ``tests.fakes.meta`` (state),
``meta_http`` and ``meta_graph``; this module adds the
Instagram routes of PLATFORMS.md §2.6: ``POST /{ig-user}/media`` (image,
REELS, CAROUSEL containers; no text-only posts), ``POST /{ig-user}/media_publish``,
``GET /{ig-user}/content_publishing_limit`` and the ``media`` listing.
"""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.meta import FakeMeta
from tests.fakes.meta_graph import (
    Fail,
    check_quota,
    graph_time,
    listing,
    make_container,
    need,
    owned_post,
    paged,
    publishing_limit,
    render_comment,
    take_container,
)
from tests.fakes.meta_model import Tok

CAPTION_LIMIT = 2200
MAX_HASHTAGS = 30
MAX_CHILDREN = 10


def start_fake(**kw: Any) -> FakeMeta:
    """A running fake Instagram API."""
    return FakeMeta("instagram", **kw).start()


def route(fake: FakeMeta, method: str, tok: Tok, segments: list[str], params: dict[str, Any],
          files: dict[str, bytes]) -> Any:
    """The Instagram-only endpoints (None: not one of them)."""
    if len(segments) != 2:
        return None
    if segments[1] == "replies":
        return _replies(fake, method, tok, segments[0], params)
    user, edge = segments
    if edge not in ("media", "media_publish", "content_publishing_limit"):
        return None
    if user != tok.owner:
        raise Fail("(#10) Application does not have permission for this action", 10,
                   status=403)
    if (method, edge) == ("POST", "media"):
        need(fake, tok, "instagram_business_content_publish")
        caption = str(params.get("caption") or "")
        media_type = str(params.get("media_type") or "IMAGE")
        if len(caption) > CAPTION_LIMIT:
            raise Fail("(#100) The caption is too long", 100, subcode=2207004)
        if len(re.findall(r"#\w+", caption)) > MAX_HASHTAGS:
            raise Fail("(#100) The caption has too many hashtags", 100, subcode=2207008)
        if media_type == "IMAGE" and not params.get("image_url"):
            raise Fail("(#100) The parameter image_url is required.", 100)
        if media_type in ("REELS", "VIDEO") and not params.get("video_url"):
            raise Fail("(#100) The parameter video_url is required.", 100)
        if media_type == "CAROUSEL":
            children = [c for c in str(params.get("children") or "").split(",") if c]
            if not 2 <= len(children) <= MAX_CHILDREN:
                raise Fail(f"(#100) A carousel needs 2 to {MAX_CHILDREN} children", 100,
                           subcode=2207011)
        return make_container(fake, user, params)
    if (method, edge) == ("POST", "media_publish"):
        need(fake, tok, "instagram_business_content_publish")
        container = take_container(fake, user, str(params.get("creation_id") or ""))
        check_quota(fake, user, "post")
        children = [c for c in str(container.params.get("children") or "").split(",") if c]
        post = fake.new_post(user, str(container.params.get("caption") or ""), reply_to=None,
                             kind="post",
                             media_type=str(container.params.get("media_type") or "IMAGE"),
                             children=children,
                             media=[fake.containers[c].params for c in children]
                             or [container.params])
        container.status = "PUBLISHED"
        return {"id": post.id}
    if (method, edge) == ("GET", "content_publishing_limit"):
        return publishing_limit(fake, user, replies=False)
    if (method, edge) == ("GET", "media"):
        posts = [p for p in fake.posts_by_id.values() if p.owner == user and p.kind == "post"]
        return listing(posts, params, lambda p: {
            "id": p.id, "caption": p.text, "timestamp": graph_time(p.created),
            "permalink": fake.permalink(p), "media_type": p.media_type,
            "comments_count": len(fake.thread_of(p.id))})
    return None


def _replies(fake: FakeMeta, method: str, tok: Tok, comment_id: str,
             params: dict[str, Any]) -> Any:
    """``GET``/``POST /{ig-comment-id}/replies``: replies only to top-level comments (a
    reply to a reply is added to its top-level comment, as Meta documents)."""
    comment = owned_post(fake, comment_id)
    if comment.kind != "comment":
        raise Fail("(#100) Unsupported request: the object is not a comment", 100)
    top = comment
    while top.reply_to and fake.posts_by_id[top.reply_to].kind == "comment":
        top = fake.posts_by_id[top.reply_to]
    if method == "POST":
        need(fake, tok, "instagram_business_manage_comments")
        text = str(params.get("message") or "")
        if not text:
            raise Fail("(#100) The parameter message is required", 100)
        return {"id": fake.new_post(tok.owner, text, reply_to=top.id, kind="comment").id}
    rows = sorted((p for p in fake.posts_by_id.values()
                   if p.reply_to == top.id and not p.deleted), key=lambda p: p.created)
    fields = str(params.get("fields") or "id")
    return paged(rows, params, lambda p: render_comment(fake, p, fields, top.id))
