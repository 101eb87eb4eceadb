"""The TikTok adapter over real HTTP against a fake of the Content Posting API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialhub.platforms.base import MediaItem, PublishedPart, PublishRequest, Tokens
from socialhub.platforms.errors import (
    AuthExpiredError,
    AuthRevokedError,
    InvalidContentError,
    OutcomeUnknownError,
    RateLimitedError,
)
from socialhub.platforms.tiktok.adapter import TikTokAdapter
from socialhub.platforms.tiktok.upload import MB, chunk_plan
from tests.fakes.tiktok import FakeTikTok, valid_chunk_plan
from tests.fakes.tiktok import start_fake as start_fake  # the `fake` fixture's (conftest.py)
from tests.fakes.youtube import make_mp4


def adapter_for(fake: FakeTikTok) -> TikTokAdapter:
    """The ``adapter`` fixture's adapter: the fake's account, quick status polls."""
    info, tokens, app = fake.account()
    adapter = TikTokAdapter(info, tokens, app=app, timeout_s=5)
    adapter.poll_s = 0.01
    return adapter


@pytest.fixture
def video(tmp_path: Path) -> MediaItem:
    return MediaItem(path=make_mp4(tmp_path / "dance.mp4", duration_s=12, payload=50_000),
                     mime="video/mp4")


def _request(video: MediaItem, caption: str = "New dance 💃 #fyp", **options: object
             ) -> PublishRequest:
    return PublishRequest("tt-1", [caption], media=[video], options=dict(options))


def _bodies(fake: FakeTikTok, path: str) -> list[dict[str, object]]:
    return [json.loads(r["body"]) for r in fake.requests if r["path"] == path and r["body"]]


def test_a_video_is_posted_private_after_reading_creator_info(
        fake: FakeTikTok, adapter: TikTokAdapter, video: MediaItem) -> None:
    seen: list[PublishedPart] = []
    result = adapter.publish(_request(video), seen.append)
    assert seen == result.parts
    paths = [r["path"] for r in fake.requests]
    assert paths[:3] == ["/v2/post/publish/creator_info/query/",
                         "/v2/post/publish/video/init/", "/upload/"]
    [post] = fake.posts()
    assert (post["text"], post["privacy"]) == ("New dance 💃 #fyp", "SELF_ONLY")
    assert post["size"] == video.path.stat().st_size  # type: ignore[union-attr]
    assert result.remote_id == post["publish_id"] and result.url is None  # private: no post id
    [init] = _bodies(fake, "/v2/post/publish/video/init/")
    assert init["post_info"]["disable_stitch"] is True  # type: ignore[index]
    upload = next(r for r in fake.requests if r["path"] == "/upload/")
    assert "Authorization" not in upload["headers"]


def test_a_public_post_gets_its_post_id_and_url(fake: FakeTikTok, adapter: TikTokAdapter,
                                                video: MediaItem) -> None:
    result = adapter.publish(_request(video, privacy_level="PUBLIC_TO_EVERYONE"),
                             lambda p: None)
    assert result.remote_id.isdigit()
    assert result.url == f"https://www.tiktok.com/@fakecreator/video/{result.remote_id}"


def test_a_large_video_goes_up_in_chunks_per_the_documented_rules(
        fake: FakeTikTok, adapter: TikTokAdapter, tmp_path: Path) -> None:
    big = MediaItem(path=make_mp4(tmp_path / "big.mp4", payload=12 * MB), mime="video/mp4")
    adapter.chunk_size = 5 * MB
    adapter.publish(_request(big), lambda p: None)
    size = big.path.stat().st_size  # type: ignore[union-attr]
    [init] = _bodies(fake, "/v2/post/publish/video/init/")
    assert init["source_info"] == {"source": "FILE_UPLOAD", "video_size": size,
                                   "chunk_size": 5 * MB, "total_chunk_count": 2}
    ranges = [r["headers"]["Content-Range"] for r in fake.requests if r["path"] == "/upload/"]
    assert ranges == [f"bytes 0-{5 * MB - 1}/{size}", f"bytes {5 * MB}-{size - 1}/{size}"]
    assert fake.posts()[0]["size"] == size


@given(st.integers(min_value=1, max_value=4096 * MB),
       st.integers(min_value=1 * MB, max_value=100 * MB))
def test_every_chunk_plan_follows_tiktoks_rules(size: int, preferred: int) -> None:
    chunk, count = chunk_plan(size, preferred)
    assert valid_chunk_plan(size, chunk, count)


def test_a_privacy_level_the_creator_lacks_lists_the_allowed_ones(
        fake: FakeTikTok, adapter: TikTokAdapter, video: MediaItem) -> None:
    fake.privacy_options = ["SELF_ONLY"]
    with pytest.raises(InvalidContentError) as caught:
        adapter.publish(_request(video, privacy_level="PUBLIC_TO_EVERYONE"), lambda p: None)
    assert "choose one of SELF_ONLY" in str(caught.value)
    assert fake.posts() == []


def test_a_video_longer_than_the_creator_may_post_is_refused(
        fake: FakeTikTok, adapter: TikTokAdapter, video: MediaItem) -> None:
    fake.max_duration_s = 10
    with pytest.raises(InvalidContentError) as caught:
        adapter.publish(_request(video), lambda p: None)
    assert "lasts 12 s; this creator may post videos up to 10 s: trim it" in str(caught.value)


def test_an_unaudited_client_is_told_to_post_self_only(
        fake: FakeTikTok, adapter: TikTokAdapter, video: MediaItem) -> None:
    fake.audited = False
    with pytest.raises(InvalidContentError) as caught:
        adapter.publish(_request(video, privacy_level="PUBLIC_TO_EVERYONE"), lambda p: None)
    assert caught.value.code == "unaudited_client_can_only_post_to_private_accounts"
    assert "SELF_ONLY" in (caught.value.hint or "")


def test_a_failed_publish_carries_the_fail_reason(fake: FakeTikTok, adapter: TikTokAdapter,
                                                  video: MediaItem) -> None:
    fake.fail_reason = "frame_rate_check_failed"
    with pytest.raises(InvalidContentError) as caught:
        adapter.publish(_request(video), lambda p: None)
    assert "frame_rate_check_failed" in str(caught.value)


def test_polling_is_bounded(fake: FakeTikTok, adapter: TikTokAdapter, video: MediaItem) -> None:
    fake.processing_polls = 10_000
    adapter.publish_timeout_s = 0.3
    with pytest.raises(OutcomeUnknownError) as caught:
        adapter.publish(_request(video), lambda p: None)
    assert "still PROCESSING_UPLOAD" in str(caught.value)


def test_a_5xx_after_the_last_chunk_continues_without_a_second_post(
        fake: FakeTikTok, adapter: TikTokAdapter, video: MediaItem) -> None:
    fake.outage_after_create = False  # status/fetch still answers: uploaded_bytes is known
    fake.fail_next(500, after_create=True)
    result = adapter.publish(_request(video), lambda p: None)
    assert [p["publish_id"] for p in fake.posts()] == [result.remote_id]
    assert len(_bodies(fake, "/v2/post/publish/video/init/")) == 1


def test_an_outage_after_the_last_chunk_is_an_unknown_outcome_never_a_retry(
        fake: FakeTikTok, adapter: TikTokAdapter, video: MediaItem) -> None:
    fake.fail_next(500, after_create=True)
    request = _request(video, "Outage", privacy_level="PUBLIC_TO_EVERYONE")
    with pytest.raises(OutcomeUnknownError):
        adapter.publish(request, lambda p: None)
    [post] = fake.posts()
    [found] = adapter.find_by_idempotency_key(request) or []
    assert found.remote_id == post["id"]


def test_an_unconfirmed_private_post_is_a_final_lookup_error_never_a_resend(
        fake: FakeTikTok, adapter: TikTokAdapter, video: MediaItem) -> None:
    # No privacy option: publish picks SELF_ONLY from creator_info, and so must the look-up.
    fake.fail_next(500, after_create=True)
    request = _request(video, "Private outage")
    with pytest.raises(OutcomeUnknownError):
        adapter.publish(request, lambda p: None)
    [post] = fake.posts()
    assert post["privacy"] == "SELF_ONLY"  # TikTok did publish it, privately
    with pytest.raises(InvalidContentError) as caught:
        adapter.find_by_idempotency_key(request)
    assert not caught.value.retryable
    assert "SELF_ONLY" in str(caught.value) and "check the TikTok app" in str(caught.value)
    assert "PUBLIC_TO_EVERYONE" in (caught.value.hint or "")
    assert len(fake.posts()) == 1
    assert len(_bodies(fake, "/v2/post/publish/video/init/")) == 1  # nothing was resent


def test_lookup_without_a_privacy_option_follows_the_creators_only_level(
        fake: FakeTikTok, adapter: TikTokAdapter, video: MediaItem) -> None:
    fake.privacy_options = ["PUBLIC_TO_EVERYONE"]  # no SELF_ONLY: publish posts publicly
    request = _request(video, "Only public allowed")
    result = adapter.publish(request, lambda p: None)
    [found] = adapter.find_by_idempotency_key(request) or []
    assert found.remote_id == result.remote_id


def test_a_pull_from_url_post_and_a_5xx_on_it_is_an_unknown_outcome(
        fake: FakeTikTok, adapter: TikTokAdapter) -> None:
    remote = MediaItem(url="https://media.example.com/v.mp4", mime="video/mp4")
    adapter.publish(_request(remote), lambda p: None)
    fake.fail_next(502, after_create=True)
    with pytest.raises(OutcomeUnknownError):
        adapter.publish(_request(remote, "second"), lambda p: None)


def test_photos_are_pulled_from_urls(fake: FakeTikTok, adapter: TikTokAdapter) -> None:
    photos = [MediaItem(url=f"https://media.example.com/{i}.jpg", mime="image/jpeg")
              for i in range(3)]
    request = PublishRequest("p", ["Three shots"], media=photos, options={"title": "Trip"})
    assert adapter.validate(request) == []
    adapter.publish(request, lambda p: None)
    [post] = fake.posts()
    assert (post["media_type"], post["text"]) == ("PHOTO", "Three shots")


def test_validate_refuses_what_tiktok_cannot_take(adapter: TikTokAdapter, tmp_path: Path) -> None:
    assert adapter.validate(PublishRequest("v", ["only words"])) == [
        "tiktok needs a video or photos: add --media (TikTok has no text-only posts)"]
    short = MediaItem(path=make_mp4(tmp_path / "short.mp4", duration_s=1))
    problems = adapter.validate(PublishRequest("v", ["a" * 2199 + "😀", "b"], media=[short],
                                               first_comment="hi"))
    assert "2 parts; TikTok has no threads: publish one caption" in problems
    assert "TikTok's API cannot post comments: remove the first comment" in problems
    assert any(p.startswith("short.mp4 lasts 1.0 s; TikTok takes 3 s to 10 min") for p in problems)
    assert "caption: 2201 UTF-16 code units, over the 2200 limit" in problems


def test_a_rate_limited_init_is_rate_limited(fake: FakeTikTok, adapter: TikTokAdapter,
                                             video: MediaItem) -> None:
    for index in range(6):
        adapter.publish(_request(video, f"post {index}"), lambda p: None)
    with pytest.raises(RateLimitedError) as caught:
        adapter.publish(_request(video, "the seventh in a minute"), lambda p: None)
    assert caught.value.code == "rate_limit_exceeded" and caught.value.until is not None


def test_an_expired_token_mid_queue_refreshes_with_rotation(
        fake: FakeTikTok, video: MediaItem) -> None:
    info, tokens, app = fake.account()
    stored: list[Tokens] = []
    adapter = TikTokAdapter(info, tokens, app=app, on_tokens=stored.append, timeout_s=5)
    adapter.poll_s = 0.01
    adapter.publish(_request(video), lambda p: None)
    fake.expire_access_tokens()
    with pytest.raises(AuthExpiredError):
        adapter.publish(_request(video, "second"), lambda p: None)
    new = adapter.refresh()
    assert stored == [new] and new.refresh_token != tokens.refresh_token
    assert new.refresh_expires_at is not None and "video.publish" in new.scopes
    adapter.publish(_request(video, "second"), lambda p: None)
    stale = TikTokAdapter(info, tokens, app=app, timeout_s=5)  # the pre-rotation copy
    with pytest.raises(AuthRevokedError) as caught:
        stale.refresh()
    assert "invalid, expired or revoked" in str(caught.value)
    assert str(tokens.refresh_token) not in str(caught.value)
    assert len(fake.posts()) == 2
    adapter.close()
    stale.close()


def test_a_missing_scope_names_it(fake: FakeTikTok, adapter: TikTokAdapter,
                                  video: MediaItem) -> None:
    adapter.tokens = Tokens(access_token=fake.issue_tokens(scopes=("user.info.basic",))[0])
    with pytest.raises(AuthRevokedError) as caught:
        adapter.publish(_request(video), lambda p: None)
    assert "video.publish" in str(caught.value)


def test_lookup_finds_public_posts_and_refuses_to_guess_for_private_ones(
        fake: FakeTikTok, adapter: TikTokAdapter, video: MediaItem) -> None:
    public = _request(video, "Public one", privacy_level="PUBLIC_TO_EVERYONE")
    assert adapter.find_by_idempotency_key(public) is None
    result = adapter.publish(public, lambda p: None)
    [found] = adapter.find_by_idempotency_key(public) or []
    assert found.remote_id == result.remote_id
    with pytest.raises(InvalidContentError) as caught:
        adapter.find_by_idempotency_key(_request(video))
    assert "check the TikTok app" in str(caught.value)
    metrics = adapter.fetch_metrics([result.remote_id, "v_pub_file~v2-1.1"])
    assert list(metrics) == [result.remote_id] and metrics[result.remote_id].video_views == 0


def test_finish_connect_reads_the_user(fake: FakeTikTok) -> None:
    access, refresh = fake.issue_tokens()
    profile, tokens = TikTokAdapter.finish_connect(
        {"access_token": access, "refresh_token": refresh, "expires_in": 86400,
         "refresh_expires_in": 31536000, "open_id": fake.open_id,
         "scope": "user.info.basic,video.publish", "token_type": "Bearer"},
        app=fake.account()[2], base_url=fake.url)
    assert (profile.handle, profile.external_id) == ("@fakecreator", fake.open_id)
    assert tokens.scopes == ["user.info.basic", "video.publish"]
    spec = TikTokAdapter.oauth_spec(fake.url)
    assert spec.token_url == f"{fake.url}/v2/oauth/token/" and spec.scope_separator == ","


def test_account_counts_come_from_user_info_with_the_stats_scope(
        fake: FakeTikTok, adapter: TikTokAdapter) -> None:
    counts = adapter.fetch_account_metrics()
    assert counts is not None
    assert (counts.followers, counts.following, counts.posts) == (5400, 12, 37)
    # A token granted before socialhub asked for user.info.stats: absent, nothing asked.
    access = fake.issue_tokens(scopes=("user.info.basic", "video.publish", "video.list"))[0]
    adapter.tokens = Tokens(access_token=access, scopes=["user.info.basic", "video.publish"])
    fake.requests.clear()
    assert adapter.fetch_account_metrics() is None
    assert fake.requests == []
