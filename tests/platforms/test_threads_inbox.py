"""Threads' inbox and replies against the Graph fake: replies at every depth to the newest
posts read from ``/{post}/conversation`` without gaps, the account's own left out, a reply
published as a container with ``reply_to_id``."""

from __future__ import annotations

from datetime import timedelta

import pytest

from socialhub.platforms.base import PublishRequest
from socialhub.platforms.errors import AuthRevokedError, RateLimitedError
from socialhub.platforms.threads.adapter import ThreadsAdapter
from tests.fakes.meta import FakeMeta
from tests.fakes.threads import start_fake as start_fake  # the `fake` fixture's
from tests.platforms.test_threads_adapter import _adapter

adapter_for = _adapter


def _sync(adapter: ThreadsAdapter, cursor: dict[str, object], limit: int = 100
          ) -> tuple[list[str], dict[str, object]]:
    seen: list[str] = []
    while True:
        page = adapter.fetch_inbox(cursor, limit=limit)
        seen += [i.text for i in page.items]
        cursor = page.cursor
        if not page.more:
            return seen, cursor


def test_replies_at_every_depth_are_read_once(fake: FakeMeta, adapter: ThreadsAdapter) -> None:
    post = adapter.publish(PublishRequest("p1", ["Our launch"]), lambda p: None).remote_id
    bob, ann = fake.add_user("bob"), fake.add_user("ann")
    asked = fake.comment_as(bob, post, "When?", age=timedelta(minutes=30))
    adapter.publish(PublishRequest("r0", ["Monday"], options={"reply_to": {
        "remote_id": asked}}), lambda p: None)
    fake.comment_as(ann, asked, "Same question", age=timedelta(minutes=20))
    seen, cursor = _sync(adapter, {})
    assert seen == ["When?", "Same question"]
    first = adapter.fetch_inbox({}, limit=100)
    items = first.items
    assert [(i.kind, i.author_handle, i.parent_id, i.conversation_id) for i in items] == [
        ("reply", "bob", post, post), ("reply", "ann", asked, post)]
    assert _sync(adapter, cursor)[0] == []
    fake.comment_as(bob, post, "Any discount?")
    assert _sync(adapter, cursor)[0] == ["Any discount?"]


def test_a_long_conversation_is_paged_and_stops_at_what_was_read(
        fake: FakeMeta, adapter: ThreadsAdapter) -> None:
    post = adapter.publish(PublishRequest("p1", ["Poll"]), lambda p: None).remote_id
    bob = fake.add_user("bob")
    for n in range(6):
        fake.comment_as(bob, post, f"old {n}", age=timedelta(hours=2, seconds=-n))
    seen, cursor = _sync(adapter, {}, limit=4)
    assert sorted(seen) == [f"old {n}" for n in range(6)]
    fake.comment_as(bob, post, "new")
    before = len(fake.requests)
    assert _sync(adapter, cursor, limit=4)[0] == ["new"]
    pages = [r for r in fake.requests[before:] if r["path"].endswith("/conversation")]
    assert len(pages) == 1  # the first page already reaches replies read last time


def test_a_reply_is_a_reply_to_id_container_and_is_found_again(
        fake: FakeMeta, adapter: ThreadsAdapter) -> None:
    post = adapter.publish(PublishRequest("p1", ["Our launch"]), lambda p: None).remote_id
    asked = fake.comment_as(fake.add_user("bob"), post, "Vegan?")
    request = PublishRequest("r1", ["Yes!"], options={"reply_to": {"remote_id": asked}})
    sent = adapter.publish(request, lambda p: None).parts[0]
    assert fake.posts_by_id[sent.remote_id].reply_to == asked
    assert fake.posts_by_id[sent.remote_id].kind == "reply"
    found = adapter.find_by_idempotency_key(request)
    assert found is not None and found[0].remote_id == sent.remote_id
    fake.drop_scope("threads_read_replies")
    with pytest.raises(AuthRevokedError, match="threads_read_replies"):
        adapter.fetch_inbox({}, limit=10)


def test_a_post_deleted_during_a_round_is_passed_over(fake: FakeMeta,
                                                      adapter: ThreadsAdapter) -> None:
    older = adapter.publish(PublishRequest("p1", ["First"]), lambda p: None).remote_id
    newer = adapter.publish(PublishRequest("p2", ["Second"]), lambda p: None).remote_id
    bob = fake.add_user("bob")
    fake.comment_as(bob, older, "on the first")
    fake.comment_as(bob, newer, "on the second")
    page = adapter.fetch_inbox({}, limit=10)  # lists both, reads the newest
    assert [i.text for i in page.items] == ["on the second"] and page.more
    fake.posts_by_id[older].deleted = True
    last = adapter.fetch_inbox(page.cursor, limit=10)
    assert last.items == [] and not last.more and "round" not in last.cursor


def test_a_round_cut_short_by_throttling_resumes_where_it_stopped(
        fake: FakeMeta, adapter: ThreadsAdapter) -> None:
    older = adapter.publish(PublishRequest("p1", ["First"]), lambda p: None).remote_id
    newer = adapter.publish(PublishRequest("p2", ["Second"]), lambda p: None).remote_id
    bob = fake.add_user("bob")
    fake.comment_as(bob, older, "on the first")
    fake.comment_as(bob, newer, "on the second")
    page = adapter.fetch_inbox({}, limit=10)
    assert [i.text for i in page.items] == ["on the second"] and page.more
    fake.rate_limit_next(reset_in_s=120)
    with pytest.raises(RateLimitedError) as limited:
        adapter.fetch_inbox(page.cursor, limit=10)
    assert limited.value.until is not None
    resumed = adapter.fetch_inbox(page.cursor, limit=10)  # the cursor the sync had saved
    assert [i.text for i in resumed.items] == ["on the first"] and not resumed.more
