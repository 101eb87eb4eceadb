"""The approval gate: whether a post needs an approval, whether it has one, and what an
edit or a bypass does to it.

The scheduling use cases call :func:`require_approval` before a post goes on the
calendar or out now; ``edit_post`` calls :func:`lapse_approval` after a change;
the review use cases (``services.authoring.review``) call :func:`grant_approval`.
The daemon makes the same check at send time from the stored digest
(``core.approvals.send_blocker``).
"""

from __future__ import annotations

import shlex
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from socialhub.core.approvals import approval_valid, approvals_required, content_digest
from socialhub.core.policy import Role
from socialhub.core.status import PostStatus
from socialhub.db.models import Post, PostComment
from socialhub.db.queries import teams as queries
from socialhub.errors import ConflictError, PermissionDeniedError
from socialhub.services.audit import record_event
from socialhub.services.context import Actor

#: Who may schedule an unapproved post by saying so (``--bypass-approval``).
BYPASS_ROLES = (Role.OWNER, Role.ADMIN)


def post_targets(post: Post) -> list[dict[str, Any]]:
    """What ``post`` would publish, one mapping per target (``core.approvals.CONTENT_FIELDS``)."""
    return [{"account_id": v.account_id, "text": v.text, "thread": v.thread, "media": v.media,
             "first_comment": v.first_comment, "options": v.options} for v in post.variants]


def post_digest(post: Post) -> str:
    """The digest of ``post``'s publishable content as it is now."""
    return content_digest(post_targets(post))


def required_for(session: Session, post: Post) -> bool:
    """Whether ``post`` needs an approval: its campaign's setting, else its organization's."""
    return approvals_required(queries.organization_settings(session, post.org_id),
                              queries.campaign_approvals(session, post.campaign_id))


def is_approved(post: Post) -> bool:
    """Whether ``post`` carries an approval that still covers its content."""
    return approval_valid(post.approved_digest, post_digest(post))


def approval_state(session: Session, post: Post) -> str:
    """The post's review state for people: ``approved``, ``pending_approval``,
    ``changes_requested``, ``needs_approval`` (required, never submitted) or
    ``not_required``."""
    if is_approved(post):
        return "approved"
    if post.status in (PostStatus.PENDING_APPROVAL, PostStatus.CHANGES_REQUESTED):
        return str(post.status)
    return "needs_approval" if required_for(session, post) else "not_required"


def add_thread_entry(session: Session, post: Post, by: Actor, kind: str, body: str,
                     at: datetime) -> PostComment:
    """Append an entry (``comment``, ``submitted``, ``approved``, ``changes_requested``)
    by ``by`` to the post's review thread."""
    entry = PostComment(org_id=post.org_id, post_id=post.id, user_id=by.user_id,
                        author=by.name, kind=kind, body=body, created_at=at)
    session.add(entry)
    session.flush()
    return entry


def grant_approval(post: Post, by: Actor, at: datetime) -> None:
    """Store the approval of ``post``'s current content by ``by``."""
    post.approved_by = by.name
    post.approved_at = at
    post.approved_digest = post_digest(post)


def clear_approval(post: Post) -> None:
    """Forget ``post``'s approval."""
    post.approved_by = post.approved_at = post.approved_digest = None


def require_approval(session: Session, post: Post, by: Actor, at: datetime, *,
                     bypass: bool = False) -> None:
    """Refuse to put ``post`` on the calendar (or out now) without the approval it needs.

    With ``bypass`` an owner or admin goes ahead anyway: the post is marked
    approved by them and the bypass is recorded (``post.approval_bypassed``).

    Raises:
        ConflictError: approvals are required and the post has no valid approval.
        PermissionDeniedError: ``bypass`` by someone who is not an owner or admin.
    """
    if not required_for(session, post) or is_approved(post):
        return
    name = post.name
    if not bypass:
        raise ConflictError(
            f"post {name} needs approval (approvals: required); submit it with "
            f"`socialhub posts submit {shlex.quote(name)}`")
    if by.role not in BYPASS_ROLES:
        raise PermissionDeniedError(
            f"{by.name} ({by.role.value}) may not bypass approvals: only an owner or admin may")
    grant_approval(post, by, at)
    record_event(session, post.org_id, "bypass_approval", "Post", record_id=post.id,
                 name=name, change={"post": name, "bypassed_by": by.name,
                                    "approved_digest": post.approved_digest})


def lapse_approval(session: Session, post: Post, by: Actor, at: datetime) -> bool:
    """After an edit: when the approved content changed, the approval lapses and the post
    goes back to review (``pending_approval``). Returns whether it lapsed."""
    if post.approved_digest is None or is_approved(post):
        return False
    clear_approval(post)
    post.status = PostStatus.PENDING_APPROVAL
    add_thread_entry(session, post, by, "submitted", "edited after approval: back to review",
                     at)
    return True
