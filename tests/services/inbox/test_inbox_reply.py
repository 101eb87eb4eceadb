"""Replies from the inbox go through the delivery engine: threaded under the item, never sent
twice (same request twice, a lost answer, a killed worker), refused up front when too long."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from socialhub.db.models import Delivery, InboxItem
from socialhub.errors import PermissionDeniedError, ValidationError
from socialhub.sandbox_network.server import SandboxServer
from socialhub.services.hub import Hub
from socialhub.services.inbox.items import show_item
from socialhub.services.inbox.reply import reply_to_item
from socialhub.services.inbox.sync import run_sync
from socialhub.services.publishing.queue import list_queue
from tests.conftest import ctx_as
from tests.publishing_kit import delivery, make_engine, outcomes, run, sandbox_posts
from tests.services.inbox.conftest import simulate


def _first_item(hub: Hub, kind: str | None = None) -> InboxItem:
    with hub.transaction() as session:
        q = select(InboxItem).order_by(InboxItem.id)
        if kind:
            q = q.where(InboxItem.kind == kind)
        item = session.scalars(q).first()
        assert item is not None
        session.expunge(item)
        return item


@pytest.fixture
def item(hub: Hub, sandbox: SandboxServer, account: int) -> InboxItem:
    simulate(sandbox, 10)
    run_sync(hub, [account])
    return _first_item(hub)


def test_a_reply_is_a_delivery_threaded_under_the_item(
        hub: Hub, sandbox: SandboxServer, item: InboxItem) -> None:
    with hub.context("cli") as ctx:
        queued = reply_to_item(ctx, item.id, "Thanks for writing!")
        assert queued["created"] and queued["status"] == "scheduled"
        assert [r["id"] for r in list_queue(ctx)] == [queued["delivery_id"]]
    assert run(make_engine(hub), hub, [queued["delivery_id"]])
    [sent] = [p for p in sandbox_posts(sandbox.url) if p["text"] == "Thanks for writing!"]
    assert sent["reply_to"] == item.remote_id
    assert delivery(hub, queued["delivery_id"]).remote_id == sent["id"]
    with hub.context("cli") as ctx:
        shown = show_item(ctx, item.id)
    ours = [e for e in shown["conversation"] if e["role"] == "us"]
    assert [(e["text"], e["status"]) for e in ours] == [("Thanks for writing!", "published")]
    assert shown["item"]["read"] is True


def test_asking_twice_is_one_delivery_and_one_message(
        hub: Hub, sandbox: SandboxServer, item: InboxItem) -> None:
    with hub.context("cli") as ctx:
        first = reply_to_item(ctx, item.id, "On its way!")
    with hub.context("cli") as ctx:
        second = reply_to_item(ctx, item.id, "On its way!")
    assert second["delivery_id"] == first["delivery_id"] and not second["created"]
    assert run(make_engine(hub), hub, [first["delivery_id"]])
    with hub.context("cli") as ctx:
        again = reply_to_item(ctx, item.id, "On its way!")
    assert again["delivery_id"] == first["delivery_id"] and again["status"] == "published"
    assert [p["text"] for p in sandbox_posts(sandbox.url)].count("On its way!") == 1


def test_a_lost_answer_is_looked_up_not_resent(
        hub: Hub, sandbox: SandboxServer, item: InboxItem) -> None:
    sandbox.configure(timeout_rate=1.0, hang_s=3.0)
    with hub.context("cli") as ctx:
        d_id = reply_to_item(ctx, item.id, "We are on it.")["delivery_id"]
    engine = make_engine(hub, timeout_s=0.5, base=0.2)
    engine.run_until(lambda: delivery(hub, d_id).status == "unconfirmed", timeout_s=10)
    assert delivery(hub, d_id).status == "unconfirmed"
    sandbox.configure(timeout_rate=0.0)
    assert run(engine, hub, [d_id])
    sent = [p for p in sandbox_posts(sandbox.url) if p["text"] == "We are on it."]
    assert len(sent) == 1 and sent[0]["reply_to"] == item.remote_id
    assert outcomes(hub, d_id) == ["unknown", "published"]


def test_a_worker_killed_mid_send_does_not_send_twice(
        hub: Hub, sandbox: SandboxServer, item: InboxItem) -> None:
    # The send reached the platform, then the worker died: its lease expires with the
    # delivery "publishing", the next claim turns it "unconfirmed" and looks it up.
    from datetime import UTC, datetime, timedelta

    with hub.context("cli") as ctx:
        d_id = reply_to_item(ctx, item.id, "Sorry about that!")["delivery_id"]
    with hub.transaction() as session:
        d = session.get(Delivery, d_id)
        assert d is not None
        key = d.idempotency_key
    import httpx

    from socialhub.platforms.sandbox.adapter import part_key

    token = httpx.post(f"{sandbox.url}/oauth/token", data={
        "grant_type": "client_credentials", "handle": "demo"}, timeout=10).json()["access_token"]
    httpx.post(f"{sandbox.url}/api/posts", json={"text": "Sorry about that!",
                                                 "reply_to": item.remote_id},
               headers={"Authorization": f"Bearer {token}",
                        "Idempotency-Key": part_key(key, 0)}, timeout=10).raise_for_status()
    with hub.transaction() as session:
        d = session.get(Delivery, d_id)
        assert d is not None
        d.status, d.attempts = "publishing", 1
        d.lease_owner = "elsewhere:999999:dead"
        d.lease_expires_at = datetime.now(UTC) - timedelta(seconds=1)
    assert run(make_engine(hub), hub, [d_id])
    assert [p["text"] for p in sandbox_posts(sandbox.url)].count("Sorry about that!") == 1


def test_too_long_is_refused_up_front_with_the_count_or_split(
        hub: Hub, sandbox: SandboxServer, item: InboxItem) -> None:
    long_text = "word " * 150  # 750 characters; the sandbox allows 500
    with hub.context("cli") as ctx, pytest.raises(ValidationError) as caught:
        reply_to_item(ctx, item.id, long_text)
    assert "749" in str(caught.value) and "500" in str(caught.value)
    with hub.transaction() as session:
        assert session.scalars(select(Delivery)).first() is None  # nothing stored
    with hub.context("cli") as ctx:
        split = reply_to_item(ctx, item.id, long_text, split=True)
    assert split["parts"] == 2
    assert run(make_engine(hub), hub, [split["delivery_id"]])
    posts = [p for p in sandbox_posts(sandbox.url) if p["text"].startswith("word")]
    assert posts[0]["reply_to"] == item.remote_id
    assert posts[1]["reply_to"] == posts[0]["id"]


def test_viewers_cannot_reply(hub: Hub, item: InboxItem) -> None:
    with hub.context("cli") as ctx, pytest.raises(PermissionDeniedError):
        reply_to_item(ctx_as(ctx, "viewer"), item.id, "hi")
