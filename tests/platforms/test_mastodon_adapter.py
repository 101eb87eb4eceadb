"""The Mastodon adapter over real HTTP against a fake instance that follows Mastodon's API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from socialhub.platforms.base import (
    AccountInfo,
    MediaItem,
    PublishedPart,
    PublishRequest,
    Tokens,
)
from socialhub.platforms.errors import (
    AuthRevokedError,
    InvalidContentError,
    RateLimitedError,
    RetryLaterError,
)
from socialhub.platforms.mastodon import adapter as mastodon_module
from socialhub.platforms.mastodon.adapter import MastodonAdapter, plain_text
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.mastodon_text import render_html, server_length


def _adapter(fake: FakeMastodon, *, external_id: bool = True) -> MastodonAdapter:
    mastodon_module._instance_cache.clear()  # every test reads its own instance's limits
    account_id, token = fake.add_account("shop")
    account = AccountInfo(account_id=1, platform="mastodon", handle="@shop@fake.local",
                          external_id=account_id if external_id else None,
                          base_url=fake.url + "/")
    adapter = MastodonAdapter(account, Tokens(access_token=token), timeout_s=5)
    adapter.media_poll_s = 0.01
    return adapter


def start_fake() -> FakeMastodon:
    """The fake instance the ``fake`` fixture starts (tests/platforms/conftest.py)."""
    return FakeMastodon().start()


adapter_for = _adapter  # what the `adapter` fixture builds (tests/platforms/conftest.py)


def _posts(fake: FakeMastodon) -> list[dict[str, object]]:
    return [r for r in fake.requests if (r["method"], r["path"]) == ("POST", "/api/v1/statuses")]


def test_a_status_is_published_with_an_idempotency_key(fake: FakeMastodon,
                                                       adapter: MastodonAdapter) -> None:
    seen: list[PublishedPart] = []
    result = adapter.publish(PublishRequest("d1", ["Hello fediverse"],
                                            options={"language": "en"}), seen.append)
    assert seen == result.parts
    assert result.url == f"{fake.url}/@shop/{result.remote_id}"
    [sent] = _posts(fake)
    assert sent["idempotency_key"] == "d1:0"
    assert sent["params"] == {"status": "Hello fediverse", "visibility": "public",
                              "language": "en"}


def test_a_thread_is_a_chain_of_in_reply_to(fake: FakeMastodon,
                                            adapter: MastodonAdapter) -> None:
    result = adapter.publish(PublishRequest("d2", ["1/3", "2/3", "3/3"]), lambda p: None)
    replies = [fake.statuses[p.remote_id]["in_reply_to_id"] for p in result.parts]
    assert replies == [None, result.parts[0].remote_id, result.parts[1].remote_id]
    assert [p["idempotency_key"] for p in _posts(fake)] == ["d2:0", "d2:1", "d2:2"]


def test_a_thread_resumes_without_resending_published_parts(fake: FakeMastodon,
                                                            adapter: MastodonAdapter) -> None:
    first = adapter.publish(PublishRequest("d3", ["a"]), lambda p: None)
    result = adapter.publish(PublishRequest("d3", ["a", "b"], already_published=first.parts),
                             lambda p: None)
    assert fake.status_texts() == ["a", "b"]
    assert len(_posts(fake)) == 2
    assert fake.statuses[result.parts[1].remote_id]["in_reply_to_id"] == first.remote_id


def test_media_is_uploaded_with_its_description_and_waits_for_processing(
        fake: FakeMastodon, adapter: MastodonAdapter, tmp_path: Path) -> None:
    fake.media_processing_polls = 2
    image = tmp_path / "chart.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"1" * 100)
    result = adapter.publish(PublishRequest("d4", ["Our numbers"], media=[
        MediaItem(path=image, alt_text="Bar chart: sales doubled")]), lambda p: None)
    [attachment] = fake.statuses[result.remote_id]["media_attachments"]
    assert attachment["description"] == "Bar chart: sales doubled"
    [media] = fake.media.values()
    assert (media["filename"], media["mime"], media["size"]) == ("chart.png", "image/png", 108)
    polls = [r for r in fake.requests if r["path"].startswith("/api/v1/media/")]
    assert len(polls) == 2


def test_the_first_comment_is_a_self_reply(fake: FakeMastodon,
                                           adapter: MastodonAdapter) -> None:
    result = adapter.publish(PublishRequest("d5", ["post"], first_comment="link: https://x.io"),
                             lambda p: None)
    comment = result.parts[1]
    assert comment.extra["first_comment"] is True
    assert fake.statuses[comment.remote_id]["in_reply_to_id"] == result.remote_id


def test_validate_uses_the_instances_own_limits(fake: FakeMastodon) -> None:
    fake.max_characters = 1000
    roomy = _adapter(fake)
    assert roomy.validate(PublishRequest("v", ["a" * 900])) == []
    fake.max_characters, fake.max_media = 500, 1
    strict = _adapter(fake)
    problems = strict.validate(PublishRequest("v", ["a" * 501], media=[
        MediaItem(path=Path("/nonexistent.png"))] * 2))
    assert problems[0].startswith("part 1: 501 graphemes, over the 500 limit")
    assert "2 media; this instance allows 1" in problems
    assert any("does not exist" in p for p in problems)
    roomy.close()
    strict.close()


def test_validation_counts_like_the_server(fake: FakeMastodon,
                                           adapter: MastodonAdapter) -> None:
    texts = ["a" * 476 + " http://" + "b" * 30 + ".com/example",  # 500: fits
             "a" * 475 + " @alice@" + "b" * 30 + ".com",  # 482: fits
             "a" * 250 + " see example.com here " + "c" * 230]  # scheme-less: literal
    for text in texts:
        assert (adapter.validate(PublishRequest("v", [text])) == []) == \
               (server_length(text) <= 500), text
    adapter.publish(PublishRequest("v1", texts[:2]), lambda p: None)
    assert len(fake.status_texts()) == 2


def test_the_servers_422_is_invalid_content_with_its_reason(adapter: MastodonAdapter) -> None:
    with pytest.raises(InvalidContentError) as caught:
        adapter.publish(PublishRequest("d6", ["z" * 501]), lambda p: None)
    assert "Text character limit of 500 exceeded" in str(caught.value)
    assert caught.value.status == 422


def test_a_revoked_token_is_auth_revoked_never_expired(fake: FakeMastodon,
                                                       adapter: MastodonAdapter) -> None:
    token = str(adapter.tokens.access_token)
    fake.revoke(token)
    with pytest.raises(AuthRevokedError) as caught:
        adapter.publish(PublishRequest("d7", ["x"]), lambda p: None)
    assert "The access token is invalid" in str(caught.value)
    assert token not in str(caught.value)
    assert MastodonAdapter.capabilities.refresh is False
    with pytest.raises(NotImplementedError):
        adapter.refresh()


def test_a_429_carries_the_iso_reset(fake: FakeMastodon, adapter: MastodonAdapter) -> None:
    fake.rate_limited_next = 1
    with pytest.raises(RateLimitedError) as caught:
        adapter.publish(PublishRequest("d8", ["x"]), lambda p: None)
    until = caught.value.until
    assert until is not None
    assert datetime.now(UTC) < until <= datetime.now(UTC) + timedelta(minutes=6)


def test_a_5xx_after_the_status_was_created_is_retried_without_a_duplicate(
        fake: FakeMastodon, adapter: MastodonAdapter) -> None:
    fake.fail_after_create_next = 1
    request = PublishRequest("d9", ["exactly once"])
    with pytest.raises(RetryLaterError) as caught:
        adapter.publish(request, lambda p: None)
    assert "<html>" not in str(caught.value)
    result = adapter.publish(request, lambda p: None)
    assert fake.status_texts() == ["exactly once"]
    assert fake.statuses[result.remote_id]["text"] == "exactly once"


def test_lookup_finds_an_unconfirmed_thread_in_the_timeline(fake: FakeMastodon) -> None:
    adapter = _adapter(fake, external_id=False)  # learns its id from verify_credentials
    request = PublishRequest("d10", ["see https://example.com/a/very/long/path/indeed ok",
                                     "then @bob@remote.example & <friends>\n\nbye"])
    fake.fail_after_create_next = 1
    with pytest.raises(RetryLaterError):
        adapter.publish(request, lambda p: None)
    found = adapter.find_by_idempotency_key(request)
    assert found is not None and [p.index for p in found] == [0]
    assert adapter.publish(PublishRequest("d10", request.parts, already_published=found),
                           lambda p: None).remote_id == found[0].remote_id
    found_all = adapter.find_by_idempotency_key(request)
    assert found_all is not None and len(found_all) == 2
    assert adapter.find_by_idempotency_key(PublishRequest("d11", ["never sent"])) is None
    adapter.close()


def test_lookup_ignores_an_older_post_with_the_same_text(fake: FakeMastodon,
                                                         adapter: MastodonAdapter) -> None:
    adapter.publish(PublishRequest("last-week", ["Weekly tip"]), lambda p: None)
    later = datetime.now(UTC) + timedelta(seconds=5)
    assert adapter.find_by_idempotency_key(
        PublishRequest("this-week", ["Weekly tip"], options={"not_before": later})) is None


def test_metrics_and_delete(fake: FakeMastodon, adapter: MastodonAdapter) -> None:
    result = adapter.publish(PublishRequest("d12", ["count", "reply"]), lambda p: None)
    fake.statuses[result.remote_id].update(favourites_count=7, reblogs_count=2)
    metrics = adapter.fetch_metrics([result.remote_id])[result.remote_id]
    assert (metrics.likes, metrics.reposts, metrics.replies, metrics.impressions) == (
        7, 2, 1, None)
    adapter.delete(result.parts[1].remote_id)
    adapter.delete(result.parts[1].remote_id)  # already gone: fine
    assert list(adapter.fetch_metrics([result.remote_id, result.parts[1].remote_id])) == [
        result.remote_id]


def test_plain_text_undoes_mastodons_html_rendering() -> None:
    text = "Read https://example.com/" + "x" * 40 + " now\nsecond line & <tag>\n\nnew para"
    assert plain_text(render_html(text)) == " ".join(text.split())


def test_account_metrics_come_from_verify_credentials(
        fake: FakeMastodon, adapter: MastodonAdapter) -> None:
    adapter.publish(PublishRequest("d13", ["one"]), lambda p: None)
    for account in fake.accounts.values():
        account.followers, account.following = 42, 7
    counts = adapter.fetch_account_metrics()
    assert (counts.followers, counts.following, counts.posts) == (42, 7, 1)
