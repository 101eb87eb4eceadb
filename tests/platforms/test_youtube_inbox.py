"""YouTube's inbox and replies against the fake Data API over real HTTP: comments on the
channel's videos (``commentThreads.list`` with ``allThreadsRelatedToChannelId``) read once,
a backlog paged back with ``pageToken`` without a gap, replies with ``comments.insert`` and
``parentId``, quota units counted."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from socialhub.platforms.base import PublishRequest
from socialhub.platforms.errors import RateLimitedError
from socialhub.platforms.youtube import inbox
from socialhub.platforms.youtube.adapter import YouTubeAdapter
from tests.fakes.youtube import FakeYouTube
from tests.fakes.youtube import start_fake as start_fake  # the `fake` fixture's (conftest.py)


def _video(fake: FakeYouTube) -> str:
    return fake.add_video("Launch", datetime.now(UTC))


def test_comments_and_replies_are_read_once_without_the_channels_own(
        fake: FakeYouTube, adapter: YouTubeAdapter) -> None:
    video = _video(fake)
    asked = fake.comment_as("@bob", video, "Does it work offline?")
    ours = fake.new_comment(video, "Ask us anything below")["id"]  # the channel's own
    answer = fake.reply_as("@carol", ours, "Does it ship to Canada?")
    side = fake.reply_as("@dave", asked, "I wondered too")
    page = adapter.fetch_inbox({}, limit=50)
    got = [(i.kind, i.author_handle, i.text, i.parent_id) for i in page.items]
    assert got == [("comment", "bob", "Does it work offline?", video),
                   ("reply", "carol", "Does it ship to Canada?", ours),
                   ("comment", "dave", "I wondered too", asked)]
    by_id = {i.remote_id: i for i in page.items}
    assert by_id[answer].conversation_id == ours and by_id[side].conversation_id == asked
    assert by_id[asked].url == f"https://www.youtube.com/watch?v={video}&lc={asked}"
    assert not page.more
    again = adapter.fetch_inbox(page.cursor, limit=50)
    assert [i.remote_id for i in again.items if i.remote_id not in by_id] == []
    later = fake.comment_as("@erin", video, "Love it")
    assert [i.remote_id for i in adapter.fetch_inbox(again.cursor, limit=50).items
            if i.remote_id not in by_id] == [later]


def test_a_backlog_pages_back_and_the_cursor_moves_only_at_the_end(
        fake: FakeYouTube, adapter: YouTubeAdapter) -> None:
    video = _video(fake)
    first = adapter.fetch_inbox({}, limit=5)
    for n in range(12):
        fake.comment_as("@bob", video, f"number {n}")
    cursor, seen = first.cursor, []
    calls = 0
    while True:
        page = adapter.fetch_inbox(cursor, limit=5)
        calls += 1
        seen += [i.text for i in page.items]
        if page.more:
            assert page.cursor["newest"] == cursor.get("newest")  # not moved yet
        cursor = page.cursor
        if not page.more:
            break
    assert sorted(set(seen), key=lambda t: int(t.split()[1])) == [
        f"number {n}" for n in range(12)]
    assert calls == 3
    # Each list call is one quota unit, counted in the cursor as Google counts it.
    assert cursor["units"] == 4 and fake.units == 4


def test_the_inbox_stops_at_its_daily_share_of_the_quota(
        fake: FakeYouTube, adapter: YouTubeAdapter) -> None:
    today = datetime.now(inbox.PACIFIC).date().isoformat()
    with pytest.raises(RateLimitedError) as raised:
        adapter.fetch_inbox({"day": today, "units": inbox.DAILY_UNITS}, limit=5)
    assert raised.value.until is not None and raised.value.until > datetime.now(UTC)
    assert fake.units == 0  # nothing was spent asking
    # A new Pacific day starts from zero.
    page = adapter.fetch_inbox({"day": "2000-01-01", "units": inbox.DAILY_UNITS}, limit=5)
    assert page.cursor["units"] == 1


def test_a_reply_answers_the_thread_once_and_is_found_again(
        fake: FakeYouTube, adapter: YouTubeAdapter) -> None:
    video = _video(fake)
    asked = fake.comment_as("@bob", video, "Is there a manual?")
    side = fake.reply_as("@dave", asked, "Me too")
    # Answering a reply in a thread goes to the thread's top comment (one level deep).
    request = PublishRequest("r1", ["Yes, in the box."], options={"reply_to": {
        "remote_id": side, "root_id": asked, "video_id": video}})
    assert adapter.validate(request) == []
    before = fake.units
    result = adapter.publish(request, lambda p: None)
    assert fake.units - before == 50  # comments.insert costs 50 units
    [sent] = [c for c in fake.comments if c["id"] == result.remote_id]
    assert (sent["parent"], sent["text"], sent["author_channel"]) == (
        asked, "Yes, in the box.", fake.channel_id)
    assert result.url == f"https://www.youtube.com/watch?v={video}&lc={result.remote_id}"
    found = adapter.find_by_idempotency_key(request)
    assert found is not None and found[0].remote_id == result.remote_id
    assert adapter.find_by_idempotency_key(PublishRequest("r2", ["Other text"], options={
        "reply_to": {"remote_id": asked}})) is None
    # Our own reply is not an inbox item.
    assert result.remote_id not in {i.remote_id for i in adapter.fetch_inbox({}).items}
