"""Posts an agent proposes: they wait for a person's approval unless the agent is
trusted, and an untrusted agent never changes a post that may go out. On SQLite and
PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func, select

from socialhub.db.models import AuditEvent, Post
from socialhub.errors import ConflictError, PermissionDeniedError, ValidationError
from socialhub.services.accounts.accounts import add_account
from socialhub.services.authoring.posts import TargetSpec, create_post
from socialhub.services.authoring.proposals import propose_post, revise_proposal
from socialhub.services.authoring.review import (
    approvals_queue,
    approve_post,
    post_thread,
    request_changes,
)
from socialhub.services.authoring.scheduling import schedule_post
from tests.services.teams.test_approvals import later, person

ACCOUNT = "bluesky:@shop.example.com"


@pytest.fixture
def agent(ctx: Any) -> Any:
    """The agent acts as an editor; the owner's ``ctx`` made the account."""
    add_account(ctx, platform="bluesky", handle="shop.example.com")
    add_account(ctx, platform="mastodon", handle="shop@social.example",
                base_url="https://social.example")
    return replace(person(ctx, "agent-ed", "editor"), channel="mcp")


def _count(ctx: Any, model: Any) -> int:
    return int(ctx.session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_proposal_waits_for_approval_with_the_note_in_its_thread(agent: Any,
                                                                     ctx: Any) -> None:
    post = propose_post(agent, body="Spring sale", targets=[ACCOUNT], name="spring",
                        texts={"mastodon:@shop@social.example": "Spring sale, longer"},
                        note="from last year's best post")
    assert (post["status"], post["review"]["approval"]) == ("pending_approval",
                                                            "pending_approval")
    assert {t["account"]: t["text"] for t in post["targets"]} == {
        ACCOUNT: "Spring sale", "mastodon:@shop@social.example": "Spring sale, longer"}
    assert [r["name"] for r in approvals_queue(ctx)] == ["spring"]
    assert [(c["author"], c["kind"], c["body"]) for c in post_thread(ctx, "spring")[
        "comments"]] == [("agent-ed via mcp", "submitted", "from last year's best post")]
    assert post["review"]["created_by"] == "agent-ed via mcp"


def test_the_member_an_agent_acts_for_may_approve_what_it_wrote(agent: Any, ctx: Any) -> None:
    # On a desktop the agent acts as the local login, often the owner: the owner and the
    # owner's agent are the four eyes. The owner's own post stays theirs to not approve.
    owners_agent = replace(ctx, channel="mcp")
    propose_post(owners_agent, body="hello", targets=[ACCOUNT], name="p")
    assert approve_post(ctx, "p")["approval"] == "approved"
    create_post(ctx, body="mine", targets=[TargetSpec(account=ACCOUNT)], name="q")
    with pytest.raises(PermissionDeniedError, match="nobody reviews their own post"):
        approve_post(ctx, "q")


def test_a_trusted_agent_leaves_a_plain_draft(agent: Any) -> None:
    post = propose_post(agent, body="hello", targets=[ACCOUNT], review=False)
    assert post["status"] == "draft" and post["review"]["approval"] == "not_required"


def test_a_proposal_needs_a_target_and_a_viewer_may_not_propose(agent: Any, ctx: Any) -> None:
    with pytest.raises(ValidationError, match="at least one target"):
        propose_post(agent, body="hello", targets=[])
    with pytest.raises(PermissionDeniedError, match=r"vic \(viewer\) may not posts.write"):
        propose_post(person(ctx, "vic", "viewer"), body="hello", targets=[ACCOUNT])
    assert _count(ctx, Post) == 0


def test_a_revision_goes_back_to_review(agent: Any, ctx: Any) -> None:
    propose_post(agent, body="first words", targets=[ACCOUNT], name="p")
    request_changes(ctx, "p", comment="too short")
    revised = revise_proposal(agent, "p", body="better words", note="longer now")
    assert (revised["status"], revised["body"]) == ("pending_approval", "better words")
    assert revised["targets"][0]["text"] == "better words"
    kinds = [c["kind"] for c in post_thread(ctx, "p")["comments"]]
    assert kinds == ["submitted", "changes_requested", "submitted"]


@pytest.mark.parametrize("state", ["approved", "scheduled"])
def test_an_untrusted_agent_never_changes_a_post_that_may_go_out(agent: Any, ctx: Any,
                                                                 state: str) -> None:
    propose_post(agent, body="approved words", targets=[ACCOUNT], name="p")
    approve_post(ctx, "p")
    if state == "scheduled":
        schedule_post(ctx, "p", at=later(), now=ctx.now())
    rows = _count(ctx, AuditEvent)
    with pytest.raises(ConflictError, match=f"post p is {state}; an agent may change only"):
        revise_proposal(agent, "p", body="sneaky words")
    post = ctx.session.scalar(select(Post).where(Post.name == "p"))
    assert (post.status, post.body) == (state, "approved words")
    assert _count(ctx, AuditEvent) == rows
    trusted = revise_proposal(agent, "p", body="trusted words", review=False)
    assert trusted["body"] == "trusted words"
