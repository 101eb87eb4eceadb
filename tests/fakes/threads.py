"""A fake Threads API (graph.threads.net) over real HTTP: ``start_fake()`` for the contract.

The shared Graph machinery (tokens, errors, containers, quotas) is in
``tests.fakes.meta`` (state),
``meta_http`` and ``meta_graph``; this module adds the Threads routes of PLATFORMS.md §2.5:
``POST /{user}/threads`` (TEXT/IMAGE/VIDEO/CAROUSEL containers, ``reply_to_id``),
``POST /{user}/threads_publish``, ``GET /{user}/threads_publishing_limit``
and the ``threads``/``replies`` listings.
"""

from __future__ import annotations

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
    take_container,
)
from tests.fakes.meta_model import Tok

TEXT_LIMIT = 500
MAX_CHILDREN = 20


def start_fake(**kw: Any) -> FakeMeta:
    """A running fake Threads API."""
    return FakeMeta("threads", **kw).start()


def _render(fake: FakeMeta, post: Any) -> dict[str, Any]:
    answer = {"id": post.id, "text": post.text, "timestamp": graph_time(post.created),
              "permalink": fake.permalink(post), "media_type": post.media_type}
    if post.reply_to:
        answer["replied_to"] = {"id": post.reply_to}
    return answer


def _conversation(fake: FakeMeta, tok: Tok, media_id: str, params: dict[str, Any], *,
                  flat: bool) -> Any:
    """``GET /{media}/conversation`` (every depth) or ``/{media}/replies`` (top level):
    newest first unless ``reverse=false``; cursor pages; ``is_reply_owned_by_me``."""
    need(fake, tok, "threads_read_replies")
    root = owned_post(fake, media_id)
    rows = fake.thread_of(root.id) if flat else [
        p for p in fake.posts_by_id.values() if p.reply_to == root.id and not p.deleted]
    rows.sort(key=lambda p: p.created, reverse=str(params.get("reverse")) != "false")

    def render(post: Any) -> dict[str, Any]:
        answer = _render(fake, post)
        answer.update(username=fake.author(post.owner).get("username"), is_reply=True,
                      root_post={"id": root.id}, is_reply_owned_by_me=post.owner == tok.owner)
        return answer

    return paged(rows, params, render)


def _user_insights(fake: FakeMeta, tok: Tok, user: str, params: dict[str, Any]) -> Any:
    """``/{user}/threads_insights``: ``followers_count`` is a total (``total_value``)."""
    need(fake, tok, "threads_manage_insights")
    if user != tok.owner or user not in fake.users:
        raise Fail("(#10) The user has not authorized this action on another profile", 10,
                   status=403)
    rows = []
    for name in str(params.get("metric") or "").split(","):
        if name == "followers_count":
            rows.append({"name": name, "period": "day", "title": "followers_count",
                         "total_value": {"value": fake.users[user]["followers_count"]},
                         "id": f"{user}/insights/{name}/day"})
        elif name:
            raise Fail(f"(#100) metric[0] must be one of the following values: views, likes, "
                       f"replies, reposts, quotes, clicks, followers_count ({name})", 100)
    return {"data": rows}


def route(fake: FakeMeta, method: str, tok: Tok, segments: list[str], params: dict[str, Any],
          files: dict[str, bytes]) -> Any:
    """The Threads-only endpoints (None: not one of them)."""
    if len(segments) != 2:
        return None
    user, edge = segments
    if method == "GET" and edge in ("conversation", "replies") and user not in fake.users:
        return _conversation(fake, tok, user, params, flat=edge == "conversation")
    if (method, edge) == ("GET", "threads_insights"):
        return _user_insights(fake, tok, user, params)
    if edge in ("threads", "threads_publish", "threads_publishing_limit", "replies") \
            and user != tok.owner:
        raise Fail("(#10) The user has not authorized this action on another profile", 10,
                   status=403)
    if (method, edge) == ("POST", "threads"):
        need(fake, tok, "threads_content_publish")
        media_type = str(params.get("media_type") or "")
        text = str(params.get("text") or "")
        if media_type not in ("TEXT", "IMAGE", "VIDEO", "CAROUSEL"):
            raise Fail("(#100) Param media_type must be one of {TEXT, IMAGE, VIDEO, "
                       "CAROUSEL}", 100)
        if len(text) > TEXT_LIMIT:
            raise Fail(f"(#100) Param text must be at most {TEXT_LIMIT} characters long.", 100)
        if media_type == "TEXT" and not text:
            raise Fail("(#100) Param text is required for TEXT posts", 100)
        if media_type == "IMAGE" and not params.get("image_url"):
            raise Fail("(#100) Param image_url is required", 100)
        if media_type == "VIDEO" and not params.get("video_url"):
            raise Fail("(#100) Param video_url is required", 100)
        if media_type == "CAROUSEL":
            children = [c for c in str(params.get("children") or "").split(",") if c]
            if not 2 <= len(children) <= MAX_CHILDREN:
                raise Fail(f"(#100) A carousel needs 2 to {MAX_CHILDREN} children", 100)
        if params.get("reply_to_id"):
            owned_post(fake, str(params["reply_to_id"]))
        return make_container(fake, user, params)
    if (method, edge) == ("POST", "threads_publish"):
        container = take_container(fake, user, str(params.get("creation_id") or ""))
        reply_to = container.params.get("reply_to_id")
        kind = "reply" if reply_to else "post"
        if reply_to:
            need(fake, tok, "threads_manage_replies")
        check_quota(fake, user, kind)
        children = [c for c in str(container.params.get("children") or "").split(",") if c]
        media = [fake.containers[c].params for c in children] or (
            [container.params] if container.params.get("media_type") != "TEXT" else [])
        post = fake.new_post(user, str(container.params.get("text") or ""),
                             reply_to=str(reply_to) if reply_to else None, kind=kind,
                             media_type=str(container.params["media_type"]),
                             children=children, media=media)
        container.status = "PUBLISHED"
        return {"id": post.id}
    if (method, edge) == ("GET", "threads_publishing_limit"):
        return publishing_limit(fake, user, replies=True)
    if (method, edge) == ("GET", "threads"):
        posts = [p for p in fake.posts_by_id.values() if p.owner == user and p.kind == "post"]
        return listing(posts, params, lambda p: _render(fake, p))
    if (method, edge) == ("GET", "replies"):
        posts = [p for p in fake.posts_by_id.values()
                 if p.owner == user and p.kind in ("reply", "comment")]
        return listing(posts, params, lambda p: _render(fake, p))
    return None
