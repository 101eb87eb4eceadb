"""Reddit's inbox and replies against the fake over real HTTP: ``/message/inbox`` gives
post and comment replies, username mentions and private messages, read once, a backlog
paged back with ``after`` without a gap, a low ``X-Ratelimit-Remaining`` ends the walk for
this sync; replies go out with ``/api/comment`` and ``thing_id``."""

from __future__ import annotations

import pytest

from socialhub.platforms.base import PublishRequest
from socialhub.platforms.errors import AdapterError, AuthRevokedError, RateLimitedError
from socialhub.platforms.reddit.adapter import RedditAdapter
from tests.fakes.reddit import FakeReddit
from tests.fakes.reddit import start_fake as start_fake  # the `fake` fixture's (conftest.py)


def _post(adapter: RedditAdapter, title: str = "Our launch") -> str:
    return adapter.publish(PublishRequest(title, [f"{title}\nDetails inside."]),
                           lambda p: None).remote_id


def test_replies_mentions_and_messages_are_read_once(
        fake: FakeReddit, adapter: RedditAdapter) -> None:
    me = adapter.account.handle
    post = _post(adapter)
    on_post = fake.add_comment("bob", post, "Does it run on Linux?")["name"]
    ours = adapter.publish(PublishRequest("c1", ["Yes!"], options={"reply_to": {
        "remote_id": on_post}}), lambda p: None).remote_id
    answer = fake.add_comment("bob", ours, "Great, thanks")["name"]
    mention = fake.add_comment("carol", on_post, f"u/{me} should know")["name"]
    message = fake.send_message("dave", me, "wholesale", "Do you sell in bulk?")
    page = adapter.fetch_inbox({}, limit=50)
    got = [(i.remote_id, i.kind, i.author_handle, i.text) for i in page.items]
    assert got == [(on_post, "comment", "bob", "Does it run on Linux?"),
                   (answer, "reply", "bob", "Great, thanks"),
                   (mention, "mention", "carol", f"u/{me} should know"),
                   (message, "message", "dave", "Do you sell in bulk?")]
    by_id = {i.remote_id: i for i in page.items}
    assert by_id[answer].parent_id == ours and by_id[answer].conversation_id == post
    url = by_id[on_post].url
    assert url is not None and url.startswith(fake.url + "/r/")
    assert by_id[message].conversation_id == message
    assert not page.more
    again = adapter.fetch_inbox(page.cursor, limit=50)
    assert [i.remote_id for i in again.items if i.remote_id not in by_id] == []
    later = fake.send_message("dave", me, "wholesale", "And shipping?")
    assert [i.remote_id for i in adapter.fetch_inbox(again.cursor, limit=50).items
            if i.remote_id not in by_id] == [later]
    # Reddit's own unread state is left alone.
    assert all(r["params"].get("mark") == "false" for r in fake.requests
               if r["path"] == "/message/inbox")


def test_a_backlog_pages_back_and_a_low_rate_window_pauses_the_walk(
        fake: FakeReddit, adapter: RedditAdapter) -> None:
    me = adapter.account.handle
    first = adapter.fetch_inbox({}, limit=5)
    for n in range(12):
        fake.send_message("bob", me, "hi", f"number {n}")
    fake.ratelimit_remaining = 3.0  # the window is nearly spent: one page, then stop
    page = adapter.fetch_inbox(first.cursor, limit=5)
    assert len(page.items) == 5 and not page.more
    assert page.cursor["after"] and page.cursor.get("newest") == first.cursor.get("newest")
    fake.ratelimit_remaining = 97.0
    cursor, seen = page.cursor, [i.text for i in page.items]
    while True:
        page = adapter.fetch_inbox(cursor, limit=5)
        seen += [i.text for i in page.items]
        cursor = page.cursor
        if not page.more:
            break
    assert sorted(set(seen), key=lambda t: int(t.split()[1])) == [
        f"number {n}" for n in range(12)]
    assert "after" not in cursor


def test_a_429_is_a_rate_limit_until_the_reset(fake: FakeReddit,
                                               adapter: RedditAdapter) -> None:
    fake.rate_limit_reset_s = 120
    with pytest.raises(RateLimitedError) as raised:
        adapter.fetch_inbox({}, limit=5)
    assert raised.value.until is not None


def test_without_the_privatemessages_scope_the_inbox_asks_for_a_reconnect(
        fake: FakeReddit, adapter: RedditAdapter) -> None:
    access, _ = fake.add_user(adapter.account.handle, scopes=("identity", "submit"))
    adapter.tokens.access_token, adapter.tokens.scopes = access, []
    with pytest.raises(AdapterError) as raised:
        adapter.fetch_inbox({}, limit=5)
    # Not "revoked": publishing still works; only the inbox needs the new scope.
    assert not isinstance(raised.value, AuthRevokedError)
    assert "privatemessages" in str(raised.value) and raised.value.hint
    adapter.tokens.scopes = ["identity", "submit"]
    with pytest.raises(AdapterError, match="privatemessages"):
        adapter.fetch_inbox({}, limit=5)


def test_replies_thread_under_comments_and_messages_and_are_found_again(
        fake: FakeReddit, adapter: RedditAdapter) -> None:
    me = adapter.account.handle
    post = _post(adapter)
    asked = fake.add_comment("bob", post, "Is it open source?")["name"]
    request = PublishRequest("r1", ["It is, MIT."], options={"reply_to": {
        "remote_id": asked, "subreddit": "socialhub_test"}})
    assert adapter.validate(request) == []
    sent = adapter.publish(request, lambda p: None)
    thing = fake.things[sent.remote_id]
    assert (thing["parent_id"], thing["body"], thing["author"]) == (asked, "It is, MIT.", me)
    found = adapter.find_by_idempotency_key(request)
    assert found is not None and found[0].remote_id == sent.remote_id
    # bob is told, as Reddit tells him.
    assert [e["data"]["name"] for e in fake.inboxes["bob"]] == [sent.remote_id]
    message = fake.send_message("dave", me, "order", "Where is my order?")
    dm = PublishRequest("r2", ["On its way."], options={"reply_to": {"remote_id": message}})
    answer = adapter.publish(dm, lambda p: None)
    assert fake.things[answer.remote_id]["dest"] == "dave"
    assert fake.things[answer.remote_id]["parent_id"] == message
    found = adapter.find_by_idempotency_key(dm)
    assert found is not None and found[0].remote_id == answer.remote_id
    assert adapter.find_by_idempotency_key(PublishRequest("r3", ["Never sent"], options={
        "reply_to": {"remote_id": message}})) is None
