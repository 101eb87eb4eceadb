"""X's inbox and replies against the fake's ``GET /2/users/:id/mentions``: mentions and
replies read once, a backlog paged back without a gap, replies with
``reply.in_reply_to_tweet_id``."""

from __future__ import annotations

from socialhub.platforms.base import PublishRequest
from socialhub.platforms.x.adapter import XAdapter
from tests.fakes.x import FakeX
from tests.fakes.x import start_fake as start_fake  # the `fake` fixture's (conftest.py)
from tests.platforms.test_x_adapter import make_adapter

adapter_for = make_adapter


def _me(adapter: XAdapter) -> str:
    assert adapter.account.external_id is not None
    return adapter.account.external_id


def test_mentions_and_replies_are_read_once(fake: FakeX, adapter: XAdapter) -> None:
    handle = adapter.account.handle.lstrip("@")
    ours = adapter.publish(PublishRequest("p1", ["Our launch"]), lambda p: None)
    bob, _ = fake.add_user("bob")
    fake.tweet_as(bob.id, f"@{handle} love it")
    fake.tweet_as(bob.id, "when does it ship?", reply_to=ours.remote_id)
    page = adapter.fetch_inbox({}, limit=100)
    assert [(i.kind, i.text, i.author_handle) for i in page.items] == [
        ("mention", f"@{handle} love it", "bob"), ("reply", "when does it ship?", "bob")]
    assert page.items[1].parent_id == ours.remote_id
    assert page.items[1].conversation_id == ours.remote_id
    assert not page.more
    assert adapter.fetch_inbox(page.cursor, limit=100).items == []
    fake.tweet_as(bob.id, f"@{handle} and another")
    assert [i.text for i in adapter.fetch_inbox(page.cursor, limit=100).items] == [
        f"@{handle} and another"]


def test_a_backlog_pages_back_and_the_cursor_moves_only_at_the_end(
        fake: FakeX, adapter: XAdapter) -> None:
    handle = adapter.account.handle.lstrip("@")
    bob, _ = fake.add_user("bob")
    first = adapter.fetch_inbox({}, limit=5)
    assert first.items == []
    for n in range(12):
        fake.tweet_as(bob.id, f"@{handle} number {n}")
    cursor, seen = first.cursor, []
    while True:
        page = adapter.fetch_inbox(cursor, limit=5)
        seen += [i.text for i in page.items]
        if page.more:
            assert page.cursor["since_id"] == cursor.get("since_id")  # not moved yet
        cursor = page.cursor
        if not page.more:
            break
    assert sorted(seen, key=lambda t: int(t.rsplit(" ", 1)[1])) == [
        f"@{handle} number {n}" for n in range(12)]
    assert len(set(seen)) == 12


def test_a_reply_threads_under_the_mention(fake: FakeX, adapter: XAdapter) -> None:
    bob, _ = fake.add_user("bob")
    asked = fake.tweet_as(bob.id, "@shop is it vegan?")
    result = adapter.publish(PublishRequest(
        "r1", ["Yes, fully vegan!"], options={"reply_to": {"remote_id": asked}}), lambda p: None)
    assert fake.tweets[result.remote_id]["reply_to"] == asked
    found = adapter.find_by_idempotency_key(PublishRequest(
        "r1", ["Yes, fully vegan!"], options={"reply_to": {"remote_id": asked}}))
    assert found is not None and found[0].remote_id == result.remote_id
