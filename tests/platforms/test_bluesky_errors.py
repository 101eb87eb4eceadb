"""How the Bluesky adapter reacts to failures the reference PDS will not produce on demand.

A small XRPC server on 127.0.0.1 answers each method as a test scripts it
(rate limits, a lost answer, a key that already holds another post, an
AppView that counts likes); everything goes through real HTTP.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlparse

import pytest

from socialhub.platforms.base import AccountInfo, PublishRequest, Tokens
from socialhub.platforms.bluesky.adapter import BlueskyAdapter, record_key
from socialhub.platforms.errors import (
    AuthExpiredError,
    InvalidContentError,
    RateLimitedError,
    RetryLaterError,
)

DID = "did:plc:fakefakefakefakefakefake"
Answer = tuple[int, dict[str, str], dict[str, Any]]


class FakeXrpc:
    """Scripted answers per XRPC method; records every call's method name."""

    def __init__(self) -> None:
        self.routes: dict[str, Callable[[], Answer]] = {}
        self.calls: list[str] = []
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                nsid = urlparse(self.path).path.removeprefix("/xrpc/")
                fake.calls.append(nsid)
                route = fake.routes.get(nsid)
                status, headers, body = route() if route else (
                    501, {}, {"error": "MethodNotImplemented", "message": nsid})
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    for name, value in {"Content-Type": "application/json", **headers}.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the lost-answer test)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake() -> Iterator[FakeXrpc]:
    server = FakeXrpc()
    yield server
    server.close()


def adapter_for(fake: FakeXrpc, timeout_s: float = 5.0) -> BlueskyAdapter:
    account = AccountInfo(account_id=1, platform="bluesky", handle="me.test",
                          external_id=DID, base_url=fake.url)
    return BlueskyAdapter(account, Tokens(access_token="test-access"), timeout_s=timeout_s)


def record(text: str, rkey: str) -> Answer:
    uri = f"at://{DID}/app.bsky.feed.post/{rkey}"
    return 200, {}, {"uri": uri, "cid": "bafyfake", "value": {"text": text}}


NOT_FOUND: Answer = (400, {}, {"error": "RecordNotFound", "message": "Could not locate record"})
REQUEST = PublishRequest(idempotency_key="delivery-7", parts=["hello"])


def test_rate_limit_waits_until_the_epoch_in_ratelimit_reset(fake: FakeXrpc) -> None:
    reset = int(time.time()) + 300
    fake.routes["com.atproto.repo.createRecord"] = lambda: (
        429, {"RateLimit-Limit": "5000", "RateLimit-Remaining": "0",
              "RateLimit-Reset": str(reset), "RateLimit-Policy": "5000;w=3600"},
        {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"})
    with pytest.raises(RateLimitedError) as caught:
        adapter_for(fake).publish(REQUEST, lambda part: None)
    assert caught.value.until == datetime.fromtimestamp(reset, tz=UTC)
    assert "com.atproto.repo.getRecord" not in fake.calls  # nothing to reconcile


def test_refused_write_with_no_record_behind_it_is_retried_later(fake: FakeXrpc) -> None:
    fake.routes["com.atproto.repo.createRecord"] = lambda: (
        500, {}, {"error": "InternalServerError", "message": "Internal Server Error"})
    fake.routes["com.atproto.repo.getRecord"] = lambda: NOT_FOUND
    with pytest.raises(RetryLaterError):
        adapter_for(fake).publish(REQUEST, lambda part: None)
    assert fake.calls[-1] == "com.atproto.repo.getRecord"


def test_lost_answer_is_confirmed_by_reading_the_record_back(fake: FakeXrpc) -> None:
    rkey = record_key(REQUEST.idempotency_key, 0)

    def slow() -> Answer:
        time.sleep(1.5)  # longer than the client waits: the answer is lost
        return record("hello", rkey)

    fake.routes["com.atproto.repo.createRecord"] = slow
    fake.routes["com.atproto.repo.getRecord"] = lambda: record("hello", rkey)
    seen: list[str] = []
    result = adapter_for(fake, timeout_s=0.5).publish(REQUEST, lambda p: seen.append(p.remote_id))
    assert result.remote_id == f"at://{DID}/app.bsky.feed.post/{rkey}" == seen[0]


def test_key_holding_a_different_post_is_invalid_content(fake: FakeXrpc) -> None:
    rkey = record_key(REQUEST.idempotency_key, 0)
    fake.routes["com.atproto.repo.createRecord"] = lambda: (
        500, {}, {"error": "InternalServerError", "message": "Internal Server Error"})
    fake.routes["com.atproto.repo.getRecord"] = lambda: record("an older text", rkey)
    with pytest.raises(InvalidContentError, match="already holds a different post"):
        adapter_for(fake).publish(REQUEST, lambda part: None)


def test_unverifiable_access_token_asks_for_a_refresh(fake: FakeXrpc) -> None:
    fake.routes["com.atproto.repo.createRecord"] = lambda: (
        400, {}, {"error": "InvalidToken", "message": "Token could not be verified"})
    fake.routes["com.atproto.repo.getRecord"] = lambda: NOT_FOUND
    with pytest.raises(AuthExpiredError):
        adapter_for(fake).publish(REQUEST, lambda part: None)


def test_metrics_come_from_the_appview_when_there_is_one(fake: FakeXrpc) -> None:
    uri = f"at://{DID}/app.bsky.feed.post/3kabcabcabcab"
    fake.routes["app.bsky.feed.getPosts"] = lambda: (200, {}, {"posts": [{
        "uri": uri, "likeCount": 7, "repostCount": 2, "replyCount": 1, "quoteCount": 0,
        "bookmarkCount": 3}]})
    metrics = adapter_for(fake).fetch_metrics([uri, f"at://{DID}/app.bsky.feed.post/gone"])
    assert list(metrics) == [uri]
    got = metrics[uri]
    assert (got.likes, got.reposts, got.replies, got.quotes, got.saves, got.impressions) == (
        7, 2, 1, 0, 3, None)


def test_account_metrics_come_from_the_appview_profile(fake: FakeXrpc) -> None:
    fake.routes["app.bsky.actor.getProfile"] = lambda: (200, {}, {
        "did": DID, "followersCount": 120, "followsCount": 30, "postsCount": 12})
    counts = adapter_for(fake).fetch_account_metrics()
    assert (counts.followers, counts.following, counts.posts) == (120, 30, 12)


def test_account_metrics_without_an_appview_are_absent_not_zero(fake: FakeXrpc) -> None:
    fake.routes["app.bsky.actor.getProfile"] = lambda: (501, {}, {"error": "NotImplemented"})
    counts = adapter_for(fake).fetch_account_metrics()
    assert (counts.followers, counts.following, counts.posts) == (None, None, None)
    assert counts.raw["source"] == "pds"
