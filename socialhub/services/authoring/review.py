"""Reviewing posts: submit, approve, request changes, comment, and the approvals queue.

Each step adds an entry to the post's review thread (``post_comments``) and
publishes its event (``post.submitted``, ``post.approved``,
``post.changes_requested``, ``post.commented``), which webhooks can listen to.
Nobody approves a post they created (four eyes). What an approval allows is the
gate in ``services.teams.approvals``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from socialhub.core.limits import check_text_size
from socialhub.core.policy import Permission
from socialhub.core.status import PostStatus
from socialhub.db.models import Post, PostComment
from socialhub.db.queries import teams as queries
from socialhub.db.queries.posts import post_named
from socialhub.errors import ConflictError, PermissionDeniedError, ValidationError
from socialhub.services.audit import record_event
from socialhub.services.authoring.posts import get_post
from socialhub.services.authoring.scheduling import refresh_post_status
from socialhub.services.context import Ctx, use_case
from socialhub.services.teams.approvals import (
    add_thread_entry,
    approval_state,
    clear_approval,
    grant_approval,
    is_approved,
)

#: Statuses a post can no longer be reviewed in.
_CLOSED = ("published", "publishing", "partially_published", "canceled")
#: The statuses of posts waiting for a reviewer.
IN_REVIEW = (PostStatus.PENDING_APPROVAL.value,)


def _open(post: Post, what: str) -> None:
    if post.status in _CLOSED:
        raise ConflictError(f"post {post.name} is {post.status}; there is nothing to {what}")


def _record(ctx: Ctx, post: Post, action: str, comment: str | None) -> None:
    record_event(ctx.session, ctx.org_id, action, "Post", record_id=post.id, name=post.name,
                 change={"post": post.name, "status": post.status, "by": ctx.actor.name,
                         "comment": comment or None})


def _comment(text: str | None, *, required: bool = False) -> str:
    body = (text or "").strip()
    if required and not body:
        raise ValidationError("a comment is required (--comment TEXT): say what to change")
    check_text_size(body, "the comment")
    return body


@use_case(Permission.POSTS_WRITE)
def submit_post(ctx: Ctx, ref: str, *, comment: str | None = None) -> dict[str, Any]:
    """Ask for a review: the post becomes ``pending_approval`` and joins the queue.

    Raises:
        ConflictError: the post went out or was canceled, or is approved already.
    """
    post = get_post(ctx.session, ctx.org_id, ref)
    _open(post, "submit")
    if is_approved(post):
        raise ConflictError(f"post {post.name} is approved already; schedule it with "
                            f"`socialhub posts schedule {post.name} --at …`")
    body = _comment(comment)
    if post.status in ("draft", "changes_requested", "approved", "failed"):
        post.status = PostStatus.PENDING_APPROVAL
    add_thread_entry(ctx.session, post, ctx.actor, "submitted", body, ctx.now())
    _record(ctx, post, "submit", body)
    return review_summary(ctx.session, post)


def _refuse_own(ctx: Ctx, post: Post, what: str) -> None:
    if post.created_by is not None and post.created_by == ctx.actor.name:
        raise PermissionDeniedError(
            f"{ctx.actor.name} may not {what} post {post.name}: they created it, and "
            f"nobody reviews their own post (posts.approve needs a second person)")


@use_case(Permission.POSTS_APPROVE)
def approve_post(ctx: Ctx, ref: str, *, comment: str | None = None) -> dict[str, Any]:
    """Approve the post's current content; it may then be scheduled. An edit later
    sends it back to review.

    Raises:
        PermissionDeniedError: the actor created the post.
        ConflictError: the post went out or was canceled, or is approved already.
    """
    post = get_post(ctx.session, ctx.org_id, ref)
    _open(post, "approve")
    _refuse_own(ctx, post, "approve")
    if is_approved(post):
        raise ConflictError(f"post {post.name} is approved already")
    body = _comment(comment)
    grant_approval(post, ctx.actor, ctx.now())
    if post.status in ("draft", "pending_approval", "changes_requested", "failed"):
        post.status = PostStatus.APPROVED
        refresh_post_status(ctx.session, post)  # scheduled targets make it scheduled again
    add_thread_entry(ctx.session, post, ctx.actor, "approved", body, ctx.now())
    _record(ctx, post, "approve", body)
    return review_summary(ctx.session, post)


@use_case(Permission.POSTS_APPROVE)
def request_changes(ctx: Ctx, ref: str, *, comment: str) -> dict[str, Any]:
    """Send the post back to its author with what to change (a comment is required);
    any approval it had is withdrawn.

    Raises:
        ValidationError: no comment.
        PermissionDeniedError: the actor created the post.
        ConflictError: the post went out or was canceled.
    """
    body = _comment(comment, required=True)
    post = get_post(ctx.session, ctx.org_id, ref)
    _open(post, "review")
    _refuse_own(ctx, post, "review")
    clear_approval(post)
    post.status = PostStatus.CHANGES_REQUESTED
    add_thread_entry(ctx.session, post, ctx.actor, "changes_requested", body, ctx.now())
    _record(ctx, post, "request_changes", body)
    return review_summary(ctx.session, post)


@use_case(Permission.POSTS_COMMENT)
def comment_post(ctx: Ctx, ref: str, text: str) -> dict[str, Any]:
    """Add a comment to the post's review thread.

    Raises:
        ValidationError: an empty comment.
    """
    body = _comment(text, required=True)
    post = get_post(ctx.session, ctx.org_id, ref)
    entry = add_thread_entry(ctx.session, post, ctx.actor, "comment", body, ctx.now())
    _record(ctx, post, "comment", body)
    return _entry(entry)


def _entry(c: PostComment) -> dict[str, Any]:
    return {"id": c.id, "author": c.author, "kind": c.kind, "body": c.body,
            "created_at": c.created_at}


@use_case(Permission.POSTS_READ)
def post_thread(ctx: Ctx, ref: str) -> dict[str, Any]:
    """The post's review state and its thread, oldest entry first."""
    post = get_post(ctx.session, ctx.org_id, ref)
    return {**review_summary(ctx.session, post),
            "comments": [_entry(c) for c in queries.post_comments(ctx.session, ctx.org_id,
                                                                   post.id)]}


def review_summary(session: Session, post: Post) -> dict[str, Any]:
    """The review facts of ``post`` for --json, tables and the TUI."""
    return {"name": post.name, "status": post.status,
            "approval": approval_state(session, post), "created_by": post.created_by,
            "approved_by": post.approved_by if is_approved(post) else None,
            "approved_at": post.approved_at if is_approved(post) else None}


@use_case(Permission.POSTS_READ)
def approvals_queue(ctx: Ctx) -> list[dict[str, Any]]:
    """The posts waiting for a review, longest waiting first, each with its text, targets
    and when it was (last) submitted."""
    posts = queries.posts_in_review(ctx.session, ctx.org_id, IN_REVIEW)
    since = queries.last_submitted(ctx.session, ctx.org_id, [p.id for p in posts])
    rows = [{**review_summary(ctx.session, post), "body": post.body,
             "targets": [v.account.ref for v in post.variants],
             "submitted_at": since.get(post.id) or post.updated_at} for post in posts]
    return sorted(rows, key=lambda r: (r["submitted_at"], r["name"]))


@use_case(Permission.POSTS_READ)
def approval_states(ctx: Ctx, names: list[str]) -> dict[str, str]:
    """The review state of each named post that exists (for the board and the editor)."""
    found = (post_named(ctx.session, ctx.org_id, name) for name in names)
    return {post.name: approval_state(ctx.session, post) for post in found if post is not None}
