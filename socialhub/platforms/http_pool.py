"""Keep-alive HTTP/1.1 connections to the platforms, on the standard library's ``http.client``.

An adapter's plain requests (a JSON or form body, or bytes, or nothing) go through
here instead of through httpx: httpx spends ~0.45 ms of CPU on one request to a
local server where ``http.client`` spends ~0.12 ms, and the HTTP request was more
than half of the publishing daemon's CPU per delivery (docs/performance.md). The
response is read by ``http.client`` (status line, headers, chunked bodies,
``Connection: close``, 1xx); this module writes the request's head and body in one
write, keeps connections for reuse, and says, for each failure, whether the request
can have reached the server.

Failures are raised as :class:`NotSent` (nothing left this process: connecting
failed or timed out) or :class:`NoAnswer` (the request was at least partly written;
the server may have acted on it). ``platforms.http.send`` turns them into adapter
errors exactly as it does httpx's.
"""

from __future__ import annotations

import http.client
import re
import select
import socket
import ssl
import threading
import time
from dataclasses import dataclass

#: At most this many idle connections are kept for one origin.
MAX_IDLE = 64


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
        response = http.client.HTTPResponse(sock, method=method)
        try:
            response.begin()
            content = response.read()
        except TimeoutError:
            sock.close()
            raise NoAnswer("timed out waiting") from None
        except (OSError, http.client.HTTPException):
            sock.close()
            raise NoAnswer("connection dropped") from None
        finally:
            response.close()  # the response's file, not the socket
        if response.will_close:
            sock.close()
        else:
            self._give_back(sock)
        return RawResponse(response.status, response.reason, response.getheaders(), content)

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


_UNSAFE_TARGET = re.compile(r"[^\x21-\x7e]")


def needs_escaping(target: str) -> bool:
    """True when ``target`` holds anything but printable ASCII without spaces: a request
    target the pool refuses (it does not escape; httpx does)."""
    return _UNSAFE_TARGET.search(target) is not None


#: RFC 9110 token characters: what a method or a header name may hold.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


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
        if any(c in value for c in "\r\n\0"):
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
