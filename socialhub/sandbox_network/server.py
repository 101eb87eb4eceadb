"""The sandbox platform: a real local HTTP service that behaves like a social network.

It serves the demo, the benchmarks and the chaos tests. Routes:

| route                                   | what it does                                     |
|-----------------------------------------|--------------------------------------------------|
| ``POST /oauth/token``                   | client_credentials (+``handle``): account+tokens; |
|                                         | refresh_token: new pair, the old refresh dies    |
| ``POST /oauth/revoke``                  | revoke every token of that account               |
| ``GET  /api/me``                        | the authenticated account, with followers,       |
|                                         | following and posts counts                       |
| ``POST /api/media``                     | JSON ``{data (base64), mime, alt}`` → media id    |
| ``POST /api/posts``                     | JSON ``{text, reply_to?, media_ids?, alt?}``;     |
|                                         | ``Idempotency-Key`` replays the original (200)   |
| ``GET  /api/posts?idempotency_key=K``   | look a post up by its key                        |
| ``GET|DELETE /api/posts/{id}``          | read / delete a post                             |
| ``GET  /api/posts/{id}/metrics``        | counts that grow with the post's age             |
| ``GET  /api/inbox?since_id=N&limit=M``  | what simulated people sent the account after N,  |
|                                         | oldest first: ``{items, more}``                   |
| ``GET  /_sandbox/posts``                | everything received, with idempotency keys       |
| ``POST /_sandbox/inbox``                | ``{count, seed?, accounts?}``: simulated people  |
|                                         | comment, mention, reply and message the accounts |
| ``POST /_sandbox/config`` / ``reset``   | change misbehaviour / forget posts               |

Built on the stdlib's threaded HTTP server (one thread per connection,
HTTP/1.1 keep-alive) so injected latency does not serialise requests and the
service needs no dependency. It binds loopback unless told otherwise.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from socialhub.errors import ValidationError
from socialhub.sandbox_network.world import Account, Reply, SandboxOptions, World

_MAX_BODY = 8 * 1024 * 1024
_POST_PATH = re.compile(r"^/api/posts/([^/]+)(/metrics)?$")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    world: World
    stopping: threading.Event
    log: Callable[[str], None] | None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections
    server: _Server
    timeout = 30  # idle keep-alive connections are dropped after this
    # Headers and body go out in separate writes; with Nagle on, the client's
    # delayed ACK would stall every keep-alive answer by ~40 ms.
    disable_nagle_algorithm = True

    # -- plumbing -----------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:
        if self.server.log is not None:
            self.server.log(f"{self.address_string()} {format % args}")

    def _reply(self, status: int, body: dict[str, Any] | None,
               headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)

    def _body(self) -> tuple[bytes, dict[str, Any] | None]:
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            self.close_connection = True
            raise _HTTPError(413, {"error": "too_large", "message": "request body too large"})
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return raw, {}
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if ctype == "application/x-www-form-urlencoded":
            return raw, {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise _HTTPError(400, {"error": "bad_request",
                                   "message": "body is not valid JSON"}) from None
        if not isinstance(parsed, dict):
            raise _HTTPError(400, {"error": "bad_request", "message": "body must be an object"})
        return raw, parsed

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        try:
            raw, body = self._body()
            if url.path.startswith("/_sandbox/"):
                self._control(url.path, body or {}, query)
            elif url.path.startswith("/oauth/"):
                self._oauth(url.path, body or {})
            elif url.path.startswith("/api/"):
                self._api(url.path, body or {}, query, len(raw))
            else:
                self._reply(404, {"error": "not_found", "message": f"no route {url.path}"})
        except _HTTPError as exc:
            self._reply(exc.status, exc.body, exc.headers)

    do_GET = do_POST = do_DELETE = _dispatch

    # -- routes ---------------------------------------------------------------
    def _control(self, path: str, body: dict[str, Any], query: dict[str, str]) -> None:
        world = self.server.world
        if path == "/_sandbox/posts" and self.command == "GET":
            self._reply(200, world.dump())
        elif path == "/_sandbox/config" and self.command == "POST":
            try:
                self._reply(200, world.configure(body))
            except (ValidationError, TypeError, ValueError) as exc:
                self._reply(400, {"error": "bad_config", "message": str(exc)})
        elif path == "/_sandbox/config" and self.command == "GET":
            self._reply(200, world.configure({}))
        elif path == "/_sandbox/reset" and self.command == "POST":
            world.reset(accounts=bool(body.get("accounts")))
            self._reply(200, {"ok": True})
        elif path == "/_sandbox/inbox" and self.command == "POST":
            try:
                count = world.simulate_inbox(int(body.get("count") or 0),
                                             seed=int(body.get("seed") or 0),
                                             handles=list(body.get("accounts") or []) or None)
            except (TypeError, ValueError) as exc:
                self._reply(400, {"error": "bad_request", "message": str(exc)})
                return
            self._reply(200, {"sent": count})
        elif path == "/_sandbox/health":
            self._reply(200, {"ok": True})
        else:
            self._reply(404, {"error": "not_found", "message": f"no route {path}"})

    def _misbehave(self) -> None:
        world = self.server.world
        if world.options.latency_ms > 0:
            self.server.stopping.wait(world.options.latency_ms / 1000)
        if world.roll(world.options.fail_rate):
            with world.lock:
                world.stats["injected_failures"] += 1
            raise _HTTPError(500, {"error": "internal", "message": "injected failure"})

    def _oauth(self, path: str, body: dict[str, Any]) -> None:
        self._misbehave()
        world = self.server.world
        if path == "/oauth/token" and self.command == "POST":
            status, reply = world.grant(body)
            self._reply(status, reply)
        elif path == "/oauth/revoke" and self.command == "POST":
            world.revoke(str(body.get("token") or ""))
            self._reply(200, {})
        else:
            self._reply(404, {"error": "not_found", "message": f"no route {path}"})

    def _api(self, path: str, body: dict[str, Any], query: dict[str, str], size: int) -> None:
        world = self.server.world
        account, denied = world.authenticate(self.headers.get("Authorization"))
        if account is not None:  # counted for the whole answer, latency included
            world.begin_request(account.id)
        try:
            self._misbehave()
            if denied is not None or account is None:
                raise _HTTPError(*(denied or (401, None)))
            allowed, headers = world.rate_check(account.id)
            if not allowed:
                with world.lock:
                    world.stats["rate_limited"] += 1
                raise _HTTPError(429, {"error": "rate_limited",
                                       "message": "rate limit exceeded"}, headers)
            status, reply = self._route(account, path, body, query, size)
            self._reply(status, reply, headers)
        finally:
            if account is not None:
                world.end_request(account.id)

    def _route(self, account: Account, path: str, body: dict[str, Any],
               query: dict[str, str], size: int) -> Reply:
        world = self.server.world
        method = self.command
        if path == "/api/me" and method == "GET":
            return 200, world.profile(account)
        if path == "/api/media" and method == "POST":
            return world.add_media(account, body, _media_size(body, size))
        if path == "/api/posts" and method == "POST":
            return self._create(account, body)
        if path == "/api/inbox" and method == "GET":
            try:
                since = int(query.get("since_id") or 0)
                limit = max(1, min(int(query.get("limit") or 100), 1000))
            except ValueError:
                return 400, {"error": "bad_request", "message": "since_id and limit are numbers"}
            return 200, world.inbox_page(account, since, limit)
        if path == "/api/posts" and method == "GET":
            key = query.get("idempotency_key")
            if not key:
                return 400, {"error": "bad_request", "message": "idempotency_key is required"}
            return 200, {"posts": world.find_by_key(account, key)}
        match = _POST_PATH.match(path)
        if match:
            if method == "DELETE" and not match.group(2):
                return world.delete_post(account, match.group(1))
            post = world.get_post(account, match.group(1))
            if method == "GET" and post is not None:
                return 200, world.metrics(post) if match.group(2) else world.post_json(post)
            if method == "GET":
                return 404, {"error": "not_found", "message": f"post {match.group(1)} not found"}
        return 404, {"error": "not_found", "message": f"no route {method} {path}"}

    def _create(self, account: Account, body: dict[str, Any]) -> Reply:
        world = self.server.world
        status, reply = world.create_post(account, body, self.headers.get("Idempotency-Key"))
        if status in (200, 201) and world.roll(world.options.timeout_rate):
            # The outcome-unknown case: the post exists, but the client never hears so.
            with world.lock:
                world.stats["injected_timeouts"] += 1
            self.server.stopping.wait(world.options.hang_s)
            self.close_connection = True
            raise _Hangup
        return status, reply

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except _Hangup:
            self.close_connection = True


class _HTTPError(Exception):
    def __init__(self, status: int, body: dict[str, Any] | None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers


class _Hangup(Exception):
    """Drop the connection without an answer."""


def _media_size(body: dict[str, Any], fallback: int) -> int:
    data = body.get("data")
    if not isinstance(data, str):
        return 0 if body.get("url") else fallback
    try:
        return len(base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError):
        raise _HTTPError(400, {"error": "bad_request", "message": "data is not base64"}) from None


class SandboxServer:
    """The sandbox service, in-process: ``start()`` serves from a background thread.

    Example:
        >>> server = SandboxServer(latency_ms=20, seed=1).start()  # doctest: +SKIP
        >>> server.url  # doctest: +SKIP
        'http://127.0.0.1:43817'
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 clock: Callable[[], float] = time.time,
                 log: Callable[[str], None] | None = None, **options: Any) -> None:
        """Bind now (so ``url`` is known at once); options are ``SandboxOptions`` fields."""
        opts = SandboxOptions()
        opts.update(options)
        self.world = World(options=opts, clock=clock)
        self._httpd = _Server((host, port), _Handler)
        self._httpd.world = self.world
        self._httpd.stopping = threading.Event()
        self._httpd.log = log
        bound_host, bound_port = self._httpd.server_address[:2]
        self.url = f"http://{bound_host!s}:{int(bound_port)}"
        self.world.base_url = self.url
        self._thread: threading.Thread | None = None

    @property
    def options(self) -> SandboxOptions:
        """The live options (change them with ``configure``)."""
        return self.world.options

    def configure(self, **changes: Any) -> None:
        """Change misbehaviour at runtime, like ``POST /_sandbox/config``."""
        self.world.configure(changes)

    def start(self) -> SandboxServer:
        """Serve in a daemon thread; returns self."""
        # A short poll interval makes stop() quick (shutdown waits for one poll).
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        name="sandbox-server", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until KeyboardInterrupt (Ctrl-C), then close."""
        try:
            self._httpd.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self._httpd.stopping.set()
            self._httpd.server_close()

    def stop(self) -> None:
        """Stop serving; hung "timeout" requests are released at once."""
        self._httpd.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
