"""The daemon's webhooks as a real process: a delivery whose first try (by the CLI side)
failed is retried after its backoff, and the daemon's own events (a post published)
reach the endpoint signed — on SQLite, and on PostgreSQL as a daemon login under
row-level security."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from socialhub.sandbox_network.server import SandboxServer
from socialhub.services.webhooks.use_cases import webhook_log
from tests.daemon.test_daemon import DaemonProcess, daemon_login, sandbox, spawn, spawn_ready
from tests.publishing_kit import connect_account, make_hub, now, schedule, wait_for
from tests.services.webhooks.test_webhooks import Receiver, _hooks, receiver

__all__ = ["daemon_login", "receiver", "sandbox", "spawn"]  # the fixtures this module borrows
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
def test_the_daemon_retries_webhooks_and_sends_its_own_events(
        db_home: str, sandbox: SandboxServer, spawn: Callable[..., DaemonProcess],
        tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch,
        request: pytest.FixtureRequest) -> None:
    _hooks(monkeypatch, receiver, events="['account.*', 'delivery.*']")
    monkeypatch.setenv("SOCIALHUB_DAEMON_WEBHOOK_BACKOFF_BASE_S", "1")
    receiver.statuses = [500]
    hub = make_hub()
    try:
        connect_account(hub, sandbox.url)  # account.created: its first try gets a 500
        with hub.context("cli") as ctx:
            [first] = webhook_log(ctx)
        assert (first["event"], first["status"]) == ("account.created", "failed")
        extra = {}
        if db_home.startswith("postgresql"):
            extra["SOCIALHUB_DATABASE_URL"] = request.getfixturevalue("daemon_login")
        daemon = spawn_ready(spawn, tmp_path, "hooks", **extra)
        schedule(hub, "hello", now() + timedelta(seconds=1))

        def arrived() -> bool:  # the 500, the daemon's retry, and the daemon's own event
            got = receiver.events()
            return got.count("account.created") == 2 and "delivery.published" in got

        assert wait_for(arrived, timeout=30), daemon.logs()[-3000:]
        assert daemon.stop() == 0
        assert all(r["valid"] for r in receiver.got)
        published = next(json.loads(r["raw"]) for r in receiver.got
                         if json.loads(r["raw"])["type"] == "delivery.published")
        assert published["data"]["post"] == "hello"
        with hub.context("cli") as ctx:
            log = {d["event"]: d for d in webhook_log(ctx)}
        assert (log["account.created"]["status"], log["account.created"]["attempts"]) == (
            "delivered", 2)
        assert log["delivery.published"]["status"] == "delivered"
        assert '"level": "ERROR"' not in daemon.logs() and "Traceback" not in daemon.logs()
    finally:
        hub.dispose()
