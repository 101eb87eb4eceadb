"""The inbox end to end on YouTube and Reddit against their fakes (real HTTP): ``inbox sync``
stores each comment once, and a reply from the inbox goes out through the delivery engine
exactly once, threaded where the platform threads it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from socialhub.db.models import InboxItem
from socialhub.platforms.base import AccountInfo, PublishRequest, Tokens
from socialhub.services.hub import Hub
from socialhub.services.inbox.reply import reply_to_item
from socialhub.services.inbox.sync import run_sync
from tests.fakes.reddit import FakeReddit
from tests.fakes.youtube import FakeYouTube
from tests.publishing_kit import delivery, make_engine, run

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _add(hub: Hub, info: AccountInfo, tokens: Tokens) -> int:
    from socialhub.security.keys import load_master_key
    from socialhub.services.accounts import credentials
    from socialhub.services.accounts.accounts import add_account

    with hub.context("cli") as ctx:
        account = add_account(ctx, platform=info.platform, handle=info.handle,
                              external_id=info.external_id, base_url=info.base_url,
                              settings=dict(info.settings) or None)
        credentials.store_tokens(ctx.session, account, credentials.Tokens(
            access_token=tokens.access_token, refresh_token=tokens.refresh_token,
            expires_at=tokens.expires_at, scopes=list(tokens.scopes)),
            load_master_key(hub.config))
        return account.id


def _item(hub: Hub, author: str) -> int:
    with hub.transaction() as session:
        return session.scalars(select(InboxItem.id).where(
            InboxItem.author_handle == author)).one()


@pytest.fixture
def youtube() -> Iterator[FakeYouTube]:
    fake = FakeYouTube()
    yield fake
    fake.stop()


@pytest.fixture
def reddit() -> Iterator[FakeReddit]:
    fake = FakeReddit()
    yield fake
    fake.stop()


def test_youtube_comments_sync_once_and_a_reply_answers_the_thread(
        hub: Hub, youtube: FakeYouTube) -> None:
    info, tokens, _ = youtube.account()
    account = _add(hub, info, tokens)
    video = youtube.add_video("Launch", datetime.now(UTC))
    asked = youtube.comment_as("@bob", video, "Which lens is that?")
    [report] = run_sync(hub, [account])
    assert (report.new, report.error) == (1, None)
    assert run_sync(hub, [account])[0].new == 0
    item_id = _item(hub, "bob")
    with hub.context("cli") as ctx:
        d_id = reply_to_item(ctx, item_id, "A 35 mm prime.")["delivery_id"]
    assert run(make_engine(hub), hub, [d_id], timeout=30)
    sent = delivery(hub, d_id)
    [reply] = [c for c in youtube.comments if c["parent"] == asked]
    assert (sent.remote_id, reply["text"]) == (reply["id"], "A 35 mm prime.")
    assert run_sync(hub, [account])[0].new == 0  # our own reply is not an inbox item


def test_reddit_messages_sync_once_and_a_reply_answers_the_message(
        hub: Hub, reddit: FakeReddit) -> None:
    info, tokens, _ = reddit.account()
    tokens.scopes = ["identity", "submit", "read", "edit", "history", "privatemessages"]
    account = _add(hub, info, tokens)
    reddit.send_message("dave", info.handle, "order", "Where is my order?")
    [report] = run_sync(hub, [account])
    assert (report.new, report.error) == (1, None)
    assert run_sync(hub, [account])[0].new == 0
    item_id = _item(hub, "dave")
    with hub.context("cli") as ctx:
        d_id = reply_to_item(ctx, item_id, "It ships today.")["delivery_id"]
    assert run(make_engine(hub), hub, [d_id], timeout=30)
    answers = [e["data"] for e in reddit.inboxes["dave"]]
    assert [(a["body"], a["author"]) for a in answers] == [("It ships today.", info.handle)]
    assert delivery(hub, d_id).remote_id == answers[0]["name"]
    assert run_sync(hub, [account])[0].new == 0


def test_a_reddit_account_without_the_inbox_scope_still_publishes(
        hub: Hub, reddit: FakeReddit) -> None:
    info, tokens, app = reddit.account()
    tokens.scopes = ["identity", "submit", "read", "edit", "history"]  # connected before
    account = _add(hub, info, tokens)
    [report] = run_sync(hub, [account])
    assert report.error is not None and "privatemessages" in report.error
    from socialhub.platforms.reddit.adapter import RedditAdapter

    adapter = RedditAdapter(info, tokens, app=app)
    try:  # the account was not marked for reconnection by the inbox's refusal
        assert adapter.publish(PublishRequest("still", ["Still posting\nyes"]),
                               lambda p: None).remote_id
    finally:
        adapter.close()
    from socialhub.services.accounts.accounts import get_account

    with hub.context("cli") as ctx:
        assert get_account(ctx.session, ctx.org_id, f"reddit:@{info.handle}").status \
            != "needs_reauth"
