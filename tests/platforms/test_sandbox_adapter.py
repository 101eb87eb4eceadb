"""The sandbox adapter end to end against a real sandbox service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
    RetryLaterError,
)
from socialhub.platforms.sandbox.adapter import SandboxAdapter, connect
from socialhub.sandbox_network.server import SandboxServer


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(clock: FakeClock) -> Iterator[SandboxServer]:
    sandbox = SandboxServer(clock=clock, seed=5, token_ttl=600).start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def saved_tokens() -> list[Tokens]:
    return []


@pytest.fixture
def adapter(server: SandboxServer, saved_tokens: list[Tokens]) -> Iterator[SandboxAdapter]:
    external_id, tokens = connect(server.url, "shop")
    account = AccountInfo(account_id=1, platform="sandbox", handle="shop",
                          external_id=external_id, base_url=server.url)
    sandbox = SandboxAdapter(account, tokens, on_tokens=saved_tokens.append, timeout_s=5)
    yield sandbox
    sandbox.close()


def _received(server: SandboxServer) -> list[dict[str, Any]]:
    return list(httpx.get(f"{server.url}/_sandbox/posts").json()["posts"])


def test_a_text_post_is_published_and_reported_at_once(server: SandboxServer,
                                                       adapter: SandboxAdapter) -> None:
    seen: list[PublishedPart] = []
    result = adapter.publish(PublishRequest("d1", ["Hello sandbox"]), seen.append)
    assert seen == result.parts
    assert result.url is not None and result.url.startswith(server.url)
    assert [(p["text"], p["idempotency_key"]) for p in _received(server)] == [
        ("Hello sandbox", "d1:0")]


def test_a_thread_is_a_chain_of_self_replies(server: SandboxServer,
                                             adapter: SandboxAdapter) -> None:
    result = adapter.publish(PublishRequest("d2", ["one", "two", "three"]), lambda p: None)
    posts = _received(server)
    assert [p["text"] for p in posts] == ["one", "two", "three"]
    assert [p["reply_to"] for p in posts] == [None, result.parts[0].remote_id,
                                              result.parts[1].remote_id]


def test_a_thread_resumes_after_the_last_published_part(server: SandboxServer,
                                                        adapter: SandboxAdapter) -> None:
    seen: list[PublishedPart] = []
    thread = ["one", "two", "three"]
    adapter.publish(PublishRequest("d3", thread[:1]), seen.append)  # part 1 went out…
    server.configure(fail_rate=1.0)  # …then the platform failed
    with pytest.raises(RetryLaterError):
        adapter.publish(PublishRequest("d3", thread, already_published=list(seen)),
                        seen.append)
    server.configure(fail_rate=0.0)
    result = adapter.publish(PublishRequest("d3", thread, already_published=list(seen)),
                             seen.append)
    posts = _received(server)
    assert [p["text"] for p in posts] == ["one", "two", "three"]
    assert result.parts[0] == seen[0]
    assert posts[1]["reply_to"] == seen[0].remote_id


def test_media_goes_with_the_first_part_with_its_alt_text(
        server: SandboxServer, adapter: SandboxAdapter, tmp_path: Path) -> None:
    image = tmp_path / "cat.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    adapter.publish(PublishRequest("d4", ["look", "more"], media=[
        MediaItem(path=image, alt_text="A cat on a keyboard")]), lambda p: None)
    first, second = _received(server)
    assert first["media"] == [{"id": "1", "mime": "image/png", "alt": "A cat on a keyboard"}]
    assert second["media"] == []


def test_the_first_comment_replies_to_the_last_part(server: SandboxServer,
                                                    adapter: SandboxAdapter) -> None:
    result = adapter.publish(PublishRequest("d5", ["post"], first_comment="link in here"),
                             lambda p: None)
    comment = result.parts[-1]
    assert comment.index == 1 and comment.extra == {"first_comment": True}
    assert _received(server)[1]["reply_to"] == result.remote_id


def test_a_timed_out_send_is_found_by_its_key_not_resent(server: SandboxServer,
                                                         adapter: SandboxAdapter) -> None:
    server.configure(timeout_rate=1.0, hang_s=10)
    short = SandboxAdapter(adapter.account, adapter.tokens, timeout_s=0.3)
    request = PublishRequest("d6", ["maybe?"])
    with pytest.raises(OutcomeUnknownError):
        short.publish(request, lambda p: None)
    short.close()
    server.configure(timeout_rate=0.0)
    found = adapter.find_by_idempotency_key(request)
    assert found is not None and [p.index for p in found] == [0]
    assert len(_received(server)) == 1
    assert adapter.find_by_idempotency_key(PublishRequest("never-sent", ["x"])) is None


def test_republishing_the_same_delivery_makes_no_duplicates(server: SandboxServer,
                                                            adapter: SandboxAdapter) -> None:
    request = PublishRequest("d7", ["a", "b"], first_comment="c")
    first = adapter.publish(request, lambda p: None)
    second = adapter.publish(request, lambda p: None)
    assert [p.remote_id for p in first.parts] == [p.remote_id for p in second.parts]
    assert len(_received(server)) == 3


def test_an_expired_token_is_refreshed_and_the_new_pair_saved_first(
        server: SandboxServer, adapter: SandboxAdapter, clock: FakeClock,
        saved_tokens: list[Tokens]) -> None:
    clock.now += 601
    with pytest.raises(AuthExpiredError):
        adapter.publish(PublishRequest("d8", ["x"]), lambda p: None)
    old_refresh = adapter.tokens.refresh_token
    tokens = adapter.refresh()
    assert saved_tokens == [tokens]
    assert tokens.refresh_token != old_refresh
    assert adapter.publish(PublishRequest("d8", ["x"]), lambda p: None).remote_id == "1"
    stale = SandboxAdapter(adapter.account, Tokens(access_token="x", refresh_token=old_refresh))
    with pytest.raises(AuthRevokedError):
        stale.refresh()
    stale.close()


def test_a_revoked_token_needs_a_person(server: SandboxServer,
                                        adapter: SandboxAdapter) -> None:
    httpx.post(f"{server.url}/oauth/revoke", data={"token": adapter.tokens.access_token})
    with pytest.raises(AuthRevokedError) as caught:
        adapter.publish(PublishRequest("d9", ["x"]), lambda p: None)
    assert str(adapter.tokens.access_token) not in str(caught.value)


def test_a_rate_limit_says_when_to_come_back(server: SandboxServer,
                                             adapter: SandboxAdapter) -> None:
    server.configure(rate_limit="1/60s")
    adapter.publish(PublishRequest("d10", ["x"]), lambda p: None)
    with pytest.raises(RateLimitedError) as caught:
        adapter.publish(PublishRequest("d11", ["y"]), lambda p: None)
    assert caught.value.until is not None


def test_validate_names_each_problem(adapter: SandboxAdapter, tmp_path: Path) -> None:
    problems = adapter.validate(PublishRequest("v", ["ok", "b" * 501], media=[
        MediaItem(path=tmp_path / "missing.png")] * 5))
    assert "part 2 has 501 characters; the limit is 500" in problems
    assert "5 media; the limit is 4" in problems
    assert any("missing.png does not exist" in p for p in problems)
    assert adapter.validate(PublishRequest("v", ["fine"])) == []


def test_content_the_server_refuses_is_invalid(adapter: SandboxAdapter) -> None:
    with pytest.raises(InvalidContentError) as caught:
        adapter.publish(PublishRequest("d12", ["c" * 501]), lambda p: None)
    assert "longer than 500" in str(caught.value)


def test_metrics_grow_and_deleted_posts_drop_out(adapter: SandboxAdapter,
                                                 clock: FakeClock) -> None:
    result = adapter.publish(PublishRequest("d13", ["count me"]), lambda p: None)
    clock.now += 300
    early = adapter.fetch_metrics([result.remote_id])[result.remote_id]
    clock.now += 200  # still inside the token's lifetime
    later = adapter.fetch_metrics([result.remote_id])[result.remote_id]
    assert early.impressions is not None and later.impressions is not None
    assert later.impressions > early.impressions > 0
    adapter.delete(result.remote_id)
    adapter.delete(result.remote_id)  # already gone: still fine
    assert adapter.fetch_metrics([result.remote_id]) == {}


def test_capabilities_promise_what_the_adapter_does() -> None:
    caps = SandboxAdapter.capabilities
    assert caps.threads and caps.media and caps.alt_text and caps.first_comment
    assert caps.delete and caps.metrics and caps.refresh and caps.idempotency and caps.lookup


def test_account_counts_report_followers_and_live_posts(adapter: SandboxAdapter,
                                                        clock: FakeClock) -> None:
    before = adapter.fetch_account_metrics()
    assert before.posts == 0 and before.followers is not None and before.followers >= 100
    adapter.publish(PublishRequest("d14", ["grow"]), lambda p: None)
    clock.now += 500
    after = adapter.fetch_account_metrics()
    assert after.posts == 1 and after.followers is not None
    assert after.followers >= before.followers
    assert after == adapter.fetch_account_metrics()  # the same clock, the same counts
