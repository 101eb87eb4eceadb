"""The YouTube adapter over real HTTP against a fake that follows the Data API v3 contract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from socialhub.platforms.base import MediaItem, PublishedPart, PublishRequest, Tokens
from socialhub.platforms.errors import (
    AuthExpiredError,
    AuthRevokedError,
    InvalidContentError,
    OutcomeUnknownError,
    RateLimitedError,
)
from socialhub.platforms.youtube.adapter import YouTubeAdapter, derive_title
from socialhub.platforms.youtube.api import SCOPE_UPLOAD, next_pacific_midnight
from tests.fakes.youtube import FakeYouTube, make_mp4
from tests.fakes.youtube import start_fake as start_fake  # the `fake` fixture's (conftest.py)


@pytest.fixture
def video(tmp_path: Path) -> MediaItem:
    return MediaItem(path=make_mp4(tmp_path / "launch.mp4", payload=300_000), mime="video/mp4")


def _request(video: MediaItem, text: str = "Launch day\nEverything we shipped.",
             **kw: object) -> PublishRequest:
    return PublishRequest("yt-1", [text], media=[video], **kw)  # type: ignore[arg-type]


def test_a_video_is_uploaded_private_with_title_from_the_first_line(
        fake: FakeYouTube, adapter: YouTubeAdapter, video: MediaItem) -> None:
    seen: list[PublishedPart] = []
    result = adapter.publish(_request(video, options={"tags": ["launch", "demo"]}), seen.append)
    assert seen == result.parts
    [post] = fake.posts()
    assert post["id"] == result.remote_id
    assert (post["title"], post["text"]) == ("Launch day", "Launch day\nEverything we shipped.")
    assert post["privacy"] == "private"
    assert post["size"] == video.path.stat().st_size  # type: ignore[union-attr]
    assert result.url == f"https://www.youtube.com/watch?v={result.remote_id}"
    snippet = fake.videos[result.remote_id]["snippet"]
    assert (snippet["tags"], snippet["categoryId"]) == (["launch", "demo"], "22")


def test_an_interrupted_upload_resumes_from_what_arrived(
        fake: FakeYouTube, adapter: YouTubeAdapter, video: MediaItem) -> None:
    fake.cut_next_put(100_000)
    result = adapter.publish(_request(video), lambda p: None)
    assert fake.posts()[0]["size"] == video.path.stat().st_size  # type: ignore[union-attr]
    assert fake.videos[result.remote_id]["size"] == fake.posts()[0]["size"]
    puts = [r for r in fake.requests if r["method"] == "PUT"]
    ranges = [r["headers"].get("Content-Range") for r in puts]
    total = fake.posts()[0]["size"]
    assert ranges == [None, f"bytes */{total}", f"bytes 100000-{total - 1}/{total}"]
    assert puts[2]["size"] == total - 100_000
    assert len(fake.posts()) == 1


def test_a_5xx_after_the_upload_finished_yields_the_video_not_a_duplicate(
        fake: FakeYouTube, adapter: YouTubeAdapter, video: MediaItem) -> None:
    fake.outage_after_create = False  # the upload-state query still answers
    fake.fail_next(503, after_create=True)
    result = adapter.publish(_request(video), lambda p: None)
    assert [p["id"] for p in fake.posts()] == [result.remote_id]


def test_an_outage_after_the_upload_is_unconfirmed_and_the_lookup_finds_it(
        fake: FakeYouTube, adapter: YouTubeAdapter, video: MediaItem) -> None:
    fake.fail_next(500, after_create=True)
    request = _request(video, options={"not_before": datetime.now(UTC) - timedelta(seconds=5)})
    with pytest.raises(OutcomeUnknownError):
        adapter.publish(request, lambda p: None)
    [post] = fake.posts()
    found = adapter.find_by_idempotency_key(request)
    assert found is not None and [p.remote_id for p in found] == [post["id"]]


def test_the_first_comment_is_a_comment_thread_on_the_video(
        fake: FakeYouTube, adapter: YouTubeAdapter, video: MediaItem) -> None:
    result = adapter.publish(_request(video, first_comment="Chapters: 0:00 intro"),
                             lambda p: None)
    video_part, comment = result.parts
    assert comment.index == 1 and comment.extra["first_comment"] is True
    assert [(c["id"], c["video_id"], c["text"], c["author_channel"], c["parent"])
            for c in fake.comments] == [(comment.remote_id, video_part.remote_id,
                                         "Chapters: 0:00 intro", fake.channel_id, None)]
    resumed = adapter.publish(_request(video, first_comment="Chapters: 0:00 intro",
                                       already_published=[video_part]), lambda p: None)
    assert len(fake.posts()) == 3 and resumed.remote_id == video_part.remote_id


def test_validate_refuses_text_only_posts_and_says_why(adapter: YouTubeAdapter) -> None:
    problems = adapter.validate(PublishRequest("v", ["Just words"]))
    assert problems == ["youtube needs a video: add --media VIDEO (community and text-only "
                        "posts cannot be created through the YouTube API)"]
    assert YouTubeAdapter.capabilities.text_only is False


def test_validate_checks_title_description_privacy_and_duration(
        adapter: YouTubeAdapter, tmp_path: Path) -> None:
    long_video = MediaItem(path=make_mp4(tmp_path / "long.mp4", duration_s=13 * 3600))
    problems = adapter.validate(PublishRequest("v", ["<b>bold</b>", "second"], media=[
        long_video], options={"privacy": "friends", "title": "x" * 101}))
    assert "2 parts; YouTube has no threads: publish one part (the description)" in problems
    assert "long.mp4 lasts 13.0 h; YouTube takes up to 12 h" in problems
    assert "title is 101 characters; YouTube allows 100" in problems
    assert "description: contains < and >, which YouTube refuses" in problems
    assert "privacy 'friends' is not one of private, unlisted, public" in problems
    big = "é" * 2501  # 5002 UTF-8 bytes: the description limit is in bytes
    assert any("over the 5000 limit" in p for p in adapter.validate(
        PublishRequest("v", [big], media=[MediaItem(path=make_mp4(tmp_path / "ok.mp4"))])))
    assert adapter.validate(PublishRequest("v", ["Fine"], media=[
        MediaItem(url="https://cdn.example/v.mp4")])) == [
        "https://cdn.example/v.mp4: YouTube uploads need a local file, not a URL"]


def test_a_long_first_line_becomes_a_title_cut_at_a_word() -> None:
    title = derive_title(PublishRequest("t", ["word " * 40]))
    assert len(title) <= 100 and title.endswith("word…")


def test_the_servers_invalid_title_is_invalid_content(
        fake: FakeYouTube, adapter: YouTubeAdapter, video: MediaItem) -> None:
    with pytest.raises(InvalidContentError) as caught:
        adapter.publish(_request(video, options={"title": "a <b> title"}), lambda p: None)
    assert caught.value.code == "invalidTitle" and "contains < or >" in str(caught.value)
    assert fake.posts() == []


def test_spent_quota_waits_until_midnight_pacific(
        fake: FakeYouTube, adapter: YouTubeAdapter, video: MediaItem) -> None:
    fake.quota_spent = True
    with pytest.raises(RateLimitedError) as caught:
        adapter.publish(_request(video), lambda p: None)
    assert caught.value.until == next_pacific_midnight()
    assert "quota" in str(caught.value) and "<a href" not in str(caught.value)
    fake.quota_spent, fake.upload_limit_reached = False, True
    with pytest.raises(RateLimitedError) as caught:
        adapter.publish(_request(video), lambda p: None)
    assert caught.value.code == "uploadLimitExceeded"


def test_midnight_pacific_follows_daylight_saving() -> None:
    summer = next_pacific_midnight(datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    winter = next_pacific_midnight(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    assert summer == datetime(2026, 7, 2, 7, 0, tzinfo=UTC)  # PDT, UTC-7
    assert winter == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)  # PST, UTC-8
    late = next_pacific_midnight(datetime(2026, 3, 8, 7, 30, tzinfo=UTC))  # 23:30 PST Mar 7
    assert late.astimezone(ZoneInfo("America/Los_Angeles")).date().isoformat() == "2026-03-08"


def test_a_429_honours_retry_after(fake: FakeYouTube, adapter: YouTubeAdapter,
                                   video: MediaItem) -> None:
    fake.rate_limit_next(120)
    with pytest.raises(RateLimitedError) as caught:
        adapter.publish(_request(video), lambda p: None)
    assert caught.value.until is not None
    assert timedelta(seconds=100) < caught.value.until - datetime.now(UTC) <= timedelta(
        seconds=120)


def test_an_expired_token_mid_queue_is_refreshed_and_the_upload_goes_out(
        fake: FakeYouTube, video: MediaItem) -> None:
    info, tokens, app = fake.account()
    stored: list[Tokens] = []
    adapter = YouTubeAdapter(info, tokens, app=app, on_tokens=stored.append, timeout_s=5)
    adapter.publish(_request(video), lambda p: None)
    fake.expire_access_tokens()
    with pytest.raises(AuthExpiredError):
        adapter.publish(_request(video, text="Second video"), lambda p: None)
    new = adapter.refresh()
    assert stored == [new] and new.access_token != tokens.access_token
    assert new.refresh_token == tokens.refresh_token  # Google does not rotate it
    assert new.expires_at is not None and new.expires_at > datetime.now(UTC)
    adapter.publish(_request(video, text="Second video"), lambda p: None)
    assert [p["title"] for p in fake.posts()] == ["Launch day", "Second video"]
    adapter.close()


def test_a_revoked_grant_tells_the_user_to_reconnect(fake: FakeYouTube,
                                                     adapter: YouTubeAdapter) -> None:
    fake.revoke()
    with pytest.raises(AuthRevokedError) as caught:
        adapter.refresh()
    assert "revoked or expired" in str(caught.value)
    assert "accounts connect youtube" in (caught.value.hint or "")
    assert str(adapter.tokens.refresh_token) not in str(caught.value)


def test_a_missing_scope_names_it(fake: FakeYouTube, adapter: YouTubeAdapter,
                                  video: MediaItem) -> None:
    adapter.tokens = Tokens(access_token=fake.issue_tokens(scopes=(SCOPE_UPLOAD,))[0])
    with pytest.raises(AuthRevokedError) as caught:
        adapter.publish(_request(video, first_comment="hi"), lambda p: None)
    assert "youtube.force-ssl" in str(caught.value)


def test_lookup_finds_an_unconfirmed_upload_by_title_and_skips_older_twins(
        fake: FakeYouTube, adapter: YouTubeAdapter, video: MediaItem) -> None:
    fake.add_video("Weekly update", datetime.now(UTC) - timedelta(days=7))
    request = _request(video, text="Weekly update\nthis week", first_comment="comments here",
                       options={"not_before": datetime.now(UTC) - timedelta(minutes=1)})
    assert adapter.find_by_idempotency_key(request) is None
    result = adapter.publish(request, lambda p: None)
    found = adapter.find_by_idempotency_key(request)
    assert found == [PublishedPart(0, result.remote_id, result.url), result.parts[1]]


def test_metrics_and_delete(fake: FakeYouTube, adapter: YouTubeAdapter,
                            video: MediaItem) -> None:
    result = adapter.publish(_request(video), lambda p: None)
    fake.videos[result.remote_id]["statistics"].update(viewCount="42", likeCount="5")
    metrics = adapter.fetch_metrics([result.remote_id, "gone"])
    assert list(metrics) == [result.remote_id]
    got = metrics[result.remote_id]
    assert (got.video_views, got.likes, got.replies, got.impressions) == (42, 5, 0, None)
    adapter.delete(result.remote_id)
    adapter.delete(result.remote_id)  # already gone: fine
    assert fake.posts() == []


def test_finish_connect_reads_the_channel(fake: FakeYouTube) -> None:
    access, refresh = fake.issue_tokens()
    profile, tokens = YouTubeAdapter.finish_connect(
        {"access_token": access, "refresh_token": refresh, "expires_in": 3599,
         "scope": " ".join(YouTubeAdapter.oauth_spec().scopes), "token_type": "Bearer"},
        app=fake.account()[2], base_url=fake.url)
    assert (profile.handle, profile.external_id) == ("@fakechannel", fake.channel_id)
    assert tokens.scopes == list(YouTubeAdapter.oauth_spec().scopes)
    spec = YouTubeAdapter.oauth_spec(fake.url)
    assert spec.token_url == f"{fake.url}/token"
    assert spec.extra_authorize_params["access_type"] == "offline"


def test_account_counts_are_the_channels_subscribers_and_videos(
        fake: FakeYouTube, adapter: YouTubeAdapter) -> None:
    counts = adapter.fetch_account_metrics()
    assert (counts.followers, counts.following, counts.posts) == (12300, None, 0)
    fake.hide_subscribers = True  # hidden: absent, never 0
    assert adapter.fetch_account_metrics().followers is None
