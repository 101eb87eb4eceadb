"""The Facebook Pages adapter over real HTTP against a fake Graph API for Pages."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from socialhub.errors import ValidationError
from socialhub.platforms.base import MediaItem, PublishedPart, PublishRequest
from socialhub.platforms.errors import (
    AuthRevokedError,
    InvalidContentError,
    OutcomeUnknownError,
    RateLimitedError,
)
from socialhub.platforms.facebook.adapter import FacebookAdapter
from tests.fakes.facebook import start_fake as start_fake  # the `fake` fixture's (conftest.py)
from tests.fakes.meta import FakeMeta
from tests.fakes.meta_model import CLIENT_ID, CLIENT_SECRET


def test_a_text_post_with_a_link_goes_to_the_page_feed(fake: FakeMeta,
                                                       adapter: FacebookAdapter) -> None:
    seen: list[PublishedPart] = []
    result = adapter.publish(PublishRequest("f1", ["We open Monday"],
                                            options={"link": "https://shop.example"}),
                             seen.append)
    [post] = fake.posts()
    assert (post["text"], post["link"]) == ("We open Monday", "https://shop.example")
    assert result.remote_id == post["id"] and post["id"].startswith(f"{adapter.page}_")
    assert result.url == f"https://www.facebook.com/{post['id']}" and seen == result.parts


def test_one_photo_uses_photos_and_several_use_attached_media(
        tmp_path: Path, fake: FakeMeta, adapter: FacebookAdapter) -> None:
    local = tmp_path / "local.png"
    local.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    adapter.publish(PublishRequest("f2", ["one photo"], media=[
        MediaItem(url=f"{fake.url}/media/a.jpg", alt_text="a shop front")]), lambda p: None)
    adapter.publish(PublishRequest("f3", ["two photos"], media=[
        MediaItem(url=f"{fake.url}/media/b.jpg"), MediaItem(path=local, mime="image/png")]),
        lambda p: None)
    single, album = fake.posts()
    assert single["media_type"] == "PHOTO" and single["text"] == "one photo"
    assert single["media"][0]["alt_text_custom"] == "a shop front"
    assert album["media_type"] == "ALBUM"
    assert [m["published"] for m in album["media"]] == ["false", "false"]
    assert album["media"][1]["source_bytes"] == local.stat().st_size  # uploaded, not a URL


def test_the_first_comment_is_a_comment_on_the_post(fake: FakeMeta,
                                                    adapter: FacebookAdapter) -> None:
    result = adapter.publish(PublishRequest("f4", ["post"], first_comment="details inside"),
                             lambda p: None)
    post, comment = fake.posts()
    assert (comment["kind"], comment["reply_to"]) == ("comment", post["id"])
    assert result.parts[1].extra == {"first_comment": True}


def test_validate_refuses_threads_videos_and_oversized_photos(
        tmp_path: Path, adapter: FacebookAdapter) -> None:
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 4_100_000)
    problems = "\n".join(adapter.validate(PublishRequest("v", ["a", "b"], media=[
        MediaItem(path=big), MediaItem(url="https://cdn.example/clip.mp4")])))
    assert "facebook has no threads: 2 parts" in problems
    assert "big.jpg is 4.1 MB; facebook takes images up to 4 MB" in problems
    assert "clip.mp4: video posts to Pages are not supported yet" in problems
    assert adapter.validate(PublishRequest("ok", ["hello"])) == []


def test_a_token_error_means_reconnect_because_page_tokens_do_not_refresh(
        fake: FakeMeta, adapter: FacebookAdapter) -> None:
    fake.expire_access_tokens()
    with pytest.raises(AuthRevokedError, match="Session has expired") as exc:
        adapter.publish(PublishRequest("f5", ["x"]), lambda p: None)
    assert "socialhub accounts connect facebook" in (exc.value.hint or "")
    with pytest.raises(AuthRevokedError, match="cannot be refreshed"):
        adapter.refresh()
    assert FacebookAdapter.capabilities.refresh is False


def test_a_missing_permission_is_named(fake: FakeMeta, adapter: FacebookAdapter) -> None:
    fake.drop_scope("pages_manage_posts")
    with pytest.raises(AuthRevokedError, match="missing permission pages_read_engagement, "
                                               "pages_manage_posts"):
        adapter.publish(PublishRequest("f6", ["x"]), lambda p: None)


def test_page_throttling_waits_for_the_business_use_case_estimate(
        fake: FakeMeta, adapter: FacebookAdapter) -> None:
    fake.rate_limit_next(reset_in_s=300)
    with pytest.raises(RateLimitedError, match="code 32") as exc:
        adapter.publish(PublishRequest("f7", ["x"]), lambda p: None)
    assert exc.value.until is not None
    assert 290 < (exc.value.until - datetime.now(UTC)).total_seconds() <= 300


def test_a_5xx_after_the_post_was_created_is_reconciled_without_a_duplicate(
        fake: FakeMeta, adapter: FacebookAdapter) -> None:
    request = PublishRequest("f8", ["only once"], first_comment="and a comment",
                             options={"not_before": datetime.now(UTC) - timedelta(minutes=1)})
    fake.fail_next(500, after_create=True)
    with pytest.raises(OutcomeUnknownError):
        adapter.publish(request, lambda p: None)
    found = adapter.find_by_idempotency_key(request)
    assert found is not None and len(found) == 1
    adapter.publish(PublishRequest("f8", ["only once"], first_comment="and a comment",
                                   already_published=found), lambda p: None)
    assert [p["text"] for p in fake.posts()] == ["only once", "and a comment"]
    assert len(adapter.find_by_idempotency_key(request) or []) == 2


def test_a_bad_parameter_is_invalid_content(fake: FakeMeta, adapter: FacebookAdapter) -> None:
    with pytest.raises(InvalidContentError, match="Missing message or attachment"):
        adapter.publish(PublishRequest("f9", [""]), lambda p: None)


def _login(fake: FakeMeta, pages: list[str]) -> dict[str, object]:
    uid = fake.add_user("owner", pages=pages)
    code = fake.issue(uid, "code", lifetime_s=600)
    spec = FacebookAdapter.oauth_spec(fake.url)
    answer = httpx.post(spec.token_url, data={"client_id": CLIENT_ID,
                                              "client_secret": CLIENT_SECRET, "code": code,
                                              "redirect_uri": "http://127.0.0.1:1/callback"})
    result: dict[str, object] = answer.json()
    return result


def test_connecting_picks_the_only_page_and_stores_its_page_token(fake: FakeMeta) -> None:
    profile, tokens = FacebookAdapter.finish_connect(_login(fake, ["Corner Cafe"]),
                                                     app=fake.app(), base_url=fake.url)
    assert profile.handle == "Corner Cafe" and profile.settings["page_id"] == profile.external_id
    assert fake.tokens[tokens.access_token or ""].kind == "page"
    assert tokens.expires_at is None and "pages_manage_posts" in tokens.scopes
    exchange = [r for r in fake.requests if r["params"].get("grant_type") == "fb_exchange_token"]
    assert len(exchange) == 1


def test_several_pages_need_a_choice_by_name(fake: FakeMeta) -> None:
    response = _login(fake, ["Corner Cafe", "Book Shop"])
    with pytest.raises(ValidationError, match=r"several Pages; this login manages: "
                                              r"Corner Cafe \(\d+\), Book Shop"):
        FacebookAdapter.finish_connect(response, app=fake.app(), base_url=fake.url)
    response = _login(fake, ["Corner Cafe", "Book Shop"])
    profile, _ = FacebookAdapter.finish_connect({**response, "page": "book shop"},
                                                app=fake.app(), base_url=fake.url)
    assert profile.handle == "Book Shop"


def test_metrics_sum_reactions_comments_and_shares(fake: FakeMeta,
                                                  adapter: FacebookAdapter) -> None:
    result = adapter.publish(PublishRequest("m1", ["post"], first_comment="c"), lambda p: None)
    fake.posts_by_id[result.remote_id].counters.update(reactions=12, shares=3)
    adapter.delete(result.parts[1].remote_id)
    metrics = adapter.fetch_metrics([result.remote_id, "nope"])
    assert list(metrics) == [result.remote_id]
    assert (metrics[result.remote_id].likes, metrics[result.remote_id].replies,
            metrics[result.remote_id].reposts) == (12, 0, 3)
    assert json.dumps(metrics[result.remote_id].raw)


def test_account_counts_are_the_pages_followers_only(fake: FakeMeta,
                                                     adapter: FacebookAdapter) -> None:
    counts = adapter.fetch_account_metrics()
    assert (counts.followers, counts.following, counts.posts) == (900, None, None)
    assert counts.raw["fan_count"] == 850
