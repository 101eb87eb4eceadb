"""The Meta networks' inbox end to end: Instagram comments synced into the database (SQLite
and PostgreSQL) from the Graph fake, read once, and a reply to a reply sent by the delivery
engine under the top-level comment, as Instagram threads it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from socialhub.db.models import InboxItem
from socialhub.platforms.base import PublishRequest
from socialhub.security.keys import load_master_key
from socialhub.services.accounts import credentials
from socialhub.services.accounts.accounts import add_account
from socialhub.services.hub import Hub
from socialhub.services.inbox.reply import reply_to_item
from socialhub.services.inbox.sync import run_sync
from tests.fakes.instagram import start_fake
from tests.fakes.meta import FakeMeta
from tests.platforms.test_instagram_adapter import _adapter
from tests.publishing_kit import delivery, make_engine, run


@pytest.fixture
def fake() -> Iterator[FakeMeta]:
    server = start_fake()
    yield server
    server.stop()


def _connect(hub: Hub, fake: FakeMeta) -> tuple[int, str]:
    """The fake's account in the database; returns its id and one media id it posted."""
    adapter = _adapter(fake)
    try:
        media = adapter.publish(PublishRequest("p", ["Red bicycle"], media=fake.sample_media()),
                                lambda p: None).remote_id
    finally:
        adapter.close()
    info, tokens = adapter.account, adapter.tokens
    with hub.context("cli") as ctx:
        account = add_account(ctx, platform="instagram", handle=info.handle,
                              external_id=info.external_id, base_url=fake.url)
        credentials.store_tokens(ctx.session, account, tokens, load_master_key(hub.config))
        return account.id, media


def _items(hub: Hub) -> list[InboxItem]:
    with hub.transaction() as session:
        return list(session.scalars(select(InboxItem).order_by(InboxItem.received_at)))


def test_comments_sync_once_and_a_reply_goes_out_under_the_top_comment(
        hub: Hub, fake: FakeMeta) -> None:
    account, media = _connect(hub, fake)
    bob = fake.add_user("bob")
    top = fake.comment_as(bob, media, "Nice bike")
    fake.comment_as(bob, top, "What size is it?")
    [report] = run_sync(hub, [account])
    assert report.error is None and report.new == 2
    assert [(i.kind, i.author_handle, i.text) for i in _items(hub)] == [
        ("comment", "bob", "Nice bike"), ("reply", "bob", "What size is it?")]
    [again] = run_sync(hub, [account])  # inside the overlap: read again, stored once
    assert again.error is None and again.new == 0 and len(_items(hub)) == 2
    nested = _items(hub)[1]
    with hub.context("cli") as ctx:
        queued = reply_to_item(ctx, nested.id, "Size M")
    assert run(make_engine(hub), hub, [queued["delivery_id"]])
    sent = fake.posts_by_id[delivery(hub, queued["delivery_id"]).remote_id or ""]
    assert (sent.text, sent.reply_to) == ("Size M", top)
    [later] = run_sync(hub, [account])  # our own reply is not an inbox item
    assert later.error is None and later.new == 0
