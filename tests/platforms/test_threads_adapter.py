"""The Threads adapter over real HTTP against a fake Graph API that follows Threads' contract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from socialhub.platforms.base import MediaItem, PublishedPart, PublishRequest, Tokens
from socialhub.platforms.errors import (
    AuthExpiredError,
    AuthRevokedError,
    InvalidContentError,
    OutcomeUnknownError,
    RateLimitedError,
    RetryLaterError,
)
from socialhub.platforms.meta.graph import raise_for_graph, usage_reset
from socialhub.platforms.threads.adapter import ThreadsAdapter
from tests.fakes.meta import FakeMeta
from tests.fakes.threads import start_fake as start_fake  # the `fake` fixture's (conftest.py)


def _adapter(fake: FakeMeta, stored: list[Tokens] | None = None) -> ThreadsAdapter:
    info, tokens, app = fake.account()
    adapter = ThreadsAdapter(info, tokens, app=app, timeout_s=5,
                             on_tokens=(stored.append if stored is not None else None))
    adapter.poll_s = 0.001
    return adapter


adapter_for = _adapter  # what the `adapter` fixture builds (tests/platforms/conftest.py)


def _calls(fake: FakeMeta) -> list[str]:
    return [f"{r['method']} /{r['path'].strip('/').split('/')[-1]}" for r in fake.requests]


def test_a_text_post_is_a_container_polled_then_published_after_reading_the_quota(
        fake: FakeMeta, adapter: ThreadsAdapter) -> None:
    seen: list[PublishedPart] = []
    result = adapter.publish(PublishRequest("d1", ["Hello Threads"]), seen.append)
    assert seen == result.parts
    assert fake.posts() == [{"id": result.remote_id, "text": "Hello Threads", "reply_to": None,
                             "kind": "post", "media_type": "TEXT", "media": [], "link": None}]
    calls = _calls(fake)
    assert calls.index("GET /threads_publishing_limit") < calls.index("POST /threads")
    assert calls.count(f"GET /{result.parts[0].extra['container_id']}") == 2  # IN_PROGRESS first
    assert result.url == f"{fake.url}/@{adapter.user}/post/{result.remote_id}"
    # The token went in the Authorization header, never in a URL.
    assert all("access_token" not in r["params"] for r in fake.requests)


def test_a_thread_is_a_reply_chain_and_the_first_comment_replies_to_the_last_part(
        fake: FakeMeta, adapter: ThreadsAdapter) -> None:
    result = adapter.publish(PublishRequest("d2", ["1/2", "2/2"], first_comment="link below"),
                             lambda p: None)
    posts = fake.posts()
    assert [p["text"] for p in posts] == ["1/2", "2/2", "link below"]
    assert [p["reply_to"] for p in posts] == [None, posts[0]["id"], posts[1]["id"]]
    assert result.parts[2].extra["first_comment"] is True


def test_a_thread_resumes_without_resending_published_parts(fake: FakeMeta,
                                                            adapter: ThreadsAdapter) -> None:
    first = adapter.publish(PublishRequest("d3", ["one"]), lambda p: None).parts[0]
    result = adapter.publish(PublishRequest("d3", ["one", "two"], already_published=[first]),
                             lambda p: None)
    assert [p["text"] for p in fake.posts()] == ["one", "two"]
    assert fake.posts()[1]["reply_to"] == first.remote_id == result.remote_id


def test_images_become_a_carousel_with_alt_text(fake: FakeMeta,
                                                adapter: ThreadsAdapter) -> None:
    media = [MediaItem(url=f"{fake.url}/media/{n}.jpg", alt_text=f"photo {n}")
             for n in range(3)]
    adapter.publish(PublishRequest("d4", ["Three photos"], media=media), lambda p: None)
    [post] = fake.posts()
    assert post["media_type"] == "CAROUSEL"
    assert [m["image_url"] for m in post["media"]] == [m.url for m in media]
    assert [m["alt_text"] for m in post["media"]] == ["photo 0", "photo 1", "photo 2"]
    assert all(m["is_carousel_item"] == "true" for m in post["media"])


def test_a_single_video_is_a_video_container(fake: FakeMeta, adapter: ThreadsAdapter) -> None:
    adapter.publish(PublishRequest("d5", [""], media=[MediaItem(url=f"{fake.url}/media/a.mp4")]),
                    lambda p: None)
    [post] = fake.posts()
    assert post["media_type"] == "VIDEO" and post["media"][0]["video_url"].endswith("a.mp4")


def test_validate_says_what_to_change(tmp_path: Path, adapter: ThreadsAdapter) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 100)
    links = " ".join(f"https://example.com/{n}" for n in range(6))
    problems = adapter.validate(PublishRequest("v", ["x" * 501, links], media=[
        MediaItem(path=photo), *[MediaItem(url=f"https://cdn.example/{n}.jpg")
                                 for n in range(20)]]))
    text = "\n".join(problems)
    assert "part 1: 501 characters (emoji as UTF-8 bytes), over the 500 limit" in text
    assert "part 2: 6 links, Threads allows 5" in text
    assert "21 media; a Threads carousel takes at most 20: remove 1" in text
    assert "photo.jpg is a local file; threads fetches media from a public https URL" in text
    assert adapter.validate(PublishRequest("ok", ["fine"])) == []
    assert "emoji" in "\n".join(adapter.validate(PublishRequest("e", ["😀" * 126])))


def test_a_container_in_error_stops_with_metas_reason(fake: FakeMeta,
                                                      adapter: ThreadsAdapter) -> None:
    media = [MediaItem(url=f"{fake.url}/media/unreachable.jpg")]
    with pytest.raises(InvalidContentError, match="Media download has failed"):
        adapter.publish(PublishRequest("d6", ["pic"], media=media), lambda p: None)
    assert fake.posts() == []


def test_polling_is_bounded_and_retries_later(fake: FakeMeta, adapter: ThreadsAdapter) -> None:
    fake.container_polls = 1000
    adapter.container_wait_s = 0.05
    with pytest.raises(RetryLaterError, match="still processing"):
        adapter.publish(PublishRequest("d7", ["slow"]), lambda p: None)
    assert fake.posts() == []


def test_a_spent_quota_waits_for_the_window_without_calling_publish(
        fake: FakeMeta, adapter: ThreadsAdapter) -> None:
    fake.spend_quota(adapter.user, age=timedelta(hours=3))
    with pytest.raises(RateLimitedError, match=r"post quota spent \(250 of 250 per 24 h\)") as exc:
        adapter.publish(PublishRequest("d8", ["one too many"]), lambda p: None)
    assert exc.value.until is not None
    expected = datetime.now(UTC) + timedelta(hours=21)
    assert abs((exc.value.until - expected).total_seconds()) < 120
    assert "POST /threads" not in _calls(fake) and "POST /threads_publish" not in _calls(fake)


def test_a_spent_reply_quota_stops_a_thread_after_the_first_part(
        fake: FakeMeta, adapter: ThreadsAdapter) -> None:
    fake.spend_quota(adapter.user, kind="reply")
    seen: list[PublishedPart] = []
    with pytest.raises(RateLimitedError, match="reply quota spent"):
        adapter.publish(PublishRequest("d9", ["head", "tail"]), seen.append)
    assert [p.index for p in seen] == [0]  # the engine resumes from here later


def test_an_expired_token_is_refreshed_and_publishing_continues(fake: FakeMeta) -> None:
    stored: list[Tokens] = []
    adapter = _adapter(fake, stored)
    adapter.publish(PublishRequest("q1", ["before"]), lambda p: None)
    fake.expire_access_tokens()
    with pytest.raises(AuthExpiredError):
        adapter.publish(PublishRequest("q2", ["after"]), lambda p: None)
    old = adapter.tokens.access_token
    tokens = adapter.refresh()
    assert stored == [tokens] and tokens.access_token != old
    assert tokens.expires_at is not None and tokens.expires_at > datetime.now(UTC) + \
        timedelta(days=59)
    adapter.publish(PublishRequest("q2", ["after"]), lambda p: None)
    assert [p["text"] for p in fake.posts()] == ["before", "after"]
    adapter.close()


def test_refreshing_a_token_younger_than_a_day_changes_nothing(fake: FakeMeta) -> None:
    stored: list[Tokens] = []
    adapter = _adapter(fake, stored)
    adapter.tokens.extra["issued_at"] = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    before = len(fake.requests)
    assert adapter.refresh() is adapter.tokens
    assert stored == [] and len(fake.requests) == before
    adapter.close()


def test_a_token_past_sixty_days_cannot_be_refreshed(fake: FakeMeta,
                                                     adapter: ThreadsAdapter) -> None:
    fake.kill_tokens()
    with pytest.raises(AuthRevokedError, match="token refresh refused"):
        adapter.refresh()


def test_a_revoked_token_and_a_missing_permission_need_a_person(
        fake: FakeMeta, adapter: ThreadsAdapter) -> None:
    fake.drop_scope("threads_content_publish")
    with pytest.raises(AuthRevokedError, match="missing permission threads_content_publish"):
        adapter.publish(PublishRequest("r1", ["hi"]), lambda p: None)
    fake.revoke()
    with pytest.raises(AuthRevokedError, match="has not authorized application") as exc:
        adapter.publish(PublishRequest("r2", ["hi"]), lambda p: None)
    assert exc.value.code == "190"
    assert (adapter.tokens.access_token or "?") not in str(exc.value)


def test_a_throttled_call_waits_as_long_as_the_usage_header_says(
        fake: FakeMeta, adapter: ThreadsAdapter) -> None:
    fake.rate_limit_next(reset_in_s=600)
    with pytest.raises(RateLimitedError) as exc:
        adapter.publish(PublishRequest("t1", ["hi"]), lambda p: None)
    assert exc.value.until is not None
    wait = (exc.value.until - datetime.now(UTC)).total_seconds()
    assert 590 < wait <= 600


def test_a_5xx_after_the_post_was_created_is_reconciled_without_a_duplicate(
        fake: FakeMeta, adapter: ThreadsAdapter) -> None:
    request = PublishRequest("u1", ["unsure", "second"],
                             options={"not_before": datetime.now(UTC) - timedelta(minutes=1)})
    fake.fail_next(500, after_create=True)
    with pytest.raises(OutcomeUnknownError):
        adapter.publish(request, lambda p: None)
    found = adapter.find_by_idempotency_key(request)
    assert found is not None and [p.index for p in found] == [0]
    adapter.publish(PublishRequest("u1", ["unsure", "second"], already_published=found),
                    lambda p: None)
    assert [p["text"] for p in fake.posts()] == ["unsure", "second"]
    assert adapter.find_by_idempotency_key(request) is not None
    assert len(adapter.find_by_idempotency_key(request) or []) == 2


def test_lookup_ignores_an_older_post_with_the_same_text(fake: FakeMeta,
                                                         adapter: ThreadsAdapter) -> None:
    adapter.publish(PublishRequest("o1", ["weekly tip"]), lambda p: None)
    later = PublishRequest("o2", ["weekly tip"],
                           options={"not_before": datetime.now(UTC) + timedelta(seconds=5)})
    assert adapter.find_by_idempotency_key(later) is None


def test_a_5xx_on_the_container_is_an_ordinary_retry(fake: FakeMeta,
                                                     adapter: ThreadsAdapter) -> None:
    fake.fail_next(503)
    with pytest.raises(RetryLaterError) as exc:
        adapter.publish(PublishRequest("c1", ["hi"]), lambda p: None)
    assert not isinstance(exc.value, OutcomeUnknownError)


def test_connecting_exchanges_for_a_long_lived_token_and_reads_the_profile(
        fake: FakeMeta) -> None:
    uid = fake.add_user("maker")
    code = fake.issue(uid, "code", lifetime_s=600)
    spec = ThreadsAdapter.oauth_spec(fake.url)
    assert spec.token_url == f"{fake.url}/oauth/access_token" and spec.scope_separator == ","
    answer = httpx.post(spec.token_url, data={
        "client_id": "1234567890", "client_secret": "fake-meta-app-secret", "code": code,
        "grant_type": "authorization_code", "redirect_uri": "http://127.0.0.1:8765/callback"})
    profile, tokens = ThreadsAdapter.finish_connect(answer.json(), app=fake.app(),
                                                    base_url=fake.url)
    assert (profile.handle, profile.external_id, profile.display_name) == ("@maker", uid, "Maker")
    assert fake.tokens[tokens.access_token or ""].kind == "long"
    assert tokens.expires_at is not None and "issued_at" in tokens.extra
    assert ThreadsAdapter.oauth_spec().authorize_url == "https://threads.net/oauth/authorize"


def test_metrics_come_from_insights_and_deleted_posts_are_left_out(
        fake: FakeMeta, adapter: ThreadsAdapter) -> None:
    kept = adapter.publish(PublishRequest("m1", ["kept"]), lambda p: None).remote_id
    gone = adapter.publish(PublishRequest("m2", ["gone"]), lambda p: None).remote_id
    fake.posts_by_id[kept].counters.update(views=120, likes=7, replies=2, reposts=1, quotes=0)
    adapter.delete(gone)
    metrics = adapter.fetch_metrics([kept, gone])
    assert list(metrics) == [kept]
    assert (metrics[kept].impressions, metrics[kept].likes, metrics[kept].replies,
            metrics[kept].reposts) == (120, 7, 2, 1)


def _response(status: int, error: dict[str, object], headers: dict[str, str] | None = None
              ) -> httpx.Response:
    return httpx.Response(status, json={"error": error}, headers=headers or {})


@pytest.mark.parametrize(("error", "expected"), [
    ({"message": "Session has expired", "code": 190, "error_subcode": 463}, AuthExpiredError),
    ({"message": "The user changed the password", "code": 190, "error_subcode": 460},
     AuthRevokedError),
    ({"message": "(#200) Requires pages_manage_posts permission", "code": 200},
     AuthRevokedError),
    ({"message": "(#100) Invalid parameter", "code": 100}, InvalidContentError),
    ({"message": "(#17) User request limit reached", "code": 17}, RateLimitedError),
    ({"message": "(#613) Calls exceeded", "code": 613}, RateLimitedError),
    ({"message": "An unknown error has occurred.", "code": 1}, RetryLaterError),
])
def test_graph_error_codes_map_to_the_error_tree(error: dict[str, object],
                                                 expected: type[Exception]) -> None:
    with pytest.raises(expected) as exc:
        raise_for_graph(_response(400, error), platform="threads")
    assert type(exc.value) is expected


def test_an_expired_page_token_means_reconnect() -> None:
    with pytest.raises(AuthRevokedError, match="Session has expired"):
        raise_for_graph(_response(400, {"message": "Session has expired", "code": 190,
                                        "error_subcode": 463}),
                        platform="facebook", refreshable=False)


def test_app_usage_alone_waits_a_fixed_fraction_of_the_rolling_hour() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert usage_reset({"X-App-Usage": '{"call_count":100,"total_time":5}'}, now) == \
        now + timedelta(minutes=10)
    assert usage_reset({"X-App-Usage": '{"call_count":40}'}, now) is None
    buc = '{"1":[{"type":"pages","call_count":100,"estimated_time_to_regain_access":7}]}'
    assert usage_reset({"X-Business-Use-Case-Usage": buc}, now) == now + timedelta(minutes=7)


def test_account_counts_are_the_followers_from_the_profile_insights(
        fake: FakeMeta, adapter: ThreadsAdapter) -> None:
    counts = adapter.fetch_account_metrics()
    # Threads gives followers only: following and posts are absent, never 0.
    assert (counts.followers, counts.following, counts.posts) == (250, None, None)
