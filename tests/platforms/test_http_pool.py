"""The pooled path of ``platforms.http.send``: what reaches a real server is what httpx
would send, connections are reused only while fit, and every failure says whether the
request can have reached the platform."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from socialhub.platforms.errors import OutcomeUnknownError, RetryLaterError
from socialhub.platforms.http import PlatformClient, make_client, send


class _Recorder(BaseHTTPRequestHandler):
    """Answers every request with a small JSON body and records what it received."""

    protocol_version = "HTTP/1.1"
    seen: list[dict[str, Any]]
    mode: dict[str, str]

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.seen.append({"method": self.command, "path": self.path, "body": body,
                          "peer": self.client_address[1],
                          "headers": {k.lower(): v for k, v in self.headers.items()}})
        mode = self.mode.get("next", "")
        reply = b'{"ok":true}'
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-RateLimit-Remaining", "7")
        if mode == "chunked":
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (reply[:4], reply[4:]):
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            return
        if mode == "close":
            self.send_header("Connection", "close")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply)
        if mode == "drop-after":  # closes without saying so: the idle socket goes EOF
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[dict[str, Any]], dict[str, str]]]:
    seen: list[dict[str, Any]] = []
    mode: dict[str, str] = {}
    handler = type("Handler", (_Recorder,), {"seen": seen, "mode": mode})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/api", seen, mode
    httpd.shutdown()
    httpd.server_close()


_SKIP = {"accept-encoding", "connection"}  # httpx's own defaults; the pooled path asks none


@pytest.mark.parametrize("kw", [
    {"json": {"text": "héllo ✓", "n": [1, 2], "ok": True}},
    {"data": {"grant_type": "refresh_token", "scope": ["a b", "c"], "flag": False,
              "none": None}},
    {"content": b"\x00raw bytes\xff", "headers": {"Content-Type": "video/mp4"}},
    {"params": {"q": "a b&c", "ids": [1, 2]}},
    {"params": [("max_id", "9"), ("limit", 40)], "headers": {"x-custom": "1"}},
], ids=["json", "form", "bytes", "params", "param-pairs"])
def test_pooled_requests_carry_what_httpx_would_send(
        server: tuple[str, list[dict[str, Any]], dict[str, str]], kw: dict[str, Any]) -> None:
    url, seen, _ = server
    with make_client(url, timeout_s=5, headers={"X-Client": "c"}) as client:
        assert client.pooled
        pooled = send(client, "POST", "/v1/items", platform="t", **kw)
        client.pooled = False
        plain = send(client, "POST", "/v1/items", platform="t", **kw)
    assert pooled.status_code == plain.status_code == 201
    assert pooled.json() == plain.json() == {"ok": True}
    assert pooled.headers["x-ratelimit-remaining"] == "7"
    assert pooled.reason_phrase == "Created"
    ours, httpx_sent = seen
    assert (ours["method"], ours["path"], ours["body"]) == (
        httpx_sent["method"], httpx_sent["path"], httpx_sent["body"])
    assert ours["path"].startswith("/api/v1/items")
    expected = {k: v for k, v in httpx_sent["headers"].items() if k not in _SKIP}
    assert {k: v for k, v in ours["headers"].items() if k not in _SKIP} == expected


def test_connections_are_reused_and_dropped_when_the_server_closes_them(
        server: tuple[str, list[dict[str, Any]], dict[str, str]]) -> None:
    url, seen, mode = server
    with make_client(url, timeout_s=5) as client:
        send(client, "GET", "/a")
        send(client, "GET", "/b")
        mode["next"] = "close"  # says Connection: close
        send(client, "GET", "/c")
        mode["next"] = "drop-after"  # closes silently after answering
        send(client, "GET", "/d")
        mode["next"] = ""
        time.sleep(0.2)  # the server has closed it, as a server does long before the next post
        # The idle connection is seen closed: a new one, not "connection dropped".
        assert send(client, "POST", "/e", json={}).status_code == 201
    peers = [r["peer"] for r in seen]
    assert peers[0] == peers[1] == peers[2] != peers[3] != peers[4]


def test_a_chunked_response_is_read_whole(
        server: tuple[str, list[dict[str, Any]], dict[str, str]]) -> None:
    url, _, mode = server
    mode["next"] = "chunked"
    with make_client(url, timeout_s=5) as client:
        assert send(client, "GET", "/chunks").json() == {"ok": True}
        mode["next"] = ""
        assert send(client, "GET", "/after").json() == {"ok": True}  # same connection, in step


def test_a_header_that_would_split_the_request_is_refused_before_sending(
        server: tuple[str, list[dict[str, Any]], dict[str, str]]) -> None:
    url, seen, _ = server
    with make_client(url, timeout_s=5) as client, pytest.raises(RetryLaterError) as caught:
        send(client, "POST", "/x", platform="t", json={},
             headers={"Authorization": "Bearer tok\r\nX-Injected: 1"})
    assert "not sent" in str(caught.value)
    assert "tok" not in str(caught.value)
    assert seen == []


def test_a_server_that_hangs_up_without_answering_leaves_a_post_unknown() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def hang_up() -> None:
        for _ in range(2):
            conn, _ = listener.accept()
            conn.recv(65536)
            conn.close()

    threading.Thread(target=hang_up, daemon=True).start()
    try:
        port = listener.getsockname()[1]
        with make_client(f"http://127.0.0.1:{port}", timeout_s=5) as client:
            with pytest.raises(OutcomeUnknownError) as unknown:
                send(client, "POST", "/posts", platform="t", json={"text": "x"})
            assert "connection dropped after the request was sent" in str(unknown.value)
            with pytest.raises(RetryLaterError) as safe:
                send(client, "GET", "/posts/1", platform="t")
            assert type(safe.value) is RetryLaterError
    finally:
        listener.close()


def test_files_head_and_a_proxy_in_the_environment_go_through_httpx(
        server: tuple[str, list[dict[str, Any]], dict[str, str]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    url, seen, _ = server
    with make_client(url, timeout_s=5) as client:
        assert client.pooled_request("POST", "/m", {"files": {"f": ("a.txt", b"hi")}}) is None
        send(client, "POST", "/m", files={"f": ("a.txt", b"hi")})
    assert seen[0]["headers"]["content-type"].startswith("multipart/form-data")
    assert b'filename="a.txt"' in seen[0]["body"]
    with make_client(url, timeout_s=5) as client:
        # A HEAD answer announces a body it does not carry: only httpx knows to skip it.
        assert client.pooled_request("HEAD", "/m", {}) is None
        assert send(client, "HEAD", "/m").status_code == 200
        assert send(client, "GET", "/m").json() == {"ok": True}
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    client = make_client(url, timeout_s=5)
    assert isinstance(client, PlatformClient) and not client.pooled
    client.close()


class _Scripted:
    """A raw server answering every request with the same bytes; counts connections."""

    def __init__(self, reply: bytes, *, close_after: bool) -> None:
        self.reply, self.close_after = reply, close_after
        self.connections = 0
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            while conn.recv(65536):  # each request arrives in one write
                conn.sendall(self.reply)
                if self.close_after:
                    return

    def close(self) -> None:
        self.listener.close()


_OK = b'{"ok":true}'


@pytest.mark.parametrize(("reply", "close_after", "reused"), [
    # An interim answer, then the real one: the real one is returned.
    (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n" + _OK,
     False, True),
    # No length and not chunked: the body ends where the connection does.
    (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + _OK, True, False),
    # HTTP/1.0 without keep-alive: read, then closed.
    (b"HTTP/1.0 200 OK\r\nContent-Length: 11\r\n\r\n" + _OK, False, False),
    # Bytes after the response: it is read, but the connection is out of step.
    (b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n" + _OK + b"junk", False, False),
], ids=["interim-100", "until-close", "http-1.0", "trailing-junk"])
def test_responses_are_read_whole_and_connections_kept_only_when_fit(
        reply: bytes, close_after: bool, reused: bool) -> None:
    scripted = _Scripted(reply, close_after=close_after)
    try:
        with make_client(scripted.url, timeout_s=5) as client:
            for _ in range(2):
                answer = send(client, "GET", "/x", platform="t")
                assert answer.status_code == 200 and answer.json() == {"ok": True}
        assert scripted.connections == (1 if reused else 2)
    finally:
        scripted.close()


def test_a_pooled_answer_reads_as_httpxs_own_would(
        server: tuple[str, list[dict[str, Any]], dict[str, str]]) -> None:
    url, _, _ = server
    with make_client(url, timeout_s=5) as client:
        pooled = send(client, "GET", "/item")
        client.pooled = False
        plain = send(client, "GET", "/item")
    assert pooled.content == plain.content == pooled.read() == _OK
    assert b"".join(pooled.iter_bytes()) == _OK
    assert pooled.text == plain.text and pooled.json() == plain.json()
    assert pooled.encoding == plain.encoding == "utf-8"
    assert pooled.headers["content-length"] == plain.headers["content-length"] == "11"
    assert pooled.is_success and pooled.is_closed and pooled.is_stream_consumed
    assert pooled.http_version == "HTTP/1.1"


def test_a_gzipped_answer_nobody_asked_for_is_still_decoded() -> None:
    import gzip

    body = gzip.compress(_OK)
    scripted = _Scripted(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
                         + f"Content-Length: {len(body)}\r\n\r\n".encode() + body,
                         close_after=False)
    try:
        with make_client(scripted.url, timeout_s=5) as client:
            answer = send(client, "GET", "/x", platform="t")
        assert answer.content == _OK and answer.json() == {"ok": True}
    finally:
        scripted.close()


@pytest.mark.parametrize(("reply", "reason"), [
    (b"HTTP/1.1 200 OK\r\n" + b"X-Filler: " + b"a" * 70_000 + b"\r\n\r\n",
     "response headers too large"),
    (b"hello, this is not HTTP\r\n\r\n", "malformed response"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n" + _OK, "connection dropped"),
], ids=["huge-head", "not-http", "short-body"])
def test_an_unreadable_answer_leaves_a_post_unknown_and_a_get_retryable(
        reply: bytes, reason: str) -> None:
    scripted = _Scripted(reply, close_after=True)
    try:
        with make_client(scripted.url, timeout_s=5) as client:
            with pytest.raises(OutcomeUnknownError) as unknown:
                send(client, "POST", "/posts", platform="t", json={"text": "x"})
            assert reason in str(unknown.value)
            with pytest.raises(RetryLaterError) as safe:
                send(client, "GET", "/posts/1", platform="t")
            assert type(safe.value) is RetryLaterError and reason in str(safe.value)
    finally:
        scripted.close()
