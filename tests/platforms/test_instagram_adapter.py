"""The Instagram adapter over real HTTP against a fake Graph API following its contract."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from socialhub.platforms.base import (
    AccountInfo,
    MediaItem,
    PublishedPart,
    PublishRequest,
    Tokens,
)
from socialhub.platforms.errors import (
    AuthExpiredError,
    AuthRevokedError,
    InvalidContentError,
    OutcomeUnknownError,
    RateLimitedError,
)
from socialhub.platforms.instagram.adapter import InstagramAdapter
from tests.fakes.instagram import start_fake as start_fake  # the `fake` fixture's (conftest.py)
from tests.fakes.meta import FakeMeta


def _adapter(fake: FakeMeta, stored: list[Tokens] | None = None,
             **settings: object) -> InstagramAdapter:
    info, tokens, app = fake.account()
    if settings:
        info = AccountInfo(**{**info.__dict__, "settings": settings})
    adapter = InstagramAdapter(info, tokens, app=app, timeout_s=5,
                               on_tokens=stored.append if stored is not None else None)
    adapter.poll_s = 0.001
    return adapter


adapter_for = _adapter  # what the `adapter` fixture builds (tests/platforms/conftest.py)


def _photo(fake: FakeMeta, name: str = "photo", alt: str | None = "A bicycle") -> MediaItem:
    return MediaItem(url=f"{fake.url}/media/{name}.jpg", alt_text=alt)


def test_an_image_post_carries_caption_and_alt_text_and_a_first_comment(
        fake: FakeMeta, adapter: InstagramAdapter) -> None:
    seen: list[PublishedPart] = []
    result = adapter.publish(PublishRequest("i1", ["Spring is here #bikes"],
                                            media=[_photo(fake)], first_comment="#more #tags"),
                             seen.append)
    assert seen == result.parts and len(result.parts) == 2
    post, comment = fake.posts()
    assert post["text"] == "Spring is here #bikes" and post["media_type"] == "IMAGE"
    assert post["media"][0]["alt_text"] == "A bicycle"
    assert (comment["kind"], comment["reply_to"], comment["text"]) == \
        ("comment", post["id"], "#more #tags")
    assert result.parts[1].extra == {"first_comment": True}
    calls = [(r["method"], r["path"].rsplit("/", 1)[-1]) for r in fake.requests]
    assert calls.index(("GET", "content_publishing_limit")) < calls.index(("POST", "media"))


def test_videos_are_reels_and_several_media_a_carousel(fake: FakeMeta,
                                                       adapter: InstagramAdapter) -> None:
    adapter.publish(PublishRequest("i2", ["reel"], media=[
        MediaItem(url=f"{fake.url}/media/clip.mp4")]), lambda p: None)
    adapter.publish(PublishRequest("i3", ["album"], media=[
        _photo(fake, "a"), MediaItem(url=f"{fake.url}/media/b.mp4")]), lambda p: None)
    reel, album = fake.posts()
    assert reel["media_type"] == "REELS"
    assert album["media_type"] == "CAROUSEL"
    assert [m.get("media_type", "IMAGE") for m in album["media"]] == ["IMAGE", "VIDEO"]
    assert all(m["is_carousel_item"] == "true" for m in album["media"])


def _jpeg(path: Path, width: int, height: int) -> Path:
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + b"\0" * 9
    path.write_bytes(b"\xff\xd8" + sof + b"\xff\xd9")
    return path


def test_validate_refuses_text_only_posts_and_says_what_to_change(
        tmp_path: Path, fake: FakeMeta) -> None:
    adapter = _adapter(fake, max_hashtags=5)
    problems = adapter.validate(PublishRequest("v", ["one #a #b #c #d #e #f", "two"]))
    text = "\n".join(problems)
    assert "instagram needs an image or video: add --media" in text
    assert "instagram has no threads: 2 parts" in text
    assert "caption: 6 hashtags, Instagram allows 5" in text
    wide = _jpeg(tmp_path / "wide.jpg", 2000, 500)
    problems = adapter.validate(PublishRequest("v", ["x"], media=[
        MediaItem(path=tmp_path / "pic.png", url="https://cdn.example/pic.png"),
        MediaItem(path=wide, url="https://cdn.example/wide.jpg"),
        *[_photo(fake, str(n)) for n in range(9)]]))
    text = "\n".join(problems)
    assert "11 media; an Instagram carousel takes at most 10: remove 1" in text
    assert "pic.png is image/png; instagram takes JPEG images or MP4/MOV videos" in text
    assert "wide.jpg is 2000×500, wider than instagram takes" in text
    assert adapter.validate(PublishRequest("ok", ["fine"], media=[_photo(fake)])) == []
    adapter.close()


def test_publishing_without_media_is_refused_before_any_call(
        fake: FakeMeta, adapter: InstagramAdapter) -> None:
    with pytest.raises(InvalidContentError, match="add --media"):
        adapter.publish(PublishRequest("i4", ["just words"]), lambda p: None)
    assert fake.requests == []


def test_a_spent_publishing_quota_waits_without_creating_a_container(
        fake: FakeMeta, adapter: InstagramAdapter) -> None:
    fake.spend_quota(adapter.user, age=timedelta(hours=20))
    with pytest.raises(RateLimitedError, match=r"quota spent \(50 of 50") as exc:
        adapter.publish(PublishRequest("i5", ["x"], media=[_photo(fake)]), lambda p: None)
    assert exc.value.until is not None
    assert abs((exc.value.until - (datetime.now(UTC) + timedelta(hours=4))).total_seconds()) < 120
    assert not any(r["method"] == "POST" for r in fake.requests)


def test_an_expired_token_is_refreshed_with_ig_refresh_token(fake: FakeMeta) -> None:
    stored: list[Tokens] = []
    adapter = _adapter(fake, stored)
    fake.expire_access_tokens()
    with pytest.raises(AuthExpiredError):
        adapter.publish(PublishRequest("i6", ["x"], media=[_photo(fake)]), lambda p: None)
    tokens = adapter.refresh()
    assert stored == [tokens]
    [refresh] = [r for r in fake.requests if r["path"] == "/refresh_access_token"]
    assert refresh["params"]["grant_type"] == "ig_refresh_token"
    adapter.publish(PublishRequest("i6", ["x"], media=[_photo(fake)]), lambda p: None)
    assert len(fake.posts()) == 1
    adapter.close()


def test_a_missing_permission_is_named_even_when_meta_does_not(
        fake: FakeMeta, adapter: InstagramAdapter) -> None:
    fake.drop_scope("instagram_business_content_publish")
    with pytest.raises(AuthRevokedError,
                       match="missing permission instagram_business_content_publish"):
        adapter.publish(PublishRequest("i7", ["x"], media=[_photo(fake)]), lambda p: None)


def test_broken_media_stops_with_metas_reason(fake: FakeMeta,
                                              adapter: InstagramAdapter) -> None:
    with pytest.raises(InvalidContentError, match="Media download has failed"):
        adapter.publish(PublishRequest("i8", ["x"], media=[_photo(fake, "unreachable")]),
                        lambda p: None)


def test_a_5xx_after_publishing_is_reconciled_without_a_duplicate(
        fake: FakeMeta, adapter: InstagramAdapter) -> None:
    request = PublishRequest("i9", ["once only"], media=[_photo(fake)], first_comment="c",
                             options={"not_before": datetime.now(UTC) - timedelta(minutes=1)})
    fake.fail_next(500, after_create=True)
    with pytest.raises(OutcomeUnknownError):
        adapter.publish(request, lambda p: None)
    found = adapter.find_by_idempotency_key(request)
    assert found is not None and [p.index for p in found] == [0]
    result = adapter.publish(PublishRequest("i9", ["once only"], media=request.media,
                                            first_comment="c", already_published=found),
                             lambda p: None)
    assert [p["text"] for p in fake.posts()] == ["once only", "c"]
    assert [p.index for p in adapter.find_by_idempotency_key(request) or []] == [0, 1]
    assert result.remote_id == found[0].remote_id


def test_connecting_exchanges_for_a_long_lived_token(fake: FakeMeta) -> None:
    uid = fake.add_user("studio")
    code = fake.issue(uid, "code", lifetime_s=600)
    spec = InstagramAdapter.oauth_spec(fake.url)
    answer = httpx.post(spec.token_url, data={
        "client_id": "1234567890", "client_secret": "fake-meta-app-secret", "code": code,
        "grant_type": "authorization_code", "redirect_uri": "http://127.0.0.1:1/callback"})
    profile, tokens = InstagramAdapter.finish_connect(answer.json(), app=fake.app(),
                                                      base_url=fake.url)
    assert (profile.handle, profile.external_id) == ("@studio", uid)
    assert "instagram_business_content_publish" in tokens.scopes
    assert fake.tokens[tokens.access_token or ""].kind == "long"
    assert InstagramAdapter.oauth_spec().token_url == \
        "https://api.instagram.com/oauth/access_token"


def test_metrics_map_views_comments_shares_and_saves(fake: FakeMeta,
                                                     adapter: InstagramAdapter) -> None:
    media_id = adapter.publish(PublishRequest("i10", ["x"], media=[_photo(fake)]),
                               lambda p: None).remote_id
    fake.posts_by_id[media_id].counters.update(views=300, likes=20, comments=4, shares=3,
                                               saved=9)
    metrics = adapter.fetch_metrics([media_id, "404"])[media_id]
    assert (metrics.impressions, metrics.likes, metrics.replies, metrics.reposts,
            metrics.saves) == (300, 20, 4, 3, 9)


def test_account_counts_are_the_ig_users_followers_follows_and_media(
        fake: FakeMeta, adapter: InstagramAdapter) -> None:
    counts = adapter.fetch_account_metrics()
    assert (counts.followers, counts.following, counts.posts) == (1200, 80, 42)
