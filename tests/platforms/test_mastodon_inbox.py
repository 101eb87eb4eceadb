"""Mastodon's inbox and replies against the fake instance's ``/api/v1/notifications``:
mentions, replies and direct messages read forward from the cursor without gaps, replies
threaded with ``in_reply_to_id`` (direct ones stay direct)."""

from __future__ import annotations

from socialhub.platforms.base import PublishRequest
from socialhub.platforms.mastodon.adapter import MastodonAdapter
from tests.fakes.mastodon import FakeMastodon
from tests.platforms.test_mastodon_adapter import _adapter, start_fake

adapter_for = _adapter
__all__ = ["start_fake"]


def _me(adapter: MastodonAdapter) -> str:
    assert adapter.account.external_id is not None
    return adapter.account.external_id


def test_mentions_replies_and_messages_are_read_once_in_order(
        fake: FakeMastodon, adapter: MastodonAdapter) -> None:
    me = _me(adapter)
    ours = adapter.publish(PublishRequest("p1", ["Our launch post"]), lambda p: None)
    bob, _ = fake.add_account("bob")
    fake.mention_from(bob, me, "@shop hello there")
    fake.mention_from(bob, me, "@shop when does it ship?", in_reply_to=ours.remote_id)
    fake.mention_from(bob, me, "@shop my order number is 1042", visibility="direct")
    page = adapter.fetch_inbox({}, limit=40)
    assert [i.kind for i in page.items] == ["mention", "reply", "message"]
    assert [i.author_handle for i in page.items] == ["bob"] * 3
    assert page.items[1].parent_id == ours.remote_id
    assert page.items[1].text == "@shop when does it ship?"
    assert page.items[2].conversation_id == "dm:bob"
    again = adapter.fetch_inbox(page.cursor, limit=40)
    assert again.items == [] and again.cursor == page.cursor
    fake.mention_from(bob, me, "@shop one more thing")
    later = adapter.fetch_inbox(page.cursor, limit=40)
    assert [i.text for i in later.items] == ["@shop one more thing"]


def test_a_backlog_is_paged_forward_without_gaps(fake: FakeMastodon,
                                                  adapter: MastodonAdapter) -> None:
    me = _me(adapter)
    bob, _ = fake.add_account("bob")
    for n in range(7):
        fake.mention_from(bob, me, f"@shop number {n}")
    cursor: dict[str, object] = {}
    texts: list[str] = []
    while True:
        page = adapter.fetch_inbox(cursor, limit=3)
        texts += [i.text for i in page.items]
        cursor = page.cursor
        if not page.more:
            break
    assert texts == [f"@shop number {n}" for n in range(7)]
    calls = [r for r in fake.requests if r["path"] == "/api/v1/notifications"]
    assert calls and all(r["params"].get("types[]") == "mention" for r in calls)


def test_a_reply_threads_under_the_item_and_a_dm_answer_stays_direct(
        fake: FakeMastodon, adapter: MastodonAdapter) -> None:
    me = _me(adapter)
    bob, _ = fake.add_account("bob")
    asked = fake.mention_from(bob, me, "@shop psst", visibility="direct")
    result = adapter.publish(PublishRequest(
        "r1", ["@bob here you go"],
        options={"reply_to": {"remote_id": asked}, "visibility": "direct"}), lambda p: None)
    status = fake.statuses[result.remote_id]
    assert status["in_reply_to_id"] == asked and status["visibility"] == "direct"
    # an unconfirmed reply is found again by its text under the same parent
    found = adapter.find_by_idempotency_key(PublishRequest(
        "r1", ["@bob here you go"], options={"reply_to": {"remote_id": asked}}))
    assert found is not None and found[0].remote_id == result.remote_id
