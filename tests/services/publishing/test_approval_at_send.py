"""The daemon never publishes a post that lost its approval: checked when the send starts,
against the content as it is then, with the real engine and the sandbox network, on
SQLite and PostgreSQL. A held delivery ends `dead` with its reason in `queue list`."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select, update

from socialhub.core.policy import Role
from socialhub.db.models import Delivery, Variant
from socialhub.sandbox_network.server import SandboxServer
from socialhub.services.authoring.posts import TargetSpec, create_post, edit_post
from socialhub.services.authoring.review import approve_post, submit_post
from socialhub.services.authoring.scheduling import schedule_post
from socialhub.services.context import Actor, Ctx
from socialhub.services.hub import Hub
from socialhub.services.publishing.engine import PublishingEngine
from socialhub.services.publishing.queue import list_queue
from socialhub.services.teams.organizations import set_approvals
from tests.publishing_kit import delivery, now, run, sandbox_posts, when


def _as(ctx: Ctx, name: str, role: str) -> Ctx:
    return replace(ctx, actor=Actor(name=name, role=Role(role)))


def approved_and_due(hub: Hub, name: str) -> int:
    """A post written by ed, approved by rita and scheduled; due now. Its delivery id."""
    with hub.context("cli") as ctx:
        set_approvals(ctx, "required")
        ed, rita = _as(ctx, "ed", "editor"), _as(ctx, "rita", "reviewer")
        create_post(ed, name=name, body=f"hello from {name}",
                    targets=[TargetSpec(account="sandbox:@demo")])
        submit_post(ed, name)
        approve_post(rita, name)
        post = schedule_post(ed, name, at=when(now() + timedelta(hours=1)), now=now())
        row = ctx.session.scalar(select(Delivery).where(
            Delivery.variant_id == post.variants[0].id))
        assert row is not None
        row.due_at = row.next_attempt_at = now() - timedelta(seconds=1)
        return row.id


def test_an_approved_post_goes_out(hub: Hub, sandbox: SandboxServer, account: int,
                                   engine: PublishingEngine) -> None:
    d_id = approved_and_due(hub, "fine")
    assert run(engine, hub, [d_id])
    assert [p["text"] for p in sandbox_posts(sandbox.url)] == ["hello from fine"]


def test_content_changed_behind_the_approval_never_goes_out(
        hub: Hub, sandbox: SandboxServer, account: int, engine: PublishingEngine) -> None:
    d_id = approved_and_due(hub, "sneaky")
    with hub.transaction() as session:  # an edit that skipped the services (raw SQL)
        session.execute(update(Variant).values(text="something else entirely"))
    assert run(engine, hub, [d_id], statuses=("dead", "published"))
    d = delivery(hub, d_id)
    assert d.status == "dead"
    assert d.last_error is not None and "changed after it was approved" in d.last_error
    assert sandbox_posts(sandbox.url) == []
    with hub.context("cli") as ctx:
        rows = list_queue(ctx)
    assert [(r["id"], r["status"]) for r in rows] == [(d_id, "dead")]
    assert "posts submit sneaky" in str(rows[0]["last_error"])


def test_an_edit_after_approval_holds_the_scheduled_send(
        hub: Hub, sandbox: SandboxServer, account: int, engine: PublishingEngine) -> None:
    d_id = approved_and_due(hub, "edited")
    with hub.context("cli") as ctx:
        edit_post(_as(ctx, "ed", "editor"), "edited", body="hello, edited")
    assert run(engine, hub, [d_id], statuses=("dead", "published"))
    d = delivery(hub, d_id)
    assert d.status == "dead" and "is not approved" in str(d.last_error)
    assert sandbox_posts(sandbox.url) == []
