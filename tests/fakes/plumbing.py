"""HTTP plumbing the platform fakes share: a loopback server, a quiet handler, body parsing.

``LoopbackServer`` runs a ``ThreadingHTTPServer`` on a free 127.0.0.1 port and
lets its handlers reach the fake as ``self.server.fake``; ``QuietHandler``
speaks HTTP/1.1 keep-alive without an access log, reads request bodies and
answers with bytes, JSON, an empty body or a redirect; ``query_fields`` and
``form_fields`` read a query string or form body (last value per key);
``parse_multipart`` splits a multipart/form-data body into fields and files.
``JsonFakeServer`` builds on them for fakes that answer each parsed
``Request`` with a ``Reply`` (the X and LinkedIn fakes).
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class LoopbackServer:
    """A threading HTTP server on a free 127.0.0.1 port whose handlers reach ``fake``."""

    def __init__(self, fake: object, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.fake = fake  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> None:
        """Serve from a daemon thread; the short poll interval makes ``stop`` quick."""
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        """Shut the server down and close its socket."""
        self.httpd.shutdown()
        self.httpd.server_close()


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive with Nagle off (small answers leave at once), no access log."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    json_type = "application/json"  # the Content-Type of ``send_json``; some APIs add a charset

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read the fake's own request log; stderr stays clean

    def send_bytes(self, status: int, data: bytes, *, ctype: str = "application/json",
                   headers: Mapping[str, str] | None = None) -> None:
        """Answer ``status`` with ``data`` as ``ctype``, then any extra ``headers``."""
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def send_json(self, status: int, body: Any = None, *,
                  headers: Mapping[str, str] | None = None) -> None:
        """Answer ``status`` with ``body`` as JSON of ``json_type`` (``None``: an empty body)."""
        data = b"" if body is None else json.dumps(body).encode()
        self.send_bytes(status, data, ctype=self.json_type, headers=headers)

    def send_empty(self, status: int, *, headers: Mapping[str, str] | None = None) -> None:
        """Answer ``status`` with ``headers``, no Content-Type and an empty body."""
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def redirect(self, location: str) -> None:
        """A 302 to ``location`` (a consent page approving at once)."""
        self.send_empty(302, headers={"Location": location})

    def read_body(self) -> tuple[str, bytes]:
        """The request's Content-Type and body (empty without a Content-Length)."""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return self.headers.get("Content-Type") or "", raw

    def read_params(self, *, bracket_lists: bool = False,
                    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """The query string's parameters updated with the body's, and any multipart files.

        The body may be JSON, a form or multipart; a repeated form key keeps its
        last value, or with ``bracket_lists`` a ``key[]`` gives ``key`` all of its
        values (Rails' convention, which Mastodon follows).
        """
        params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
        files: dict[str, dict[str, Any]] = {}
        ctype, raw = self.read_body()
        if raw and ctype.startswith("application/json"):
            params.update(json.loads(raw))
        elif raw and ctype.startswith("application/x-www-form-urlencoded"):
            for key, values in parse_qs(raw.decode()).items():
                if bracket_lists and key.endswith("[]"):
                    params[key.removesuffix("[]")] = values
                else:
                    params[key] = values[-1]
        elif raw and ctype.startswith("multipart/form-data"):
            fields, files = parse_multipart(ctype, raw)
            params.update(fields)
        return params, files


def query_fields(path: str) -> dict[str, str]:
    """The query string of a request ``path`` as a dict; a repeated key keeps its last value."""
    return {k: v[-1] for k, v in parse_qs(urlsplit(path).query).items()}


def form_fields(raw: bytes) -> dict[str, str]:
    """A form-encoded body as a dict; a repeated key keeps its last value."""
    return {k: v[-1] for k, v in parse_qs(raw.decode()).items()}


def parse_multipart(ctype: str, raw: bytes) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """The fields and files of a multipart/form-data body, each in the order sent.

    A file is ``{"filename", "bytes", "mime"}`` under its part's name.
    """
    fields: dict[str, str] = {}
    files: dict[str, dict[str, Any]] = {}
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {ctype}\r\n\r\n".encode() + raw)
    for part in message.iter_parts():
        name = str(part.get_param("name", header="content-disposition"))
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        if part.get_filename():
            files[name] = {"filename": part.get_filename(), "bytes": payload,
                           "mime": part.get_content_type()}
        else:
            fields[name] = payload.decode()
    return fields, files


@dataclass
class Request:
    """One request as the fake saw it (tests assert on these)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    params: dict[str, Any]
    files: dict[str, dict[str, Any]]
    raw: bytes


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


def parse_request(handler: QuietHandler) -> Request:
    """The request ``handler`` is serving: query, lower-cased headers, JSON/form/multipart body."""
    url = urlsplit(handler.path)
    query = {k: v[-1] for k, v in parse_qs(url.query).items()}
    ctype, raw = handler.read_body()
    params: dict[str, Any] = {}
    files: dict[str, dict[str, Any]] = {}
    if raw and ctype.startswith("application/json"):
        params = json.loads(raw)
    elif raw and ctype.startswith("application/x-www-form-urlencoded"):
        params = {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
    elif raw and ctype.startswith("multipart/form-data"):
        params, files = parse_multipart(ctype, raw)
    headers = {k.lower(): v for k, v in handler.headers.items()}
    return Request(handler.command, url.path, query, headers, params, files, raw)


class _JsonHandler(QuietHandler):
    def _any(self) -> None:
        server: JsonFakeServer = self.server.fake  # type: ignore[attr-defined]
        request = parse_request(self)
        with server.lock:
            server.requests.append(request)
        reply = server.handle(request)
        data = reply.raw if reply.raw is not None else (
            b"" if reply.body is None else json.dumps(reply.body).encode())
        self.send_bytes(reply.status, data, headers=reply.headers)

    do_GET = do_POST = do_PUT = do_DELETE = _any


class JsonFakeServer:
    """A server on 127.0.0.1:0, already serving, that hands each parsed request to ``handle``."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.requests: list[Request] = []
        self._server = LoopbackServer(self, _JsonHandler)
        self.url = self._server.url
        self._server.start()

    def handle(self, request: Request) -> Reply:
        raise NotImplementedError

    def stop(self) -> None:
        """Shut the server down."""
        self._server.stop()

    def calls(self, method: str, path: str) -> list[Request]:
        """Requests seen with this method and path."""
        with self.lock:
            return [r for r in self.requests if r.method == method and r.path == path]
