"""The Reddit adapter over real HTTP against a fake Reddit that follows its documented API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from socialhub.platforms.base import MediaItem, PublishedPart, PublishRequest, Tokens
from socialhub.platforms.errors import (
    AuthExpiredError,
    AuthRevokedError,
    InvalidContentError,
    RateLimitedError,
    RetryLaterError,
)
from socialhub.platforms.reddit.adapter import RedditAdapter, wait_from_message
from tests.fakes.reddit import FakeReddit, Subreddit
from tests.fakes.reddit import start_fake as start_fake  # the `fake` fixture's (conftest.py)


def _writes(fake: FakeReddit, path: str) -> list[dict[str, object]]:
    return [r for r in fake.requests if r["path"] == path]


def test_a_self_post_takes_its_title_from_the_first_line(fake: FakeReddit,
                                                         adapter: RedditAdapter) -> None:
    seen: list[PublishedPart] = []
    result = adapter.publish(PublishRequest("d1", ["We ship on Monday\n\n**Details** below."]),
                             seen.append)
    assert seen == result.parts
    [sent] = _writes(fake, "/api/submit")
    assert sent["params"] == {"sr": "socialhub_test", "title": "We ship on Monday",
                              "kind": "self", "text": "**Details** below.",
                              "api_type": "json"}
    assert sent["user_agent"] == "python:socialhub.fake-reddit-client:v0.1.0 (by /u/user1)"
    assert result.remote_id.startswith("t3_")
    assert result.url is not None and "/r/socialhub_test/comments/" in result.url
    assert fake.posts()[0]["text"] == "We ship on Monday\n**Details** below."


def test_a_link_post_with_flair_goes_to_the_subreddit_in_the_options(
        fake: FakeReddit, adapter: RedditAdapter) -> None:
    fake.subreddits["pics"] = Subreddit("pics", allows="link")
    adapter.publish(PublishRequest("d2", ["A sunset"], media=[
        MediaItem(url="https://img.example/sunset.jpg")], options={
        "subreddit": "r/pics", "flair_id": "f-123", "flair_text": "OC"}), lambda p: None)
    [post] = fake.posts()
    assert (post["subreddit"], post["url"], post["is_self"]) == (
        "pics", "https://img.example/sunset.jpg", False)
    assert (post["link_flair_template_id"], post["link_flair_text"]) == ("f-123", "OC")


def test_a_thread_is_the_submission_plus_a_comment_chain_and_resumes(
        fake: FakeReddit, adapter: RedditAdapter) -> None:
    first = adapter.publish(PublishRequest("d3", ["Title\nbody", "part two"]), lambda p: None)
    result = adapter.publish(PublishRequest(
        "d3", ["Title\nbody", "part two", "part three"], first_comment="Sources: …",
        options={"title": "Title"}, already_published=first.parts), lambda p: None)
    assert len(_writes(fake, "/api/submit")) == 1
    assert [p.remote_id for p in result.parts[:2]] == [p.remote_id for p in first.parts]
    comments = fake.live("t1_")
    assert [c["body"] for c in comments] == ["part two", "part three", "Sources: …"]
    assert [c["parent_id"] for c in comments] == [
        result.remote_id, result.parts[1].remote_id, result.remote_id]
    assert result.parts[3].extra == {"first_comment": True}
    assert result.parts[1].url is not None and result.parts[1].url.startswith(fake.url)


def test_throttling_in_a_200_body_is_rate_limited_until_the_minutes_it_names(
        fake: FakeReddit, adapter: RedditAdapter) -> None:
    fake.ratelimit_in_body_next = 1
    with pytest.raises(RateLimitedError) as caught:
        adapter.publish(PublishRequest("d4", ["hello"]), lambda p: None)
    until = caught.value.until
    assert until is not None
    assert timedelta(minutes=6) < until - datetime.now(UTC) <= timedelta(minutes=7)
    assert caught.value.code == "RATELIMIT"
    assert fake.posts() == []


def test_a_429_uses_x_ratelimit_reset_as_seconds_from_now(
        fake: FakeReddit, adapter: RedditAdapter) -> None:
    fake.rate_limit_next(reset_in_s=42)
    with pytest.raises(RateLimitedError) as caught:
        adapter.publish(PublishRequest("d5", ["hello"]), lambda p: None)
    until = caught.value.until
    assert until is not None
    assert timedelta(seconds=40) < until - datetime.now(UTC) <= timedelta(seconds=42)


@pytest.mark.parametrize(("allows", "media", "fragment"), [
    ("self", [MediaItem(url="https://example.com/x")], "takes only text posts: drop the URL"),
    ("link", [], "takes only link posts: add a URL"),
])
def test_a_subreddit_that_forbids_the_post_kind_names_the_fix(
        fake: FakeReddit, adapter: RedditAdapter, allows: str, media: list[MediaItem],
        fragment: str) -> None:
    fake.subreddits["strict"] = Subreddit("strict", allows=allows)
    with pytest.raises(InvalidContentError) as caught:
        adapter.publish(PublishRequest("d6", ["Title"], media=media,
                                       options={"subreddit": "strict"}), lambda p: None)
    assert "r/strict" in str(caught.value) and fragment in str(caught.value)
    assert not caught.value.retryable


def test_a_subreddit_that_bans_the_user_is_invalid_content(
        fake: FakeReddit, adapter: RedditAdapter) -> None:
    fake.subreddits["socialhub_test"].banned.add("user1")
    with pytest.raises(InvalidContentError, match=r"SUBREDDIT_NOTALLOWED.*r/socialhub_test "
                                                  r"does not let this account post"):
        adapter.publish(PublishRequest("d7", ["hello"]), lambda p: None)


def test_an_expired_token_is_refreshed_with_basic_auth_and_the_queue_continues(
        fake: FakeReddit, adapter: RedditAdapter) -> None:
    stored: list[Tokens] = []
    adapter.on_tokens = stored.append
    refresh_token = adapter.tokens.refresh_token
    adapter.publish(PublishRequest("q1", ["first"]), lambda p: None)
    fake.expire_access_tokens()
    with pytest.raises(AuthExpiredError):
        adapter.publish(PublishRequest("q2", ["second"]), lambda p: None)
    tokens = adapter.refresh()
    assert stored == [tokens]
    assert tokens.refresh_token == refresh_token  # permanent: kept, not rotated
    assert tokens.expires_at is not None
    assert tokens.expires_at - datetime.now(UTC) > timedelta(minutes=59)
    assert set(tokens.scopes) == {"identity", "submit", "read", "edit", "history",
                                   "privatemessages"}
    adapter.publish(PublishRequest("q2", ["second"]), lambda p: None)
    assert [p["title"] for p in fake.posts()] == ["first", "second"]


def test_a_revoked_refresh_token_answered_with_200_is_auth_revoked(
        fake: FakeReddit, adapter: RedditAdapter) -> None:
    fake.revoke()
    with pytest.raises(AuthRevokedError, match="invalid_grant") as caught:
        adapter.refresh()
    assert str(adapter.tokens.refresh_token) not in str(caught.value)
    assert "fake-reddit-secret" not in str(caught.value)


def test_a_missing_scope_is_auth_revoked_naming_the_scope(fake: FakeReddit) -> None:
    access, refresh = fake.add_user("narrow", scopes=("identity", "read"))
    info, _, app = fake.account()
    adapter = RedditAdapter(info.__class__(**{**info.__dict__, "handle": "narrow"}),
                            Tokens(access_token=access, refresh_token=refresh), app=app)
    with pytest.raises(AuthRevokedError, match="lacks the 'submit' scope"):
        adapter.publish(PublishRequest("d8", ["hello"]), lambda p: None)
    adapter.close()


def test_a_5xx_after_the_post_was_created_is_reconciled_without_a_duplicate(
        fake: FakeReddit, adapter: RedditAdapter) -> None:
    request = PublishRequest("d9", ["Once\nonly once", "and a comment"],
                             options={"not_before": datetime.now(UTC) - timedelta(seconds=5)})
    fake.fail_next(503, after_create=True)
    with pytest.raises(RetryLaterError):
        adapter.publish(request, lambda p: None)
    found = adapter.find_by_idempotency_key(request)
    assert found is not None and [p.index for p in found] == [0]
    result = adapter.publish(PublishRequest("d9", request.parts, already_published=found),
                             lambda p: None)
    assert len(fake.live("t3_")) == 1
    assert result.remote_id == found[0].remote_id
    again = adapter.find_by_idempotency_key(request)
    assert again is not None and [p.remote_id for p in again] == [
        p.remote_id for p in result.parts]


def test_lookup_ignores_an_older_post_with_the_same_text(adapter: RedditAdapter) -> None:
    adapter.publish(PublishRequest("w1", ["Weekly tip"]), lambda p: None)
    later = datetime.now(UTC) + timedelta(seconds=5)
    assert adapter.find_by_idempotency_key(
        PublishRequest("w2", ["Weekly tip"], options={"not_before": later})) is None
    assert adapter.find_by_idempotency_key(PublishRequest("w3", ["never sent"])) is None


def test_metrics_and_delete(fake: FakeReddit, adapter: RedditAdapter) -> None:
    result = adapter.publish(PublishRequest("d10", ["Counted", "reply"]), lambda p: None)
    fake.things[result.remote_id].update(ups=12, score=10, upvote_ratio=0.9)
    metrics = adapter.fetch_metrics([result.remote_id])[result.remote_id]
    assert (metrics.likes, metrics.replies, metrics.impressions) == (12, 1, None)
    assert metrics.raw["score"] == 10
    adapter.delete(result.remote_id)
    adapter.delete(result.remote_id)  # already gone: fine
    assert adapter.fetch_metrics([result.remote_id]) == {}


def test_validate_says_what_to_change(fake: FakeReddit, adapter: RedditAdapter) -> None:
    assert adapter.validate(PublishRequest("v", ["Fine title\nbody"])) == []
    problems = adapter.validate(PublishRequest(
        "v", ["t" * 301, "c" * 10_001], media=[MediaItem(path=Path("/tmp/x.png"))],
        options={"subreddit": ""}))
    joined = "\n".join(problems)
    assert "over the 300 limit" in joined
    assert "part 2 (a comment): 10001 characters, over the 10000 limit" in joined
    assert "reddit media must be a URL" in joined
    no_sub = RedditAdapter(fake.account()[0].__class__(account_id=9, platform="reddit",
                                                       handle="u/x", base_url=fake.url),
                           Tokens())
    assert any("needs a subreddit" in p for p in no_sub.validate(PublishRequest("v", ["t"])))
    assert any("no body text" in p for p in adapter.validate(PublishRequest(
        "v", ["Title\nbody"], options={"url": "https://example.com"})))
    no_sub.close()


def test_connect_reads_the_user_and_keeps_the_permanent_refresh_token(
        fake: FakeReddit) -> None:
    import httpx

    spec = RedditAdapter.oauth_spec(fake.url)
    assert spec.extra_authorize_params == {"duration": "permanent"}
    assert spec.token_url == f"{fake.url}/api/v1/access_token"
    assert RedditAdapter.oauth_spec().authorize_url == "https://www.reddit.com/api/v1/authorize"
    code = fake.issue_code("spez")
    answer = httpx.post(spec.token_url, auth=(fake.app().client_id or "",
                                              fake.app().client_secret or ""),
                        data={"grant_type": "authorization_code", "code": code,
                              "redirect_uri": "http://127.0.0.1:8765/callback"},
                        headers={"User-Agent": "python:t:v1 (by /u/spez)"}).json()
    profile, tokens = RedditAdapter.finish_connect(answer, app=fake.app(), base_url=fake.url)
    assert profile.handle == "spez" and profile.external_id == f"t2_{fake.users['spez']}"
    assert tokens.refresh_token and tokens.expires_at is not None
    assert "submit" in tokens.scopes


def test_wait_from_message_reads_minutes_and_seconds() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert wait_from_message("try again in 7 minutes.", now) == now + timedelta(minutes=7)
    assert wait_from_message("try again in 30 seconds.", now) == now + timedelta(seconds=30)
    assert wait_from_message("slow down", now) is None
