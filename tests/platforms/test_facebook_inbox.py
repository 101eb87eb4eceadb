"""Facebook Pages' inbox and replies against the Graph fake: comments and replies to
comments on the Page's posts read once (``filter=stream``, ``since``, cursor pages), the
Page's own comments left out, replies as comments under the top-level comment."""

from __future__ import annotations

from datetime import timedelta

import pytest

from socialhub.platforms.base import PublishRequest
from socialhub.platforms.errors import AuthRevokedError, OutcomeUnknownError, RateLimitedError
from socialhub.platforms.facebook.adapter import FacebookAdapter
from tests.fakes.facebook import start_fake as start_fake  # the `fake` fixture's (conftest.py)
from tests.fakes.meta import FakeMeta


def _sync(adapter: FacebookAdapter, cursor: dict[str, object], limit: int = 100
          ) -> tuple[list[tuple[str, str, str]], dict[str, object], int]:
    """Every page until caught up: (kind, author, text) of each item, the cursor, pages."""
    seen, pages = [], 0
    while True:
        page = adapter.fetch_inbox(cursor, limit=limit)
        pages += 1
        seen += [(i.kind, i.author_handle, i.text) for i in page.items]
        cursor = page.cursor
        if not page.more:
            return seen, cursor, pages


def test_comments_and_replies_on_page_posts_are_read_once(fake: FakeMeta,
                                                          adapter: FacebookAdapter) -> None:
    post = adapter.publish(PublishRequest("p1", ["Our launch"]), lambda p: None).remote_id
    bob = fake.add_user("bob")
    asked = fake.comment_as(bob, post, "When does it ship?", age=timedelta(minutes=20))
    adapter.publish(PublishRequest("r0", ["Monday!"], options={"reply_to": {
        "remote_id": asked}}), lambda p: None)
    fake.comment_as(bob, asked, "Great, thanks", age=timedelta(minutes=10))
    page = adapter.fetch_inbox({}, limit=100)
    items = page.items
    while page.more:
        page = adapter.fetch_inbox(page.cursor, limit=100)
        items += page.items
    assert [(i.kind, i.author_handle, i.text) for i in items] == [
        ("comment", "Bob", "When does it ship?"), ("reply", "Bob", "Great, thanks")]
    assert items[0].parent_id == post and items[0].conversation_id == post
    assert items[1].parent_id == asked and items[1].context["reply_root"] == asked
    # older than the overlap before the last round's start: not read again (items inside
    # the overlap are, and the store keeps them once)
    again, cursor, _ = _sync(adapter, page.cursor)
    assert again == []
    fake.comment_as(bob, post, "One more question")
    later, _, _ = _sync(adapter, cursor)
    assert later == [("comment", "Bob", "One more question")]
    calls = [r for r in fake.requests if r["path"].endswith("/comments")
             and r["method"] == "GET"]
    assert calls[-1]["params"]["filter"] == "stream"
    assert calls[-1]["params"]["order"] == "reverse_chronological"
    assert "since" not in calls[0]["params"]  # the first sync reads every comment
    assert int(calls[-1]["params"]["since"]) == int(str(cursor["since"])) - 300


def test_a_busy_post_is_paged_without_gaps_within_the_page_budget(
        fake: FakeMeta, adapter: FacebookAdapter) -> None:
    post = adapter.publish(PublishRequest("p1", ["Giveaway"]), lambda p: None).remote_id
    bob = fake.add_user("bob")
    for n in range(7):
        fake.comment_as(bob, post, f"entry {n}", age=timedelta(seconds=60 - n))
    seen, _, pages = _sync(adapter, {}, limit=3)
    assert [t for _, _, t in seen] and sorted(t for _, _, t in seen) == [
        f"entry {n}" for n in range(7)]
    assert pages == 3  # 3 + 3 + 1 comments: one Graph page per call


def test_a_reply_to_a_reply_goes_under_the_top_level_comment(
        fake: FakeMeta, adapter: FacebookAdapter) -> None:
    post = adapter.publish(PublishRequest("p1", ["Our launch"]), lambda p: None).remote_id
    bob = fake.add_user("bob")
    top = fake.comment_as(bob, post, "Nice")
    nested = fake.comment_as(bob, top, "Is it vegan?")
    request = PublishRequest("r1", ["Yes, fully vegan!"], options={
        "reply_to": {"remote_id": nested, "root_id": top}})
    sent = adapter.publish(request, lambda p: None).parts[0]
    assert fake.posts_by_id[sent.remote_id].reply_to == top
    found = adapter.find_by_idempotency_key(request)
    assert found is not None and found[0].remote_id == sent.remote_id
    assert adapter.find_by_idempotency_key(PublishRequest("r2", ["Something else"], options={
        "reply_to": {"remote_id": nested, "root_id": top}})) is None


def test_a_lost_answer_to_a_reply_is_found_not_resent(fake: FakeMeta,
                                                      adapter: FacebookAdapter) -> None:
    post = adapter.publish(PublishRequest("p1", ["Our launch"]), lambda p: None).remote_id
    asked = fake.comment_as(fake.add_user("bob"), post, "Vegan?")
    request = PublishRequest("r1", ["Yes!"], options={"reply_to": {"remote_id": asked}})
    fake.fail_next(500, after_create=True)
    with pytest.raises(OutcomeUnknownError):
        adapter.publish(request, lambda p: None)
    found = adapter.find_by_idempotency_key(request)
    mine = [p for p in fake.posts_by_id.values() if p.text == "Yes!"]
    assert found is not None and [p.id for p in mine] == [found[0].remote_id]
    assert mine[0].reply_to == asked


def test_throttling_and_a_missing_permission_are_reported(fake: FakeMeta,
                                                          adapter: FacebookAdapter) -> None:
    fake.rate_limit_next(reset_in_s=600)
    with pytest.raises(RateLimitedError) as limited:
        adapter.fetch_inbox({}, limit=10)
    assert limited.value.until is not None
    post = adapter.publish(PublishRequest("p1", ["x"]), lambda p: None).remote_id
    asked = fake.comment_as(fake.add_user("bob"), post, "hello?")
    fake.drop_scope("pages_manage_engagement")
    with pytest.raises(AuthRevokedError, match="pages_manage_engagement"):
        adapter.publish(PublishRequest("r1", ["hi"], options={"reply_to": {
            "remote_id": asked}}), lambda p: None)
