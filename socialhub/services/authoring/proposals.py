"""Posts proposed by an agent: a draft that waits for a person's approval.

An agent (the MCP server's tools, ``socialhub/mcp_server``) writes posts the way a
person does, through ``create_post`` and ``edit_post``, but by default what it
writes goes straight to review: the post is submitted (``pending_approval``) in
the same transaction, so it joins the approvals queue and nothing it wrote is
scheduled or published until a second person approves it. A trusted agent
(``mcp.trust_drafts``) leaves plain drafts, as a person at the CLI does.

An untrusted agent may revise only posts that have not been approved or
scheduled: a revision to a post that may already go out would publish words no
person read.

The agent writes under its own name, ``<login> via <channel>`` (``olivia via
mcp``), with the member's role: the post's author and its review thread say
an agent wrote it, and the member it acts for may approve it — the agent and
the person are the four eyes (``review._refuse_own`` compares authors). The
audit trail names the member and the channel, as for any call.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from socialhub.core.policy import Permission
from socialhub.core.status import PostStatus
from socialhub.errors import ConflictError, ValidationError
from socialhub.services.authoring.posts import TargetSpec, create_post, edit_post, get_post
from socialhub.services.authoring.review import review_summary, submit_post
from socialhub.services.authoring.scheduling import post_summary
from socialhub.services.context import Ctx, use_case

#: The statuses an untrusted agent may revise: nothing in them can go out.
REVISABLE = (PostStatus.DRAFT.value, PostStatus.PENDING_APPROVAL.value,
             PostStatus.CHANGES_REQUESTED.value)


def _as_agent(ctx: Ctx) -> Ctx:
    """``ctx`` with the agent as its actor: the member's role and user, named
    ``<login> via <channel>``."""
    return replace(ctx, actor=replace(ctx.actor, name=f"{ctx.actor.name} via {ctx.channel}"))


def _with_review(ctx: Ctx, name: str) -> dict[str, Any]:
    post = get_post(ctx.session, ctx.org_id, name)
    return {**post_summary(ctx.session, post),
            "review": review_summary(ctx.session, post)}


@use_case(Permission.POSTS_WRITE)
def propose_post(ctx: Ctx, *, body: str, targets: list[str],
                 texts: dict[str, str] | None = None, name: str | None = None,
                 campaign: str | None = None, voice: str | None = None,
                 tags: list[str] | None = None, note: str | None = None,
                 review: bool = True) -> dict[str, Any]:
    """Create a draft post for ``targets``; with ``review`` (the default) it is submitted
    for approval at once and comes back ``pending_approval``.

    ``texts`` gives a target its own text (by account ref); ``note`` is the
    submission's comment in the review thread.

    Returns:
        The post as ``post_summary`` gives it, plus its ``review`` state.

    Raises:
        ValidationError: no target, empty post, bad name, over-length text.
        ConflictError: a post with that name exists.
        NotFoundError: an unknown account, campaign or voice.
    """
    extra = [ref for ref in (texts or {}) if ref not in targets]
    refs = list(dict.fromkeys([*targets, *extra]))
    if not refs:
        raise ValidationError("a post needs at least one target account (platform:@handle)")
    specs = [TargetSpec(account=ref, text=(texts or {}).get(ref)) for ref in refs]
    agent = _as_agent(ctx)
    post = create_post(agent, body=body, targets=specs, name=name, campaign=campaign,
                       voice=voice, tags=tags)
    if review:
        submit_post(agent, post.name, comment=note)
    return _with_review(ctx, post.name)


@use_case(Permission.POSTS_WRITE)
def revise_proposal(ctx: Ctx, ref: str, *, body: str | None = None,
                    texts: dict[str, str] | None = None,
                    add_targets: list[str] | None = None,
                    remove_targets: list[str] | None = None,
                    tags: list[str] | None = None, campaign: str | None = None,
                    note: str | None = None, review: bool = True) -> dict[str, Any]:
    """Change a post that has not gone anywhere yet; with ``review`` (the default) only a
    draft, ``pending_approval`` or ``changes_requested`` post may be changed, and it is
    submitted again, so the reviewer sees the new words.

    Returns:
        The post as ``post_summary`` gives it, plus its ``review`` state.

    Raises:
        ConflictError: with ``review``, the post is approved, scheduled or further on.
        NotFoundError: no such post, account or campaign.
    """
    post = get_post(ctx.session, ctx.org_id, ref)
    if review and post.status not in REVISABLE:
        raise ConflictError(
            f"post {post.name} is {post.status}; an agent may change only drafts and "
            f"posts in review (statuses: {', '.join(REVISABLE)})",
            hint=f"a person edits it with `socialhub posts edit {post.name}`")
    agent = _as_agent(ctx)
    edited = edit_post(agent, ref, body=body, texts=texts, add_targets=add_targets,
                       remove_targets=remove_targets, tags=tags, campaign=campaign)
    if review:
        submit_post(agent, edited.name, comment=note)
    return _with_review(ctx, edited.name)
