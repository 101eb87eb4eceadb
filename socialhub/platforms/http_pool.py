"""Keep-alive HTTP/1.1 connections to the platforms, with responses parsed by httptools.

An adapter's plain requests (a JSON or form body, or bytes, or nothing) go through
here instead of through httpx: httpx spends ~0.45 ms of CPU on one request to a
local server where this path spends ~0.1 ms, and the HTTP request was more than
half of the publishing daemon's CPU per delivery (docs/performance.md). Responses
are parsed by httptools (llhttp, the parser of Node.js; already uvicorn's): status
line, headers, chunked bodies, keep-alive or not, 1xx; it costs a third of the CPU
of ``http.client``'s parser on the same response. This module writes the request's
head and body in one write, keeps connections for reuse, and says, for each failure,
whether the request can have reached the server.

Failures are raised as :class:`NotSent` (nothing left this process: connecting
failed or timed out) or :class:`NoAnswer` (the request was at least partly written;
the server may have acted on it). ``platforms.http.send`` turns them into adapter
errors exactly as it does httpx's.
"""

from __future__ import annotations

import re
import select
import socket
import ssl
import threading
import time
from dataclasses import dataclass

import httptools

#: At most this many idle connections are kept for one origin.
MAX_IDLE = 64
#: A response's status line and headers may take this many bytes at most: far more than
#: any platform sends, and a bound on what a hostile server can make us hold.
MAX_HEAD_BYTES = 64 * 1024
_RECV_BYTES = 64 * 1024


class PoolError(Exception):
    """A request that got no response; ``reason`` is a short phrase for messages."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotSent(PoolError):
    """The request never left: the server cannot have acted on it."""


class NoAnswer(PoolError):
    """The request was (at least partly) sent and no whole response came back."""


@dataclass(frozen=True)
class RawResponse:
    """A whole response: status, reason phrase, header pairs as received, body."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    content: bytes


class OriginPool:
    """Reusable connections to one ``scheme://host:port``, shared by threads.

    A connection idle for ``keepalive_s`` or longer, or one the server has closed
    (its socket reads as ready while idle), is dropped instead of reused, so a request
    is not written into a connection that is going away.
    """

    def __init__(self, scheme: str, host: str, port: int, *, connect_timeout_s: float,
                 timeout_s: float, keepalive_s: float,
                 ssl_context: ssl.SSLContext | None) -> None:
        if scheme not in ("http", "https"):
            raise ValueError(f"unsupported URL scheme {scheme!r}")
        if scheme == "https" and ssl_context is None:
            raise ValueError("an https origin needs a TLS context")
        self.scheme, self.host, self.port = scheme, host, port
        name = f"[{host}]" if ":" in host else host  # an IPv6 literal in brackets
        default = 443 if scheme == "https" else 80
        self._host_header = name if port == default else f"{name}:{port}"
        self._connect_timeout_s = connect_timeout_s
        self._timeout_s = timeout_s
        self._keepalive_s = keepalive_s
        self._ssl_context = ssl_context
        self._idle: list[tuple[float, socket.socket]] = []
        self._lock = threading.Lock()
        self._closed = False

    def request(self, method: str, target: str, headers: list[tuple[str, str]],
                body: bytes | None) -> RawResponse:
        """Send one request (``target`` is the path and query) and read its whole response.

        The request line, ``Host``, ``headers``, a ``Content-Length`` for any body (and
        for an empty POST/PUT/PATCH) and the body go out in one write.

        Raises:
            NotSent: connecting failed or timed out, or the method, target or a header
                would break the request's framing (a line break, a space in the target);
                nothing was sent.
            NoAnswer: the request was written, wholly or partly, and no whole response
                came back (timed out, or the connection dropped).
        """
        try:
            payload = _encode(method, target, self._host_header, headers, body)
        except ValueError as exc:
            raise NotSent(str(exc)) from None
        sock = self._take() or self._connect()
        try:
            sock.sendall(payload)
        except TimeoutError:
            sock.close()
            raise NoAnswer("timed out sending") from None
        except OSError:
            sock.close()
            raise NoAnswer("connection dropped") from None
        try:
            response = _read_response(sock)
        except TimeoutError:
            sock.close()
            raise NoAnswer("timed out waiting") from None
        except OSError:
            sock.close()
            raise NoAnswer("connection dropped") from None
        except _Malformed as exc:
            sock.close()
            raise NoAnswer(str(exc)) from None
        if response.keep_alive:
            self._give_back(sock)
        else:
            sock.close()
        return RawResponse(response.status, response.reason, response.headers,
                           b"".join(response.body))

    def _connect(self) -> socket.socket:
        try:
            sock = socket.create_connection((self.host, self.port),
                                            timeout=self._connect_timeout_s)
        except TimeoutError:
            raise NotSent("connect timed out") from None
        except OSError:  # refused, unreachable, no such host
            raise NotSent("cannot connect") from None
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._ssl_context is not None:
                sock = self._ssl_context.wrap_socket(sock, server_hostname=self.host)
        except TimeoutError:
            sock.close()
            raise NotSent("connect timed out") from None
        except OSError:  # the TLS handshake or the server's certificate failed
            sock.close()
            raise NotSent("cannot connect") from None
        sock.settimeout(self._timeout_s)
        return sock

    def _take(self) -> socket.socket | None:
        """An idle connection still fit for a request, or None."""
        now = time.monotonic()
        while True:
            with self._lock:
                if not self._idle:
                    return None
                since, sock = self._idle.pop()
            if now - since < self._keepalive_s and not _readable(sock):
                return sock
            sock.close()

    def _give_back(self, sock: socket.socket) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < MAX_IDLE:
                self._idle.append((time.monotonic(), sock))
                return
        sock.close()

    def close(self) -> None:
        """Close every idle connection; connections in use close when given back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for _, sock in idle:
            sock.close()


class _Malformed(Exception):
    """The server's bytes are not an HTTP/1.x response we can read."""


class _AfterResponse(Exception):
    """The server sent more than the one response asked for."""


class _Response:
    """httptools' callbacks for one response: what it has read so far."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.status = 0
        self.reason_bytes = b""
        self.headers: list[tuple[str, str]] = []
        self.head_bytes = 0
        self.body: list[bytes] = []
        self.headers_done = False
        self.done = False
        self.keep_alive = False
        self.framed = False  # a Content-Length or chunked body: the end is known

    @property
    def reason(self) -> str:
        return self.reason_bytes.decode("latin-1")

    def on_message_begin(self) -> None:
        if self.done:  # bytes after the response: stop, and never reuse the connection
            raise _AfterResponse
        self.reason_bytes, self.headers, self.head_bytes, self.body = b"", [], 0, []
        self.framed = False

    def on_status(self, chunk: bytes) -> None:
        self.reason_bytes += chunk
        self._count(len(chunk))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        key = name.lower()
        if key == b"content-length" or (key == b"transfer-encoding"
                                        and b"chunked" in value.lower()):
            self.framed = True
        self.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        self.headers_done = True

    def on_body(self, chunk: bytes) -> None:
        self.body.append(chunk)

    def on_message_complete(self) -> None:
        if 100 <= self.status < 200 and self.status != 101:
            self.headers_done = False  # an interim answer (100 Continue): the real one follows
            return
        self.keep_alive = self.parser.should_keep_alive()
        self.done = True

    def _count(self, n: int) -> None:
        self.head_bytes += n
        if self.head_bytes > MAX_HEAD_BYTES:
            raise _Malformed("response headers too large")


def _read_response(sock: socket.socket) -> _Response:
    """Read one whole response from ``sock``.

    Raises:
        TimeoutError, OSError: as the socket's reads.
        _Malformed: bytes that are not a response, or too many of them before the body.
    """
    response = _Response()
    while not response.done:
        data = sock.recv(_RECV_BYTES)
        if not data:  # the server closed the connection
            if response.headers_done and not response.framed:
                response.done = True  # a body that ends where the connection does
                response.keep_alive = False
                break
            raise _Malformed("connection dropped")
        try:
            response.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            if isinstance(exc.__context__, _Malformed):  # raised by one of our callbacks
                raise exc.__context__ from None
            if not response.done:
                raise _Malformed("malformed response") from None
            response.keep_alive = False  # bytes after the response: never reuse it
    return response


_UNSAFE_TARGET = re.compile(r"[^\x21-\x7e]")


def needs_escaping(target: str) -> bool:
    """True when ``target`` holds anything but printable ASCII without spaces: a request
    target the pool refuses (it does not escape; httpx does)."""
    return _UNSAFE_TARGET.search(target) is not None


#: RFC 9110 token characters: what a method or a header name may hold.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: What may never stand in a header value (it would end the line, or the string in C).
_LINE_BREAK = re.compile("[\r\n\0]")


def _encode(method: str, target: str, host: str, headers: list[tuple[str, str]],
            body: bytes | None) -> bytes:
    """The request's bytes: its head (request line, Host, headers, Content-Length) and body.

    Raises:
        ValueError: a method or header name that is not a token, or a target or header
            value with a line break or other control character.
    """
    if not _TOKEN.fullmatch(method):
        raise ValueError("invalid HTTP method")
    if not target.startswith("/") or needs_escaping(target):
        raise ValueError("invalid request target")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    for name, value in headers:
        if not _TOKEN.fullmatch(name):
            raise ValueError("invalid header name")
        if _LINE_BREAK.search(value):
            raise ValueError(f"invalid value for header {name}")
        lines.append(f"{name}: {value}")
    if body is not None or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body or b'')}")
    try:
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError("a header holds a character beyond Latin-1") from None
    return head + (body or b"")


def _readable(sock: socket.socket) -> bool:
    """True when an idle connection's socket has something to read: the server closed
    it (or broke the protocol), so it must not carry another request."""
    try:
        ready, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(ready)
