"""The shared HTTP module: reset headers, status → error mapping, transport failures, registry."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from socialhub.errors import ValidationError
from socialhub.platforms.errors import (
    AdapterError,
    AuthExpiredError,
    AuthRevokedError,
    InvalidContentError,
    OutcomeUnknownError,
    RateLimitedError,
    RetryLaterError,
)
from socialhub.platforms.http import (
    USER_AGENT,
    error_details,
    make_client,
    parse_reset,
    raise_for_response,
    send,
)
from socialhub.platforms.registry import adapter_class, supported_platforms
from socialhub.sandbox_network.server import SandboxServer

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(("headers", "expected"), [
    ({"Retry-After": "120"}, NOW + timedelta(seconds=120)),
    ({"retry-after": "Sun, 01 Mar 2026 12:05:00 GMT"}, NOW + timedelta(minutes=5)),
    ({"x-rate-limit-reset": str(int((NOW + timedelta(minutes=15)).timestamp()))},
     NOW + timedelta(minutes=15)),
    ({"RateLimit-Reset": str(int((NOW + timedelta(seconds=90)).timestamp()))},
     NOW + timedelta(seconds=90)),
    ({"RateLimit-Reset": "30"}, NOW + timedelta(seconds=30)),
    ({"X-Ratelimit-Reset": "7"}, NOW + timedelta(seconds=7)),
    ({"X-RateLimit-Reset": "2026-03-01T12:25:00.019685Z"},
     datetime(2026, 3, 1, 12, 25, 0, 19685, tzinfo=UTC)),
    ({"X-RateLimit-Reset": "2026-03-01T13:25:00+01:00"}, NOW + timedelta(minutes=25)),
    ({"Retry-After": "10", "X-RateLimit-Reset": "2030-01-01T00:00:00Z"},
     NOW + timedelta(seconds=10)),
    ({"Retry-After": "soon"}, None),
    ({"Content-Type": "application/json"}, None),
])
def test_reset_is_read_from_every_header_format(headers: dict[str, str],
                                                 expected: datetime | None) -> None:
    assert parse_reset(headers, now=NOW) == expected


def test_reset_header_names_are_case_insensitive_on_real_responses() -> None:
    response = httpx.Response(429, headers={"RATELIMIT-RESET": "5"})
    assert parse_reset(response.headers, now=NOW) == NOW + timedelta(seconds=5)


def _response(status: int, body: object = None, headers: dict[str, str] | None = None,
              text: str | None = None) -> httpx.Response:
    if text is not None:
        return httpx.Response(status, text=text, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


@pytest.mark.parametrize(("response", "error", "fragment"), [
    (_response(401, {"error": "The access token is invalid"}), AuthExpiredError, "invalid"),
    (_response(401, {"error": "invalid_token", "message": "token revoked"}), AuthRevokedError,
     "token revoked"),
    (_response(400, {"error": "ExpiredToken", "message": "Token has expired"}),
     AuthExpiredError, "Token has expired"),
    (_response(403, {"status": 403, "serviceErrorCode": 100, "code": "ACCESS_DENIED",
                     "message": "Not enough permissions"}), AuthRevokedError, "permissions"),
    (_response(403, {"title": "Forbidden", "detail": "You are not allowed to create a Tweet "
                     "with duplicate content."}), InvalidContentError, "duplicate content"),
    (_response(422, {"error": "Validation failed: Text character limit of 500 exceeded"}),
     InvalidContentError, "character limit of 500"),
    (_response(400, {"error": {"message": "Invalid parameter", "code": 100}}),
     InvalidContentError, "Invalid parameter"),
    (_response(413, text="Request Entity Too Large"), InvalidContentError, "Too Large"),
    (_response(429, {"errors": [{"code": 88, "message": "Rate limit exceeded"}]},
               {"x-rate-limit-reset": "1900000000"}), RateLimitedError, "Rate limit exceeded"),
    (_response(500, text="<html>oops</html>", headers={"Content-Type": "text/html"}),
     RetryLaterError, "Internal Server Error"),
    (_response(502, text="upstream gone"), RetryLaterError, "upstream gone"),
    (_response(503, {"error": "maintenance"}, {"Retry-After": "60"}), RateLimitedError,
     "maintenance"),
    (_response(408, None), RetryLaterError, "408"),
])
def test_error_responses_map_to_one_error_tree(response: httpx.Response,
                                               error: type[AdapterError],
                                               fragment: str) -> None:
    with pytest.raises(error) as caught:
        raise_for_response(response, platform="example")
    assert type(caught.value) is error
    assert caught.value.status == response.status_code
    assert str(caught.value).startswith(f"example: HTTP {response.status_code}")
    assert fragment in str(caught.value)


def test_rate_limited_error_carries_the_reset_instant() -> None:
    response = _response(429, {"error": "slow down"}, {"x-rate-limit-reset": "1900000000"})
    with pytest.raises(RateLimitedError) as caught:
        raise_for_response(response, platform="x")
    assert caught.value.until == datetime.fromtimestamp(1_900_000_000, tz=UTC)


def test_every_401_is_revoked_when_tokens_never_expire() -> None:
    with pytest.raises(AuthRevokedError):
        raise_for_response(_response(401, {"error": "The access token is invalid"}),
                           platform="mastodon", expired_codes=())


def test_success_responses_raise_nothing() -> None:
    for status in (200, 201, 202, 204, 206):
        raise_for_response(httpx.Response(status), platform="x")


def test_error_details_reads_oauth_bodies() -> None:
    code, message = error_details(_response(400, {"error": "invalid_grant",
                                                  "error_description": "refresh token used"}))
    assert (code, message) == ("invalid_grant", "refresh token used")


def test_client_sends_socialhub_user_agent_and_follows_no_redirects() -> None:
    with make_client("http://127.0.0.1:9", timeout_s=5) as client:
        assert client.headers["User-Agent"] == USER_AGENT
        assert USER_AGENT.startswith("socialhub/")
        assert client.follow_redirects is False
        assert client.timeout.connect == 5


@pytest.mark.parametrize("pooled", [True, False], ids=["pooled", "httpx"])
def test_an_idle_connection_is_not_reused_past_the_keepalive_expiry(
        monkeypatch: pytest.MonkeyPatch, pooled: bool) -> None:
    """A connection idle longer than ``KEEPALIVE_EXPIRY_S`` is not reused (its server
    may be closing it: Node closes idle ones after 5 s); one idle less is. Both for
    requests through the pooled connections and through httpx."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from socialhub.platforms import http

    assert http.KEEPALIVE_EXPIRY_S < 5.0  # Node's default keepAliveTimeout
    peers: list[int] = []

    class KeepAlive(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            peers.append(self.client_address[1])
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), KeepAlive)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(http, "KEEPALIVE_EXPIRY_S", 0.3)
    try:
        with make_client(f"http://127.0.0.1:{server.server_address[1]}", timeout_s=5) as c:
            c.pooled = pooled
            send(c, "GET", "/a")
            send(c, "GET", "/b")  # at once: the same connection
            time.sleep(0.6)
            send(c, "GET", "/c")  # idle past the expiry: a new one
    finally:
        server.shutdown()
        server.server_close()
    assert peers[0] == peers[1] != peers[2]


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    server = SandboxServer(seed=1).start()
    yield server
    server.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_is_retry_later_because_nothing_was_sent() -> None:
    with make_client(f"http://127.0.0.1:{_free_port()}", timeout_s=2) as client, \
            pytest.raises(RetryLaterError) as caught:
        send(client, "POST", "/api/posts", platform="sandbox", json={"text": "secret body"})
    assert type(caught.value) is RetryLaterError
    assert "not sent" in str(caught.value)
    assert "secret body" not in str(caught.value)


def _token(server: SandboxServer) -> str:
    return str(httpx.post(f"{server.url}/oauth/token", data={"handle": "a"}).json()
               ["access_token"])


def test_read_timeout_after_sending_is_outcome_unknown(sandbox: SandboxServer) -> None:
    token = _token(sandbox)
    sandbox.configure(timeout_rate=1.0, hang_s=5)
    with make_client(sandbox.url, timeout_s=0.3) as client, \
            pytest.raises(OutcomeUnknownError) as caught:
        send(client, "POST", "/api/posts?access_token=leak", platform="sandbox",
             headers={"Authorization": f"Bearer {token}"}, json={"text": "hello"})
    assert token not in str(caught.value)
    assert "leak" not in str(caught.value)
    assert "timed out" in str(caught.value)


def test_server_hanging_up_after_sending_is_outcome_unknown(sandbox: SandboxServer) -> None:
    token = _token(sandbox)
    sandbox.configure(timeout_rate=1.0, hang_s=0.05)
    with make_client(sandbox.url, timeout_s=5) as client, pytest.raises(OutcomeUnknownError):
        send(client, "POST", "/api/posts", platform="sandbox",
             headers={"Authorization": f"Bearer {token}"}, json={"text": "hello"})


def test_read_timeout_on_a_get_is_just_retry_later() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # accepts connections, never answers
    try:
        port = listener.getsockname()[1]
        with make_client(f"http://127.0.0.1:{port}", timeout_s=0.2) as client, \
                pytest.raises(RetryLaterError) as caught:
            send(client, "GET", "/api/posts/1", platform="sandbox")
        assert type(caught.value) is RetryLaterError
    finally:
        listener.close()


def test_registry_imports_adapters_by_platform_name() -> None:
    assert adapter_class("sandbox").name == "sandbox"
    assert adapter_class("Mastodon").name == "mastodon"
    assert {"sandbox", "mastodon"} <= set(supported_platforms())


def test_unknown_platform_names_the_supported_ones() -> None:
    with pytest.raises(ValidationError) as caught:
        adapter_class("myspace")
    assert "myspace" in str(caught.value)
    assert "sandbox" in str(caught.value)
