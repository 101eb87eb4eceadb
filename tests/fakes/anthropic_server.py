"""A local HTTP server that speaks enough of Anthropic's Messages API for the real SDK.

``POST /v1/messages`` answers non-streaming JSON or SSE streaming events
(``message_start``, ``content_block_*``, ``ping``, ``message_delta``,
``message_stop``), text or ``tool_use`` blocks. Faults are queued one request
at a time: an HTTP error (429 with ``retry-after``, 529 overloaded, 401, 500),
a delay (to trigger client timeouts), a malformed answer (text that is not
JSON), or an over-long draft. Latency before the headers, before the first
token and between chunks is configurable, and the instant the first complete
JSON line was flushed is recorded, for the benchmark.

Answers are built from the prompt the way a model would: the generation
prompt's ``<data name="targets">`` and ``<data name="variants">`` say what to
write; ``submit_text`` requests get a tool call carrying a shortened post.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_DATA_RE = re.compile(r'<data name="(\w+)">(.*?)</data>')


@dataclass
class Fault:
    """What to do with one upcoming request instead of (or before) a normal answer."""

    status: int | None = None
    retry_after: str | None = None
    retry_after_ms: str | None = None
    delay: float = 0.0
    garbage: bool = False
    overlong: bool = False
    text: str | None = None


@dataclass
class Received:
    """One request as the server saw it."""

    headers: dict[str, str]
    body: dict[str, Any]
    at: float = field(default_factory=time.perf_counter)

    @property
    def prompt(self) -> str:
        """The last user message's text."""
        content = self.body["messages"][-1]["content"]
        if isinstance(content, str):
            return content
        return "".join(b.get("text", "") if b.get("type") == "text" else str(b.get("content", ""))
                       for b in content)


def prompt_data(text: str) -> dict[str, Any]:
    """The ``<data>`` values of a rendered prompt, JSON-decoded."""
    return {m.group(1): json.loads(m.group(2)) for m in _DATA_RE.finditer(text)}


class FakeAnthropic:
    """Start with ``start()`` (or as a context manager); ``url`` is the SDK's base URL."""

    def __init__(self, *, api_key: str = "test-key", latency: float = 0.0,
                 first_token_delay: float = 0.0, chunk_delay: float = 0.0) -> None:
        self.api_key = api_key
        self.latency = latency
        self.first_token_delay = first_token_delay
        self.chunk_delay = chunk_delay
        self.requests: list[Received] = []
        self.faults: deque[Fault] = deque()
        self.first_line_at: float | None = None
        #: Streamed answers sent to the end (``message_stop`` written), in order.
        self.streams_finished = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- control -------------------------------------------------------------------------
    def queue(self, fault: Fault, times: int = 1) -> None:
        """Apply ``fault`` to the next ``times`` requests."""
        with self._lock:
            self.faults.extend([fault] * times)

    def fail(self, status: int, *, times: int = 1, retry_after: str | None = None,
             retry_after_ms: str | None = None) -> None:
        """Answer the next ``times`` requests with an HTTP error."""
        self.queue(Fault(status=status, retry_after=retry_after,
                         retry_after_ms=retry_after_ms), times)

    def garbage(self, times: int = 1) -> None:
        """Answer the next ``times`` requests with text that is not the JSON asked for."""
        self.queue(Fault(garbage=True), times)

    def stall(self, seconds: float, times: int = 1) -> None:
        """Wait ``seconds`` before answering the next ``times`` requests."""
        self.queue(Fault(delay=seconds), times)

    def overlong(self, times: int = 1) -> None:
        """Make the first draft of the next generation far too long for any short platform."""
        self.queue(Fault(overlong=True), times)

    def _next_fault(self) -> Fault | None:
        with self._lock:
            return self.faults.popleft() if self.faults else None

    @property
    def url(self) -> str:
        """Base URL for ``anthropic.Anthropic(base_url=...)``."""
        assert self._server is not None, "server not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeAnthropic:
        """Listen on a free port of 127.0.0.1 in a daemon thread."""
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        """Shut the server down."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeAnthropic:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- answers -------------------------------------------------------------------------
    def answer(self, req: Received, fault: Fault | None) -> list[dict[str, Any]]:
        """The content blocks a model would return for ``req``."""
        body = req.body
        if fault and fault.garbage:
            return [{"type": "text", "text": "Sure! Here are your posts:\n- a lovely post\n"
                                             "{not: valid json"}]
        if fault and fault.text is not None:
            return [{"type": "text", "text": fault.text}]
        if body.get("tools"):
            data = prompt_data(body["messages"][0]["content"])
            post = str(data.get("post", "A post."))
            limit = int((data.get("target") or {}).get("limit", 280))
            if "too long" in body["messages"][0]["content"]:
                text = _shorten(post, int(limit * 0.8))
            elif "language" in data:  # a translation: marked, so a test sees it happened
                text = _shorten(f"[{data['language']}] {post}", int(limit * 0.9))
            else:
                text = _shorten(f"Rewritten ({data.get('instruction')}): {post}",
                                int(limit * 0.9))
            return [{"type": "tool_use", "id": f"toolu_{len(self.requests)}",
                     "name": "submit_text", "input": {"text": text}}]
        data = prompt_data(body["messages"][0]["content"])
        idea = str(data.get("idea", "something"))
        first = re.split(r"(?<=[.!?])\s", idea)[0]
        lines: list[str] = []
        for n in range(1, int(data.get("variants", 1)) + 1):
            for target in data.get("targets", []):
                text = f"{first} ({target['platform']} take {n})"
                if fault and fault.overlong and not lines:
                    text = " ".join([idea] * 40)
                lines.append(json.dumps({"target": target["ref"], "n": n, "text": text},
                                        ensure_ascii=False))
        return [{"type": "text", "text": "\n".join(lines) + "\n"}]


def _shorten(text: str, aim: int) -> str:
    words, out = text.split(), ""
    for w in words:
        if len(out) + len(w) + 1 > aim:
            break
        out = f"{out} {w}".strip()
    return out or text[:aim]


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


class _Handler(BaseHTTPRequestHandler):
    server_fake: FakeAnthropic
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
              ) -> None:
        raw = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(raw)))
        self.send_header("request-id", "req_fake")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    def _error(self, status: int, kind: str, message: str,
               headers: dict[str, str] | None = None) -> None:
        self._json(status, {"type": "error", "error": {"type": kind, "message": message}},
                   headers)

    def do_POST(self) -> None:
        fake = self.server_fake
        length = int(self.headers.get("content-length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        req = Received(dict(self.headers.items()), body)
        with fake._lock:
            fake.requests.append(req)
        if self.path.split("?")[0] != "/v1/messages":
            self._error(404, "not_found_error", f"no route {self.path}")
            return
        # SDK 2.x sends the key as a bearer token; older ones as x-api-key.
        sent = self.headers.get("x-api-key") or self.headers.get("authorization", "").removeprefix(
            "Bearer ")
        if sent != fake.api_key:
            self._error(401, "authentication_error", "invalid x-api-key")
            return
        fault = fake._next_fault()
        time.sleep(fake.latency + (fault.delay if fault else 0.0))
        if fault and fault.status:
            headers = {}
            if fault.retry_after is not None:
                headers["retry-after"] = fault.retry_after
            if fault.retry_after_ms is not None:
                headers["retry-after-ms"] = fault.retry_after_ms
            kinds = {429: "rate_limit_error", 529: "overloaded_error", 401: "authentication_error",
                     400: "invalid_request_error"}
            self._error(fault.status, kinds.get(fault.status, "api_error"),
                        f"fake {fault.status}", headers)
            return
        blocks = fake.answer(req, fault)
        usage_in = _tokens(json.dumps(body.get("messages", [])) + str(body.get("system", "")))
        usage_out = _tokens(json.dumps(blocks))
        stop = "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn"
        try:
            if body.get("stream"):
                self._stream(body, blocks, usage_in, usage_out, stop)
            else:
                self._json(200, {"id": "msg_fake", "type": "message", "role": "assistant",
                                 "model": body.get("model"), "content": blocks,
                                 "stop_reason": stop, "stop_sequence": None,
                                 "usage": {"input_tokens": usage_in,
                                           "output_tokens": usage_out}})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout); nothing to do

    def _event(self, name: str, data: dict[str, Any]) -> None:
        chunk = f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        self.wfile.flush()

    def _stream(self, body: dict[str, Any], blocks: list[dict[str, Any]], usage_in: int,
                usage_out: int, stop: str) -> None:
        fake = self.server_fake
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        self._event("message_start", {"type": "message_start", "message": {
            "id": "msg_fake", "type": "message", "role": "assistant", "content": [],
            "model": body.get("model"), "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": usage_in, "output_tokens": 1}}})
        self._event("ping", {"type": "ping"})
        time.sleep(fake.first_token_delay)
        for i, block in enumerate(blocks):
            if block["type"] == "text":
                self._event("content_block_start", {"type": "content_block_start", "index": i,
                                                    "content_block": {"type": "text",
                                                                      "text": ""}})
                for line in block["text"].splitlines(keepends=True):
                    third = max(1, len(line) // 3)
                    for j in range(0, len(line), third):
                        self._event("content_block_delta", {
                            "type": "content_block_delta", "index": i,
                            "delta": {"type": "text_delta", "text": line[j:j + third]}})
                        if j + third >= len(line) and line.endswith("\n") \
                                and fake.first_line_at is None:
                            fake.first_line_at = time.perf_counter()
                        time.sleep(fake.chunk_delay)
            else:
                start = dict(block, input={})
                self._event("content_block_start", {"type": "content_block_start", "index": i,
                                                    "content_block": start})
                self._event("content_block_delta", {
                    "type": "content_block_delta", "index": i,
                    "delta": {"type": "input_json_delta",
                              "partial_json": json.dumps(block["input"])}})
            self._event("content_block_stop", {"type": "content_block_stop", "index": i})
        self._event("message_delta", {"type": "message_delta",
                                      "delta": {"stop_reason": stop, "stop_sequence": None},
                                      "usage": {"output_tokens": usage_out}})
        # Counted before the last event is written, so a client that has read the whole
        # answer always sees it counted (counting after the write raced the client).
        with fake._lock:
            fake.streams_finished += 1
        self._event("message_stop", {"type": "message_stop"})
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
