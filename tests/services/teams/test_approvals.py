"""Approvals: with `approvals: required` a post goes on the calendar only once someone else
approved its current content; an edit sends it back; an owner's bypass is recorded; the
review steps reach webhooks. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from socialhub.core.policy import Role
from socialhub.core.when import When
from socialhub.db.models import AuditEvent, Campaign, Delivery, Post
from socialhub.errors import ConflictError, PermissionDeniedError, ValidationError
from socialhub.services.accounts.accounts import add_account
from socialhub.services.authoring.posts import TargetSpec, create_post, edit_post
from socialhub.services.authoring.review import (
    approvals_queue,
    approve_post,
    comment_post,
    post_thread,
    request_changes,
    submit_post,
)
from socialhub.services.authoring.scheduling import publish_now, schedule_post
from socialhub.services.context import Actor
from socialhub.services.teams.organizations import set_approvals


def person(ctx: Any, name: str, role: str) -> Any:
    """``ctx`` acted by another person (same session and organization)."""
    return replace(ctx, actor=Actor(name=name, role=Role(role)))


def later() -> When:
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    return When(local=at.replace(tzinfo=None), zone="UTC", utc=at)


@pytest.fixture
def team(ctx: Any) -> dict[str, Any]:
    """An organization with approvals required, a draft by the editor Ed, and the people."""
    add_account(ctx, platform="bluesky", handle="shop.example.com")
    set_approvals(ctx, "required")
    ed, rita = person(ctx, "ed", "editor"), person(ctx, "rita", "reviewer")
    create_post(ed, name="launch", body="hello", targets=[
        TargetSpec(account="bluesky:@shop.example.com")])
    return {"owner": ctx, "ed": ed, "rita": rita, "ada": person(ctx, "ada", "admin")}


def _post(ctx: Any) -> Post:
    post = ctx.session.scalar(select(Post).where(Post.name == "launch"))
    assert post is not None
    return post


def _deliveries(ctx: Any) -> int:
    return len(list(ctx.session.scalars(select(Delivery))))


def test_an_editor_cannot_schedule_or_publish_an_unapproved_post(team: dict[str, Any]) -> None:
    ed = team["ed"]
    for attempt in (lambda: schedule_post(ed, "launch", at=later(), now=ed.now()),
                    lambda: publish_now(ed, "launch", now=ed.now())):
        with pytest.raises(ConflictError) as refused:
            attempt()
        assert str(refused.value) == ("post launch needs approval (approvals: required); "
                                      "submit it with `socialhub posts submit launch`")
    assert _deliveries(ed) == 0 and _post(ed).status == "draft"


def test_submit_approve_schedule_is_the_way_through(team: dict[str, Any]) -> None:
    ed, rita = team["ed"], team["rita"]
    assert submit_post(ed, "launch", comment="ready")["status"] == "pending_approval"
    assert [r["name"] for r in approvals_queue(rita)] == ["launch"]
    approved = approve_post(rita, "launch", comment="ship it")
    assert (approved["status"], approved["approval"], approved["approved_by"]) == (
        "approved", "approved", "rita")
    assert approvals_queue(rita) == []
    assert schedule_post(ed, "launch", at=later(), now=ed.now()).status == "scheduled"
    thread = post_thread(ed, "launch")
    assert [(c["author"], c["kind"], c["body"]) for c in thread["comments"]] == [
        ("ed", "submitted", "ready"), ("rita", "approved", "ship it")]


def test_nobody_approves_their_own_post(team: dict[str, Any]) -> None:
    owner_as_author = person(team["owner"], "ed", "owner")  # even an owner, if they wrote it
    submit_post(team["ed"], "launch")
    with pytest.raises(PermissionDeniedError, match="nobody reviews their own post"):
        approve_post(owner_as_author, "launch")
    with pytest.raises(PermissionDeniedError, match=r"posts\.approve"):
        approve_post(team["ed"], "launch")
    assert _post(team["ed"]).approved_digest is None


def test_editing_an_approved_post_sends_it_back_to_review(team: dict[str, Any]) -> None:
    ed, rita = team["ed"], team["rita"]
    submit_post(ed, "launch")
    approve_post(rita, "launch")
    schedule_post(ed, "launch", at=later(), now=ed.now())
    edit_post(ed, "launch", body="hello, edited")
    post = _post(ed)
    assert (post.status, post.approved_by, post.approved_digest) == (
        "pending_approval", None, None)
    assert [r["name"] for r in approvals_queue(rita)] == ["launch"]
    with pytest.raises(ConflictError, match="needs approval"):
        schedule_post(ed, "launch", at=later(), now=ed.now())
    approve_post(rita, "launch")
    assert _post(ed).status == "scheduled"  # its targets kept their times


def test_request_changes_needs_a_comment_and_withdraws_the_approval(
        team: dict[str, Any]) -> None:
    ed, rita = team["ed"], team["rita"]
    submit_post(ed, "launch")
    approve_post(rita, "launch")
    with pytest.raises(ValidationError, match="comment is required"):
        request_changes(rita, "launch", comment="  ")
    data = request_changes(rita, "launch", comment="shorter please")
    assert (data["status"], data["approval"]) == ("changes_requested", "changes_requested")
    assert _post(ed).approved_digest is None


def test_an_admin_may_bypass_and_the_bypass_is_recorded(team: dict[str, Any]) -> None:
    ed, ada = team["ed"], team["ada"]
    with pytest.raises(PermissionDeniedError, match="may not bypass"):
        schedule_post(ed, "launch", at=later(), now=ed.now(), bypass_approval=True)
    schedule_post(ada, "launch", at=later(), now=ada.now(), bypass_approval=True)
    assert _post(ada).approved_by == "ada"
    row = ada.session.scalar(select(AuditEvent).where(AuditEvent.action == "bypass_approval"))
    assert row is not None and row.record_name == "launch"
    assert row.change["bypassed_by"] == "ada"


def test_a_campaign_overrides_the_organization(team: dict[str, Any]) -> None:
    ed = team["ed"]
    ed.session.add(Campaign(org_id=ed.org_id, name="free", status="planned", approvals="off"))
    ed.session.flush()
    edit_post(ed, "launch", campaign="free")
    assert schedule_post(ed, "launch", at=later(), now=ed.now()).status == "scheduled"


def test_with_approvals_off_nothing_is_asked(ctx: Any) -> None:
    add_account(ctx, platform="bluesky", handle="shop.example.com")
    ed = person(ctx, "ed", "editor")
    create_post(ed, name="free", body="hi", targets=[
        TargetSpec(account="bluesky:@shop.example.com")])
    assert schedule_post(ed, "free", at=later(), now=ed.now()).status == "scheduled"


def test_review_steps_fire_their_webhooks_after_commit(
        db_home: str, receiver: tuple[str, list[dict[str, Any]]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from socialhub.services.hub import Hub
    from socialhub.services.settings import load_config

    url, received = receiver
    monkeypatch.setenv("SOCIALHUB_DAEMON_WEBHOOKS", f"[{{url: '{url}', events: [submitted, "
                       "approved, changes_requested, commented]}]")
    hub = Hub(load_config())
    try:
        with hub.context("cli") as ctx:
            add_account(ctx, platform="bluesky", handle="shop.example.com")
            create_post(person(ctx, "ed", "editor"), name="launch", body="hi",
                        targets=[TargetSpec(account="bluesky:@shop.example.com")])
        with hub.context("cli") as ctx:
            submit_post(person(ctx, "ed", "editor"), "launch", comment="ready")
            comment_post(person(ctx, "rita", "reviewer"), "launch", "nice")
            request_changes(person(ctx, "rita", "reviewer"), "launch", comment="shorter")
            approve_post(person(ctx, "rita", "reviewer"), "launch")
        with pytest.raises(RuntimeError), hub.context("cli") as ctx:
            comment_post(ctx, "launch", "rolled back")
            raise RuntimeError("boom")
        deadline = datetime.now(UTC) + timedelta(seconds=10)
        while len(received) < 4 and datetime.now(UTC) < deadline:
            threading.Event().wait(0.05)
    finally:
        hub.dispose()
    # sent in the background, so in any order; the rolled-back comment never
    assert sorted(r["event"] for r in received) == [
        "approved", "changes_requested", "commented", "submitted"]
    change = next(r for r in received if r["event"] == "changes_requested")["body"]["data"][
        "change"]
    assert (change["post"], change["by"], change["comment"]) == ("launch", "rita", "shorter")
