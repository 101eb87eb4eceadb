"""The X adapter over real HTTP against a fake that follows X's API v2 contract."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from socialhub.platforms.base import AccountInfo, MediaItem, PublishedPart, PublishRequest, Tokens
from socialhub.platforms.errors import (
    AuthExpiredError,
    AuthRevokedError,
    InvalidContentError,
    RateLimitedError,
    RetryLaterError,
)
from socialhub.platforms.x.adapter import XAdapter, plain_text
from tests.fakes.x import FakeX, PNG_1x1
from tests.fakes.x import start_fake as start_fake  # the `fake` fixture's (conftest.py)


def make_adapter(fake: FakeX, *, scopes: list[str] | None = None,
                 saved: list[Tokens] | None = None) -> XAdapter:
    user, tokens = fake.add_user("shop", scopes=scopes)
    info = AccountInfo(account_id=1, platform="x", handle="@shop", external_id=user.id,
                       base_url=fake.url)
    adapter = XAdapter(info, tokens, timeout_s=5, app=fake.account()[2],
                       on_tokens=saved.append if saved is not None else None)
    adapter.media_poll_s = 0.0
    adapter.chunk_bytes = 1000
    return adapter


adapter_for = make_adapter  # what the `adapter` fixture builds (tests/platforms/conftest.py)


def request(*parts: str, **kw: object) -> PublishRequest:
    return PublishRequest(idempotency_key="d-1", parts=list(parts), **kw)  # type: ignore[arg-type]


def mp4(path: Path, seconds: float, size: int = 3500) -> Path:
    mvhd = bytes(4) + struct.pack(">IIII", 0, 0, 1000, int(seconds * 1000)) + bytes(80)
    moov = struct.pack(">I", 8 + 8 + len(mvhd)) + b"moov" + struct.pack(
        ">I", 8 + len(mvhd)) + b"mvhd" + mvhd
    body = struct.pack(">I", 16) + b"ftypisom\0\0\0\0" + moov
    path.write_bytes(body + b"\0" * max(0, size - len(body)))
    return path


def test_a_thread_is_a_reply_chain_and_each_part_is_reported_at_once(
        fake: FakeX, adapter: XAdapter) -> None:
    seen: list[PublishedPart] = []
    result = adapter.publish(request("one", "two", "three"), seen.append)
    posts = fake.posts()
    assert [p["text"] for p in posts] == ["one", "two", "three"]
    assert [p["reply_to"] for p in posts] == [None, posts[0]["id"], posts[1]["id"]]
    assert [p.remote_id for p in seen] == [p["id"] for p in posts]
    assert result.url == f"https://x.com/shop/status/{posts[0]['id']}"


def test_a_thread_resumes_after_the_parts_already_published(fake: FakeX,
                                                            adapter: XAdapter) -> None:
    first = adapter.publish(request("one"), lambda p: None).parts[0]
    adapter.publish(request("one", "two", already_published=[first]), lambda p: None)
    posts = fake.posts()
    assert [p["text"] for p in posts] == ["one", "two"]
    assert posts[1]["reply_to"] == first.remote_id


def test_a_first_comment_replies_to_the_last_part(fake: FakeX, adapter: XAdapter) -> None:
    result = adapter.publish(request("post", first_comment="link below"), lambda p: None)
    assert result.parts[1].extra == {"first_comment": True}
    assert fake.posts()[1]["reply_to"] == result.parts[0].remote_id


def test_an_image_is_uploaded_simply_with_its_alt_text(fake: FakeX, adapter: XAdapter,
                                                       tmp_path: Path) -> None:
    image = tmp_path / "dot.png"
    image.write_bytes(PNG_1x1)
    adapter.publish(request("look", media=[MediaItem(path=image, alt_text="a dot")]),
                    lambda p: None)
    media_id = fake.posts()[0]["media_ids"][0]
    assert fake.media[media_id]["category"] == "tweet_image"
    assert fake.media[media_id]["bytes"] == PNG_1x1
    assert fake.media[media_id]["alt"] == "a dot"


def test_a_video_goes_up_in_chunks_and_waits_for_processing(fake: FakeX, adapter: XAdapter,
                                                             tmp_path: Path) -> None:
    video = mp4(tmp_path / "clip.mp4", 3.0, size=3500)
    adapter.publish(request("watch", media=[MediaItem(path=video)]), lambda p: None)
    uploads = fake.calls("POST", "/2/media/upload")
    assert [r.params["command"] for r in uploads] == ["INIT", "APPEND", "APPEND", "APPEND",
                                                      "APPEND", "FINALIZE"]
    assert fake.calls("GET", "/2/media/upload")  # STATUS polled until succeeded
    media = fake.media[fake.posts()[0]["media_ids"][0]]
    assert media["category"] == "tweet_video" and media["bytes"] == video.read_bytes()


def test_an_expired_token_mid_queue_is_refreshed_and_the_rotated_token_saved_first(
        fake: FakeX) -> None:
    saved: list[Tokens] = []
    adapter = make_adapter(fake, saved=saved)
    adapter.publish(request("before"), lambda p: None)
    fake.expire_access_tokens()
    with pytest.raises(AuthExpiredError):
        adapter.publish(request("after"), lambda p: None)
    old_refresh = adapter.tokens.refresh_token
    new = adapter.refresh()
    assert saved == [new] and new.refresh_token != old_refresh
    assert new.expires_at is not None and new.expires_at > datetime.now(UTC) + timedelta(hours=1)
    adapter.publish(request("after"), lambda p: None)
    assert [p["text"] for p in fake.posts()] == ["before", "after"]
    # The old refresh token was single-use: replaying it is refused for good.
    adapter.tokens = Tokens(access_token=new.access_token, refresh_token=old_refresh)
    with pytest.raises(AuthRevokedError, match=r"reconnect|used already"):
        adapter.refresh()


def test_a_revoked_token_cannot_be_refreshed_and_asks_to_reconnect(fake: FakeX,
                                                                   adapter: XAdapter) -> None:
    fake.revoke()
    with pytest.raises(AuthExpiredError):
        adapter.publish(request("hello"), lambda p: None)
    with pytest.raises(AuthRevokedError) as caught:
        adapter.refresh()
    assert caught.value.hint and "socialhub accounts connect x" in caught.value.hint
    assert str(adapter.tokens.refresh_token) not in str(caught.value)


def test_a_missing_write_scope_stops_with_the_scope_named(fake: FakeX) -> None:
    adapter = make_adapter(fake, scopes=["tweet.read", "users.read", "offline.access"])
    with pytest.raises(AuthRevokedError, match=r"tweet\.write"):
        adapter.publish(request("hello"), lambda p: None)
    assert fake.posts() == []


def test_a_429_says_when_to_retry_from_the_reset_header(fake: FakeX, adapter: XAdapter) -> None:
    fake.rate_limit_next(reset_in_s=900)
    with pytest.raises(RateLimitedError) as caught:
        adapter.publish(request("hello"), lambda p: None)
    until = caught.value.until
    assert until is not None
    assert timedelta(minutes=14) < until - datetime.now(UTC) <= timedelta(minutes=15, seconds=1)


def test_a_spent_usage_cap_is_a_rate_limit_naming_the_cap(fake: FakeX, adapter: XAdapter) -> None:
    fake.usage_capped = True
    with pytest.raises(RateLimitedError, match=r"usage cap exceeded \(Monthly") as caught:
        adapter.publish(request("hello"), lambda p: None)
    assert caught.value.code == "usage-capped" and caught.value.until is not None


def test_a_5xx_after_the_post_was_created_is_reconciled_without_a_duplicate(
        fake: FakeX, adapter: XAdapter) -> None:
    fake.fail_next(503, after_create=True)
    req = request("see https://example.com/a?b=1 & more", "part two",
                  options={"not_before": datetime.now(UTC) - timedelta(seconds=5)})
    with pytest.raises(RetryLaterError):
        adapter.publish(req, lambda p: None)
    found = adapter.find_by_idempotency_key(req)
    assert found is not None and len(found) == 1
    adapter.publish(PublishRequest(idempotency_key="d-1", parts=req.parts, options=req.options,
                                   already_published=found), lambda p: None)
    assert [p["text"] for p in fake.posts()] == [req.parts[0], "part two"]


def test_lookup_ignores_an_older_post_with_the_same_text(fake: FakeX, adapter: XAdapter) -> None:
    adapter.publish(request("weekly tip"), lambda p: None)
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert adapter.find_by_idempotency_key(
        request("weekly tip", options={"not_before": later})) is None


def test_plain_text_expands_links_drops_the_media_link_and_unescapes() -> None:
    tweet = {"text": "a &amp; b https://t.co/x https://t.co/m",
             "entities": {"urls": [
                 {"url": "https://t.co/x", "expanded_url": "https://example.com/long"},
                 {"url": "https://t.co/m", "display_url": "pic.x.com/abc", "media_key": "3_1"}]}}
    assert plain_text(tweet) == "a & b https://example.com/long"


def test_metrics_accept_retweet_or_repost_count_and_skip_deleted_posts(fake: FakeX) -> None:
    for name in ("retweet_count", "repost_count"):
        fake.metrics_field = name
        adapter = make_adapter(fake)
        post = adapter.publish(request(f"metrics via {name}"), lambda p: None).remote_id
        gone = adapter.publish(request(f"deleted {name}"), lambda p: None).remote_id
        adapter.delete(gone)
        adapter.delete(gone)  # already gone: still fine
        metrics = adapter.fetch_metrics([post, gone])
        assert list(metrics) == [post]
        assert (metrics[post].reposts, metrics[post].likes, metrics[post].impressions) == (2, 3, 40)


def test_a_young_post_adds_its_private_link_clicks_and_an_old_one_is_not_asked(
        fake: FakeX, adapter: XAdapter) -> None:
    young = adapter.publish(request("clicks while young"), lambda p: None).remote_id
    old = fake.tweet_as(adapter.account.external_id or "", "old post",
                        at=datetime.now(UTC) - timedelta(days=31))
    fake.requests.clear()
    metrics = adapter.fetch_metrics([young, old])
    assert (metrics[young].clicks, metrics[young].impressions) == (5, 40)
    assert metrics[young].raw["non_public_metrics"]["user_profile_clicks"] == 2
    assert metrics[old].clicks is None  # absent, not 0
    asked = {r.path.rsplit("/", 1)[-1]: r.query["tweet.fields"] for r in fake.requests}
    assert "non_public_metrics" in asked[young]
    assert asked[old] == "public_metrics"  # X would refuse: never asked past 30 days


def test_a_post_x_refuses_private_metrics_for_falls_back_to_the_public_ones(
        fake: FakeX, adapter: XAdapter) -> None:
    post = adapter.publish(request("aged under our feet"), lambda p: None).remote_id
    fake.age(post, 31)  # X's clock says older than its id suggests: X answers 400
    metrics = adapter.fetch_metrics([post])
    assert (metrics[post].likes, metrics[post].clicks) == (3, None)


def test_account_counts_come_from_the_users_public_metrics(fake: FakeX,
                                                          adapter: XAdapter) -> None:
    counts = adapter.fetch_account_metrics()
    assert (counts.followers, counts.following, counts.posts) == (120, 45, 300)


def test_a_too_long_post_is_refused_by_x_with_its_reason(fake: FakeX, adapter: XAdapter) -> None:
    with pytest.raises(InvalidContentError, match="too long"):
        adapter.publish(request("x" * 300), lambda p: None)


def test_validate_counts_weighted_and_says_what_to_change(adapter: XAdapter,
                                                          tmp_path: Path) -> None:
    big = tmp_path / "photo.png"
    big.write_bytes(PNG_1x1 + b"\0" * 6_100_000)
    long_video = mp4(tmp_path / "talk.mp4", 200.0)
    assert adapter.validate(request("日本語" * 50)) == ["part 1: 300 weighted characters, over "
                                                        "the 280 limit"]
    assert adapter.validate(request("ok", media=[MediaItem(path=big)])) == [
        "photo.png is 6.1 MB; X takes images up to 5 MB"]
    problems = adapter.validate(request("ok", media=[MediaItem(path=long_video),
                                                     MediaItem(path=big)]))
    assert "talk.mp4 lasts 200.0 s; X takes videos of 0.5–140 s: trim it" in problems
    assert any("must be the only attachment" in p for p in problems)
    assert adapter.validate(request("", media=[MediaItem(path=tmp_path / "nope.png")])) == [
        f"media file {tmp_path / 'nope.png'} does not exist or cannot be read"]
    assert adapter.validate(request("fine")) == []


def test_connecting_reads_the_user_and_the_token_lifetime(fake: FakeX) -> None:
    user, _ = fake.add_user("brand")
    spec = XAdapter.oauth_spec(fake.url)
    assert spec.token_url == f"{fake.url}/2/oauth2/token" and "offline.access" in spec.scopes
    import httpx

    code = fake.add_code(user.id)
    answer = httpx.post(spec.token_url, data={"grant_type": "authorization_code", "code": code,
                                              "code_verifier": "v" * 43,
                                              "client_id": fake.CLIENT_ID}).json()
    profile, tokens = XAdapter.finish_connect(answer, app=fake.account()[2], base_url=fake.url)
    assert (profile.handle, profile.external_id, profile.display_name) == (
        "@brand", user.id, "Brand")
    assert tokens.refresh_token and "offline.access" in tokens.scopes
    assert tokens.expires_at is not None
    assert timedelta(hours=1, minutes=59) < tokens.expires_at - datetime.now(UTC) <= timedelta(
        hours=2)
    assert XAdapter.oauth_spec(None).authorize_url == "https://x.com/i/oauth2/authorize"
