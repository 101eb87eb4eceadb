"""Scheduling from the CLI announces itself: the `scheduled` webhook fires after commit."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.conftest import CLIResult


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"event": self.headers.get("X-Socialhub-Event"),
                             "body": json.loads(body)})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()


def test_scheduling_a_post_sends_the_scheduled_webhook(
        cli: Callable[..., CLIResult], receiver: tuple[str, list[dict[str, Any]]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    url, received = receiver
    monkeypatch.setenv("SOCIALHUB_DAEMON_WEBHOOKS", f"[{{url: '{url}', events: [scheduled]}}]")
    monkeypatch.setenv("SOCIALHUB_FAKE_NOW", "2026-11-22T12:00:00+00:00")
    assert cli("accounts", "add", "bluesky:@shop.example.com").exit_code == 0
    draft = cli("posts", "create", "-b", "draft only", "-t", "bluesky:@shop.example.com")
    assert draft.exit_code == 0 and received == []
    r = cli("posts", "create", "-b", "hello", "-t", "bluesky:@shop.example.com", "--at",
            "2026-12-01 09:00 Europe/Berlin", "--name", "hello")
    assert r.exit_code == 0, r.stderr
    assert len(received) == 1
    assert received[0]["event"] == "scheduled"
    assert "hello" in json.dumps(received[0]["body"])
