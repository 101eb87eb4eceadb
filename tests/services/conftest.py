"""Fixtures of the use-case tests: the sandbox network, an account connected to it, and
the delivery ``engine`` that publishes to it (publishing and analytics use it).

``hub`` (a Hub on the test's database, SQLite and PostgreSQL) comes from the root
``tests/conftest.py``; the helpers these build on are in ``tests/publishing_kit.py``.
A module that needs a sandbox with other settings defines its own ``sandbox``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from socialhub.sandbox_network.server import SandboxServer
from socialhub.services.hub import Hub
from socialhub.services.publishing.engine import PublishingEngine
from tests.publishing_kit import connect_account, make_engine


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A sandbox network on loopback answering after 5 ms."""
    server = SandboxServer(latency_ms=5).start()
    yield server
    server.stop()


@pytest.fixture
def account(hub: Hub, sandbox: SandboxServer) -> int:
    """The id of sandbox:@demo, connected with stored tokens."""
    return connect_account(hub, sandbox.url)


@pytest.fixture
def engine(hub: Hub) -> Iterator[PublishingEngine]:
    """A PublishingEngine on ``hub`` with the kit's short leases and backoff; closed after
    the test (``publishing_kit.run`` closes it too, which is harmless)."""
    built = make_engine(hub)
    yield built
    built.close()


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local webhook receiver: its URL and the deliveries it got (event and body)."""
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

