"""Instagram's inbox and replies against the Graph fake: comments and their replies on the
newest media read once, media whose ``comments_count`` did not change left unread, the
account's own comments left out, replies through ``/{comment}/replies``."""

from __future__ import annotations

from datetime import timedelta

from socialhub.platforms.base import PublishRequest
from socialhub.platforms.instagram.adapter import InstagramAdapter
from tests.fakes.instagram import start_fake as start_fake  # the `fake` fixture's
from tests.fakes.meta import FakeMeta
from tests.platforms.test_instagram_adapter import _adapter

adapter_for = _adapter


def _post(fake: FakeMeta, adapter: InstagramAdapter, caption: str) -> str:
    return adapter.publish(PublishRequest("p", [caption], media=fake.sample_media()),
                           lambda p: None).remote_id


def _sync(adapter: InstagramAdapter, cursor: dict[str, object]
          ) -> tuple[list[tuple[str, str, str]], dict[str, object]]:
    seen = []
    while True:
        page = adapter.fetch_inbox(cursor, limit=50)
        seen += [(i.kind, i.author_handle, i.text) for i in page.items]
        cursor = page.cursor
        if not page.more:
            return seen, cursor


def test_comments_and_replies_are_read_once_and_quiet_media_are_skipped(
        fake: FakeMeta, adapter: InstagramAdapter) -> None:
    first = _post(fake, adapter, "Red bicycle")
    second = _post(fake, adapter, "Blue bicycle")
    bob = fake.add_user("bob")
    asked = fake.comment_as(bob, first, "Price?", age=timedelta(minutes=30))
    adapter.publish(PublishRequest("r0", ["DM us"], options={"reply_to": {
        "remote_id": asked}}), lambda p: None)  # our own reply: not an inbox item
    fake.comment_as(bob, asked, "Done, thanks", age=timedelta(minutes=20))
    fake.comment_as(bob, second, "Love the blue", age=timedelta(minutes=10))
    seen, cursor = _sync(adapter, {})
    assert sorted(seen) == [("comment", "bob", "Love the blue"), ("comment", "bob", "Price?"),
                            ("reply", "bob", "Done, thanks")]
    before = len(fake.requests)
    again, cursor = _sync(adapter, cursor)
    assert again == []
    assert [r["path"] for r in fake.requests[before:]] == [f"/{adapter.user}/media"]
    fake.comment_as(bob, second, "Still available?")
    later, _ = _sync(adapter, cursor)
    assert later == [("comment", "bob", "Still available?")]
    assert not any(r["path"] == f"/{first}/comments" for r in fake.requests[before:])


def test_a_reply_needs_no_media_and_lands_under_the_top_level_comment(
        fake: FakeMeta, adapter: InstagramAdapter) -> None:
    media = _post(fake, adapter, "Red bicycle")
    bob = fake.add_user("bob")
    top = fake.comment_as(bob, media, "Nice")
    nested = fake.comment_as(bob, top, "What size?")
    request = PublishRequest("r1", ["Size M"], options={
        "reply_to": {"remote_id": nested, "root_id": top}})
    assert adapter.validate(request) == []
    sent = adapter.publish(request, lambda p: None).parts[0]
    assert fake.posts_by_id[sent.remote_id].reply_to == top
    assert [r for r in fake.requests if r["method"] == "POST"][-1]["path"] == \
        f"/{top}/replies"
    found = adapter.find_by_idempotency_key(request)
    assert found is not None and found[0].remote_id == sent.remote_id
    too_long = PublishRequest("r2", ["x" * 2300], options={"reply_to": {"remote_id": top}})
    assert adapter.validate(too_long)
