"""``socialhub queue`` and ``posts publish-now``: every failure visible, with a fix at hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from socialhub.sandbox_network.server import SandboxServer
from socialhub.services.hub import Hub
from socialhub.services.publishing.delivery_outcome import Policy
from socialhub.services.publishing.engine import EngineSettings, PublishingEngine
from tests.conftest import CLIResult
from tests.publishing_kit import delivery, sandbox_posts, schedule

CLI = Callable[..., CLIResult]


def publish_all(hub: Hub, ids: list[int]) -> None:
    engine = PublishingEngine(hub, EngineSettings(policy=Policy(max_attempts=1)))
    engine.run_until(lambda: all(delivery(hub, i).status in ("published", "dead")
                                 for i in ids), timeout_s=10, poll_s=0.05)
    engine.close()


def rows(result: CLIResult) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert isinstance(data, list)
    return data


def test_queue_lists_failures_with_their_reason_and_retry_sends_again(
        hub: Hub, sandbox: SandboxServer, account: int, dbcli: CLI,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    sandbox.configure(max_chars=10)
    dead = schedule(hub, "too-long", datetime.now(UTC) - timedelta(seconds=1),
                    text="longer than ten characters")
    waiting = schedule(hub, "later", datetime.now(UTC) + timedelta(hours=1))
    publish_all(hub, [dead])

    listed = {r["id"]: r for r in rows(dbcli("queue", "list", "--json"))}
    assert listed[dead]["status"] == "dead"
    assert "longer than 10 characters" in listed[dead]["last_error"]
    assert listed[waiting]["status"] == "scheduled"
    assert [r["id"] for r in rows(dbcli("queue", "list", "--status", "dead", "--json"))] == [dead]
    table = dbcli("queue", "list")
    assert "too-long" in table.stdout and "longer than 10" in table.stdout

    shown = dbcli("queue", "show", str(dead), "--json").json()
    assert isinstance(shown, dict)
    assert [a["outcome"] for a in shown["attempt_log"]] == ["invalid"]
    assert shown["attempt_log"][0]["http_status"] == 422

    sandbox.configure(max_chars=500)
    retried = dbcli("queue", "retry", str(dead))
    assert retried.exit_code == 0 and "tried again" in retried.stderr
    publish_all(hub, [dead])  # a fresh budget: max_attempts=1 allows one more try
    assert delivery(hub, dead).status == "published"
    assert len(sandbox_posts(sandbox.url)) == 1


def test_cancel_stops_one_delivery_and_refuses_finished_ones(
        hub: Hub, sandbox: SandboxServer, account: int, dbcli: CLI) -> None:
    d_id = schedule(hub, "never", datetime.now(UTC) - timedelta(seconds=1))
    assert dbcli("queue", "cancel", str(d_id)).exit_code == 0
    publish_all(hub, [])
    assert delivery(hub, d_id).status == "canceled"
    assert sandbox_posts(sandbox.url) == []
    again = dbcli("queue", "cancel", str(d_id))
    assert again.exit_code == 6 and "already canceled" in again.stderr
    missing = dbcli("queue", "show", "9999")
    assert missing.exit_code == 5 and "no delivery with id 9999" in missing.stderr
    bad = dbcli("queue", "list", "--status", "lost")
    assert bad.exit_code == 4 and "unknown status 'lost'" in bad.stderr


def test_publish_now_without_a_daemon_sends_it_from_the_cli(
        hub: Hub, sandbox: SandboxServer, account: int, dbcli: CLI) -> None:
    schedule(hub, "urgent", datetime.now(UTC) + timedelta(days=2))
    result = dbcli("posts", "publish-now", "urgent", "--json")
    out = rows(result)
    assert [r["status"] for r in out] == ["published"]
    assert out[0]["remote_url"].startswith(sandbox.url)
    assert "no daemon is running" in result.stderr
    assert len(sandbox_posts(sandbox.url)) == 1
    assert dbcli("posts", "publish-now", "urgent").exit_code == 6  # nothing left to send
