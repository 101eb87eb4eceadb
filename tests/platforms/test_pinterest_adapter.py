"""The Pinterest adapter over real HTTP against a fake Pinterest API v5."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from socialhub.platforms.base import MediaItem, PublishedPart, PublishRequest, Tokens
from socialhub.platforms.errors import (
    AuthExpiredError,
    AuthRevokedError,
    InvalidContentError,
    RateLimitedError,
    RetryLaterError,
)
from socialhub.platforms.pinterest.adapter import PinterestAdapter
from tests.fakes.pinterest import FakePinterest
from tests.fakes.pinterest import start_fake as start_fake  # the `fake` fixture's (conftest.py)

IMAGE = MediaItem(url="https://img.example/ramen.jpg", alt_text="A bowl of ramen")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_an_image_url_pin_carries_board_title_description_link_and_alt_text(
        fake: FakePinterest, adapter: PinterestAdapter) -> None:
    seen: list[PublishedPart] = []
    result = adapter.publish(PublishRequest("d1", ["Slow-cooked broth, 12 hours."], media=[
        IMAGE], options={"title": "Tonkotsu at home", "link": "https://shop.example/r"}),
        seen.append)
    assert seen == result.parts
    [pin] = fake.pins.values()
    assert pin["board_id"] == adapter.account.settings["board_id"]
    assert (pin["title"], pin["description"], pin["link"], pin["alt_text"]) == (
        "Tonkotsu at home", "Slow-cooked broth, 12 hours.", "https://shop.example/r",
        "A bowl of ramen")
    assert pin["media_source"] == {"source_type": "image_url", "url": IMAGE.url}
    assert result.url == f"{fake.url}/pin/{result.remote_id}/"


def test_a_local_image_is_sent_as_base64_and_several_urls_as_a_carousel(
        fake: FakePinterest, adapter: PinterestAdapter, tmp_path: Path) -> None:
    image = tmp_path / "bowl.png"
    image.write_bytes(PNG)
    adapter.publish(PublishRequest("d2", ["file"], media=[MediaItem(path=image)]),
                    lambda p: None)
    adapter.publish(PublishRequest("d3", ["carousel"], media=[
        IMAGE, MediaItem(url="https://img.example/2.jpg")]), lambda p: None)
    first, second = fake.pins.values()
    assert first["media_source"] == {"source_type": "image_base64", "content_type": "image/png",
                                     "data": base64.b64encode(PNG).decode()}
    assert second["media_source"]["source_type"] == "multiple_image_urls"
    assert [i["url"] for i in second["media_source"]["items"]] == [
        IMAGE.url, "https://img.example/2.jpg"]


def test_text_only_and_video_pins_are_refused_before_sending(
        fake: FakePinterest, adapter: PinterestAdapter) -> None:
    assert "pinterest needs an image: add --media" in adapter.validate(
        PublishRequest("v", ["just words"]))
    with pytest.raises(InvalidContentError, match="needs an image"):
        adapter.publish(PublishRequest("v", ["just words"]), lambda p: None)
    video = MediaItem(url="https://img.example/clip.mp4")
    assert any("video pins are not supported" in p
               for p in adapter.validate(PublishRequest("v", ["clip"], media=[video])))
    with pytest.raises(InvalidContentError, match="video pins are not supported"):
        adapter.publish(PublishRequest("v", ["clip"], media=[video]), lambda p: None)
    assert fake.pins == {}


def test_validate_names_each_limit_and_what_to_change(adapter: PinterestAdapter,
                                                      tmp_path: Path) -> None:
    assert adapter.validate(PublishRequest("v", ["fine"], media=[IMAGE])) == []
    gif = tmp_path / "anim.gif"
    gif.write_bytes(b"GIF89a")
    huge = tmp_path / "huge.jpg"
    with huge.open("wb") as handle:
        handle.truncate(21 * 1024 * 1024)
    problems = adapter.validate(PublishRequest(
        "v", ["d" * 801, "second"], first_comment="hi",
        media=[MediaItem(path=gif), MediaItem(path=huge, alt_text="a" * 501)],
        options={"title": "t" * 101, "link": "ftp://x", "board_id": ""}))
    joined = "\n".join(problems)
    for fragment in ("no threads: publish one part, not 2", "no comments",
                     "description: 801 characters, over the 800 limit",
                     "title: 101 characters, over the 100 limit", "link must be an http(s) URL",
                     "anim.gif is image/gif; pinterest takes uploaded images as PNG or JPEG",
                     "huge.jpg is 22 MB; pinterest takes images up to 20 MB",
                     "alt text of", "pinterest takes at most 500"):
        assert fragment in joined, fragment
    unboarded = PinterestAdapter(replace(adapter.account, settings={}), Tokens())
    assert any("needs a board" in p for p in unboarded.validate(
        PublishRequest("v", ["x"], media=[IMAGE])))
    unboarded.close()


def test_an_expired_token_refreshes_with_rotation_and_the_queue_continues(
        fake: FakePinterest, adapter: PinterestAdapter) -> None:
    stored: list[Tokens] = []
    adapter.on_tokens = stored.append
    old_refresh = adapter.tokens.refresh_token
    adapter.publish(PublishRequest("q1", ["first"], media=[IMAGE]), lambda p: None)
    fake.expire_access_tokens()
    with pytest.raises(AuthExpiredError):
        adapter.publish(PublishRequest("q2", ["second"], media=[IMAGE]), lambda p: None)
    tokens = adapter.refresh()
    assert stored == [tokens]
    assert tokens.refresh_token and tokens.refresh_token != old_refresh
    assert tokens.refresh_expires_at is not None
    assert tokens.refresh_expires_at - datetime.now(UTC) > timedelta(days=59)
    assert "pins:write" in tokens.scopes
    refresh_call = [r for r in fake.requests if r["path"] == "/v5/oauth/token"][-1]
    assert refresh_call["body"]["continuous_refresh"] == "true"
    adapter.publish(PublishRequest("q2", ["second"], media=[IMAGE]), lambda p: None)
    assert [p["description"] for p in fake.pins.values()] == ["first", "second"]
    # The old refresh token died with the rotation: reusing it is "reconnect".
    stale = PinterestAdapter(adapter.account, Tokens(refresh_token=old_refresh),
                             app=adapter.app)
    with pytest.raises(AuthRevokedError) as caught:
        stale.refresh()
    assert str(old_refresh) not in str(caught.value)
    assert "fake-pinterest-secret" not in str(caught.value)
    stale.close()


def test_a_revoked_grant_and_a_missing_scope_need_a_reconnect(fake: FakePinterest) -> None:
    access, refresh = fake.add_user("viewer", scopes=("pins:read", "user_accounts:read"))
    info, _, app = fake.account()
    narrow = PinterestAdapter(info, Tokens(access_token=access, refresh_token=refresh), app=app)
    with pytest.raises(AuthRevokedError, match="lacks the 'pins:write' scope"):
        narrow.publish(PublishRequest("d4", ["x"], media=[IMAGE]), lambda p: None)
    fake.revoke()
    with pytest.raises(AuthExpiredError):
        narrow.publish(PublishRequest("d4", ["x"], media=[IMAGE]), lambda p: None)
    with pytest.raises(AuthRevokedError, match="refresh token was refused"):
        narrow.refresh()
    narrow.close()


def test_a_429_is_rate_limited_until_retry_after(fake: FakePinterest,
                                                 adapter: PinterestAdapter) -> None:
    fake.rate_limit_next(reset_in_s=90)
    with pytest.raises(RateLimitedError) as caught:
        adapter.publish(PublishRequest("d5", ["x"], media=[IMAGE]), lambda p: None)
    until = caught.value.until
    assert until is not None
    assert timedelta(seconds=85) < until - datetime.now(UTC) <= timedelta(seconds=90)
    assert "exceeded your rate limit" in str(caught.value)


def test_an_unknown_board_is_invalid_content_naming_the_board(
        adapter: PinterestAdapter) -> None:
    with pytest.raises(InvalidContentError, match=r"Board not found.*check board_id 999"):
        adapter.publish(PublishRequest("d6", ["x"], media=[IMAGE],
                                       options={"board_id": "999"}), lambda p: None)


def test_a_5xx_after_the_pin_was_created_is_reconciled_without_a_duplicate(
        fake: FakePinterest, adapter: PinterestAdapter) -> None:
    request = PublishRequest("d7", ["Exactly one pin"], media=[IMAGE],
                             options={"title": "Once",
                                      "not_before": datetime.now(UTC) - timedelta(seconds=5)})
    fake.fail_next(502, after_create=True)
    with pytest.raises(RetryLaterError):
        adapter.publish(request, lambda p: None)
    found = adapter.find_by_idempotency_key(request)
    assert found is not None
    result = adapter.publish(replace(request, already_published=found), lambda p: None)
    assert len(fake.pins) == 1
    assert result.remote_id == found[0].remote_id == next(iter(fake.pins))


def test_lookup_ignores_an_older_pin_with_the_same_text(adapter: PinterestAdapter) -> None:
    adapter.publish(PublishRequest("w1", ["Weekly tip"], media=[IMAGE]), lambda p: None)
    later = datetime.now(UTC) + timedelta(seconds=5)
    assert adapter.find_by_idempotency_key(PublishRequest(
        "w2", ["Weekly tip"], media=[IMAGE], options={"not_before": later})) is None
    assert adapter.find_by_idempotency_key(PublishRequest(
        "w3", ["never sent"], media=[IMAGE])) is None


def test_metrics_and_delete(fake: FakePinterest, adapter: PinterestAdapter) -> None:
    result = adapter.publish(PublishRequest("d8", ["counted"], media=[IMAGE]), lambda p: None)
    fake.pins[result.remote_id]["metrics"].update(IMPRESSION=120, SAVE=7, OUTBOUND_CLICK=3,
                                                  PIN_CLICK=9, TOTAL_REACTIONS=4)
    metrics = adapter.fetch_metrics([result.remote_id])[result.remote_id]
    assert (metrics.impressions, metrics.saves, metrics.clicks, metrics.likes) == (120, 7, 3, 4)
    assert metrics.raw["PIN_CLICK"] == 9
    adapter.delete(result.remote_id)
    adapter.delete(result.remote_id)  # already gone: fine
    assert adapter.fetch_metrics([result.remote_id]) == {}


def test_connect_reads_the_user_account_and_both_expiries(fake: FakePinterest) -> None:
    spec = PinterestAdapter.oauth_spec(fake.url)
    assert (spec.token_url, spec.scope_separator, spec.client_auth) == (
        f"{fake.url}/v5/oauth/token", ",", "basic")
    assert PinterestAdapter.oauth_spec().authorize_url == "https://www.pinterest.com/oauth/"
    answer = httpx.post(spec.token_url, auth=(fake.app().client_id or "",
                                              fake.app().client_secret or ""),
                        data={"grant_type": "authorization_code",
                              "code": fake.issue_code("ramenco"),
                              "redirect_uri": "http://127.0.0.1:8765/callback"}).json()
    profile, tokens = PinterestAdapter.finish_connect(answer, app=fake.app(), base_url=fake.url)
    assert (profile.handle, profile.external_id) == ("ramenco", fake.users["ramenco"])
    assert tokens.expires_at is not None and tokens.refresh_expires_at is not None
    assert set(tokens.scopes) == {"boards:read", "pins:read", "pins:write",
                                  "user_accounts:read"}


def test_account_counts_come_from_the_user_account(fake: FakePinterest,
                                                   adapter: PinterestAdapter) -> None:
    counts = adapter.fetch_account_metrics()
    assert (counts.followers, counts.following, counts.posts) == (310, 27, 0)
    adapter.publish(PublishRequest("acct-1", ["A pin"], media=[
        MediaItem(url="https://img.example/a.jpg", mime="image/jpeg", alt_text="a")]),
        lambda p: None)
    assert adapter.fetch_account_metrics().posts == 1
