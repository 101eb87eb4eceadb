"""The Graph routes Threads, Instagram and Facebook share, and the helpers theirs use.

``common_route`` serves ``/me``, container status, post fields, insights,
comments and delete; ``need``, ``owned_post``, the container and quota helpers
and ``listing`` are what ``tests/fakes/{threads,instagram,facebook}.py`` build
their own routes from. A route raises ``Fail`` to answer with a Graph error.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tests.fakes.meta_model import Container, Post, Tok

if TYPE_CHECKING:
    from tests.fakes.meta import FakeMeta


def graph_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


class Fail(Exception):
    """A Graph error a route answers with."""

    def __init__(self, message: str, code: int, *, subcode: int | None = None,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.message, self.code, self.subcode, self.status = message, code, subcode, status


def need(fake: FakeMeta, tok: Tok, scope: str) -> None:
    """Raise the platform's own permission error unless ``tok`` has ``scope``."""
    if scope in tok.scopes:
        return
    if fake.platform == "facebook":
        raise Fail("(#200) If posting to a page, requires both pages_read_engagement and "
                   f"{scope} permission with page token", 200, status=403)
    if fake.platform == "instagram":
        raise Fail("(#10) Application does not have permission for this action", 10,
                   status=403)
    raise Fail(f"(#10) The user has not granted the {scope} permission", 10, status=403)


def owned_post(fake: FakeMeta, post_id: str) -> Post:
    post = fake.posts_by_id.get(post_id)
    if post is None or post.deleted:
        raise Fail(f"Unsupported get request. Object with ID '{post_id}' does not exist, "
                   "cannot be loaded due to missing permissions, or does not support this "
                   "operation.", 100, subcode=33)
    return post


# -- containers (Threads, Instagram) ---------------------------------------------------------
def make_container(fake: FakeMeta, owner: str, params: dict[str, Any]) -> dict[str, Any]:
    """Create a container; media URLs containing "unreachable" end in ERROR."""
    cid = fake.next_id()
    url = str(params.get("image_url") or params.get("video_url") or "")
    container = Container(cid, owner, dict(params), fake.container_polls)
    if "unreachable" in url:
        container.error = ("Media download has failed. The media URI doesn't meet our "
                           "requirements.")
    for child in str(params.get("children") or "").split(",") if params.get("children") else []:
        if child not in fake.containers:
            raise Fail("(#100) Invalid parameter: children", 100)
    fake.containers[cid] = container
    return {"id": cid}


def container_fields(fake: FakeMeta, container: Container, fields: str) -> dict[str, Any]:
    if container.status == "IN_PROGRESS":
        if container.polls_left > 0:
            container.polls_left -= 1
        else:
            container.status = "ERROR" if container.error else "FINISHED"
    status = container.status
    answer: dict[str, Any] = {"id": container.id}
    if fake.platform == "instagram":
        answer["status_code"] = status
        if "status" in fields.split(","):
            answer["status"] = (f"Error: {container.error}" if status == "ERROR"
                                else status.title())
    else:
        answer["status"] = status
        if status == "ERROR":
            answer["error_message"] = container.error
    return answer


def take_container(fake: FakeMeta, owner: str, creation_id: str) -> Container:
    container = fake.containers.get(creation_id)
    if container is None or container.owner != owner:
        raise Fail("(#100) Param creation_id must be a valid container id", 100)
    if container.status == "PUBLISHED":
        raise Fail("(#100) The media has already been published", 100)
    if container.status != "FINISHED":
        raise Fail("Media ID is not available" if container.status != "ERROR" else
                   "The media could not be published", 9007, subcode=2207027)
    return container


def check_quota(fake: FakeMeta, owner: str, kind: str) -> None:
    total = fake.reply_quota_total if kind == "reply" else fake.quota_total
    if fake.quota_used(owner, kind) >= total:
        raise Fail("The maximum number of posts that can be published per day has been "
                   "reached", 9, subcode=2207042)


def publishing_limit(fake: FakeMeta, owner: str, replies: bool) -> dict[str, Any]:
    row: dict[str, Any] = {"quota_usage": fake.quota_used(owner, "post"),
                           "config": {"quota_total": fake.quota_total,
                                      "quota_duration": fake.quota_duration}}
    if replies:
        row["reply_quota_usage"] = fake.quota_used(owner, "reply")
        row["reply_config"] = {"quota_total": fake.reply_quota_total,
                               "quota_duration": fake.quota_duration}
    return {"data": [row]}


def listing(posts: list[Post], params: dict[str, Any], render: Any) -> dict[str, Any]:
    """Newest first, ``since`` (Unix seconds) and ``limit`` applied, as Graph lists edges."""
    since = params.get("since")
    chosen = [p for p in posts if not p.deleted
              and (since is None or p.created.timestamp() >= float(since))]
    chosen.sort(key=lambda p: p.created, reverse=True)
    return {"data": [render(p) for p in chosen[: int(params.get("limit") or 25)]]}


def paged(rows: list[Any], params: dict[str, Any], render: Any, *,
          default_limit: int = 25) -> dict[str, Any]:
    """Graph cursor pagination over ``rows`` (already in order): ``limit`` and ``after``;
    ``paging.cursors`` always, ``paging.next`` only when there is more (as Meta documents)."""
    start = int(base64.urlsafe_b64decode(str(params["after"])).decode()) \
        if params.get("after") else 0
    limit = int(params.get("limit") or default_limit)
    chosen = rows[start:start + limit]
    answer: dict[str, Any] = {"data": [render(r) for r in chosen]}
    if chosen:
        end = start + len(chosen)
        after = base64.urlsafe_b64encode(str(end).encode()).decode()
        answer["paging"] = {"cursors": {
            "before": base64.urlsafe_b64encode(str(start).encode()).decode(), "after": after}}
        if end < len(rows):
            answer["paging"]["next"] = f"https://graph.example/next?after={after}"
    return answer


def comments_of(fake: FakeMeta, parent: Post, params: dict[str, Any]) -> dict[str, Any]:
    """``GET /{object}/comments``: Facebook's ``filter`` (``toplevel``/``stream``), ``order``
    (``chronological``/``reverse_chronological``) and ``since``; Instagram's nested
    ``replies{…}``; cursor pages."""
    fields = str(params.get("fields") or "id")
    if fake.platform == "facebook" and params.get("filter") == "stream":
        rows = [p for p in fake.thread_of(parent.id) if p.kind == "comment"]
    else:
        rows = [p for p in fake.posts_by_id.values()
                if p.reply_to == parent.id and p.kind == "comment" and not p.deleted]
    since = params.get("since")
    if since is not None:
        rows = [p for p in rows if p.created.timestamp() >= float(since)]
    newest_first = fake.platform == "instagram" or params.get("order") == \
        "reverse_chronological"
    rows.sort(key=lambda p: p.created, reverse=newest_first)
    return paged(rows, params, lambda p: render_comment(fake, p, fields, parent.id))


def render_comment(fake: FakeMeta, post: Post, fields: str, top: str) -> dict[str, Any]:
    """A comment as each platform renders it (Facebook ``from``/``parent``, Instagram
    ``username``/``from``/``parent_id``/``replies``)."""
    who = fake.author(post.owner)
    answer: dict[str, Any] = {"id": post.id, "text": post.text, "message": post.text,
                              "timestamp": graph_time(post.created),
                              "created_time": graph_time(post.created)}
    if fake.platform == "facebook":
        answer["from"] = {"id": post.owner, "name": who.get("name")}
        if post.reply_to != top and post.reply_to in fake.posts_by_id:
            answer["parent"] = {"id": post.reply_to}
        answer["permalink_url"] = f"https://www.facebook.com/{post.id}"
    if fake.platform == "instagram":
        answer["username"] = who.get("username")
        answer["from"] = {"id": post.owner, "username": who.get("username")}
        if fake.posts_by_id[post.reply_to or ""].kind == "comment":
            answer["parent_id"] = post.reply_to
        if "replies" in fields:
            replies = sorted((p for p in fake.posts_by_id.values()
                              if p.reply_to == post.id and not p.deleted),
                             key=lambda p: p.created)
            if replies:
                answer["replies"] = {"data": [render_comment(fake, r, "", top)
                                              for r in replies]}
    return answer


def profile_fields(fake: FakeMeta, tok: Tok, profile: dict[str, Any],
                   fields: str) -> dict[str, Any]:
    """A user's or Page's requested fields; counts need the platform's read permission
    (Threads has none as fields: its followers come from ``threads_insights``)."""
    wanted = [f.strip() for f in fields.split(",") if f.strip()]
    counts = {"followers_count", "follows_count", "media_count", "fan_count"}
    if fake.platform == "threads" and counts & set(wanted):
        raise Fail(f"(#100) Tried accessing nonexisting field ({sorted(counts & set(wanted))[0]})",
                   100)
    if counts & set(wanted):
        need(fake, tok, {"facebook": "pages_read_engagement",
                         "instagram": "instagram_business_basic"}[fake.platform])
    return {"id": profile["id"], **{f: profile[f] for f in wanted
                                    if f in profile and f != "admin"}}


def common_route(fake: FakeMeta, method: str, tok: Tok, segments: list[str],
                 params: dict[str, Any]) -> Any:
    """``/me``, container status, post fields, insights, comments, delete."""
    if segments == ["me"] and method == "GET":
        who = fake.pages.get(tok.owner) or fake.users.get(tok.owner) or {"id": tok.owner}
        return {k: v for k, v in who.items() if k in ("id", "username", "name")}
    object_id = segments[0]
    profile = fake.pages.get(object_id) or fake.users.get(object_id)
    if len(segments) == 1 and method == "GET" and profile is not None:
        return profile_fields(fake, tok, profile, str(params.get("fields") or "id"))
    if len(segments) == 1 and method == "GET":
        if object_id in fake.containers:
            return container_fields(fake, fake.containers[object_id],
                                    str(params.get("fields") or "status"))
        post = owned_post(fake, object_id)
        return {"id": post.id, "permalink": fake.permalink(post),
                "timestamp": graph_time(post.created), "text": post.text,
                "caption": post.text, "message": post.text, **post.counters}
    if len(segments) == 1 and method == "DELETE":
        post = owned_post(fake, object_id)
        if post.owner != tok.owner:
            raise Fail("(#200) Permissions error", 200, status=403)
        post.deleted = True
        return {"success": True}
    if segments[1:] == ["insights"] and method == "GET":
        post = owned_post(fake, object_id)
        names = str(params.get("metric") or "").split(",")
        return {"data": [{"name": n, "period": "lifetime",
                          "values": [{"value": post.counters.get(n, 0)}],
                          "title": n.title(), "id": f"{post.id}/insights/{n}/lifetime"}
                         for n in names if n]}
    if segments[1:] == ["comments"]:
        parent = owned_post(fake, object_id)
        if method == "POST":
            need(fake, tok, {"facebook": "pages_manage_engagement",
                             "instagram": "instagram_business_manage_comments",
                             "threads": "threads_manage_replies"}[fake.platform])
            text = str(params.get("message") or "")
            if not text:
                raise Fail("(#100) The parameter message is required", 100)
            post = fake.new_post(tok.owner, text, reply_to=parent.id, kind="comment")
            return {"id": post.id}
        return comments_of(fake, parent, params)
    raise Fail(f"Unknown path components: /{'/'.join(segments[1:])}", 2500)
