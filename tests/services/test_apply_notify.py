"""Changes to the schedule wake running daemons on PostgreSQL (NOTIFY), from `apply`,
the TUI and the CLI alike."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from socialhub.services.announce import NOTIFY_CHANNEL
from tests.conftest import CLIResult, new_pg_database
from tests.pgcluster import PostgresCluster

POST = """apiVersion: socialhub/v1
kind: Account
metadata: {name: "bluesky:@shop.example.com"}
spec: {}
---
apiVersion: socialhub/v1
kind: Post
metadata: {name: launch}
spec:
  body: We ship on Monday.
  targets:
    - account: "bluesky:@shop.example.com"
      at: 2026-12-01 09:00 Europe/Berlin
"""


def test_apply_that_schedules_a_post_notifies_daemons(
        cli: Callable[..., CLIResult], pg_cluster: PostgresCluster, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    url = new_pg_database(pg_cluster)
    monkeypatch.setenv("SOCIALHUB_DATABASE_URL", url)
    monkeypatch.setenv("SOCIALHUB_FAKE_NOW", "2026-11-22T12:00:00+00:00")
    manifest = tmp_path / "launch.yaml"
    manifest.write_text(POST)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as listener:
        listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
        r = cli("apply", "-f", str(manifest))
        assert r.exit_code == 0, r.stderr
        assert [n.channel for n in listener.notifies(timeout=2, stop_after=1)] == [NOTIFY_CHANNEL]
        again = cli("apply", "-f", str(manifest))  # unchanged: nobody is woken
        assert again.exit_code == 0
        assert list(listener.notifies(timeout=0.5, stop_after=1)) == []


def test_the_tui_editors_publish_now_and_a_queue_retry_notify_daemons(
        cli: Callable[..., CLIResult], pg_cluster: PostgresCluster,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from socialhub.services.authoring.editor import Draft, save_draft
    from socialhub.services.clock import now_utc
    from socialhub.services.hub import Hub
    from socialhub.services.settings import load_config

    url = new_pg_database(pg_cluster)
    monkeypatch.setenv("SOCIALHUB_DATABASE_URL", url)
    assert cli("accounts", "add", "bluesky:@shop.example.com").exit_code == 0
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    hub = Hub(load_config())
    try:
        with psycopg.connect(dsn, autocommit=True) as listener:
            listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
            with hub.context("tui") as ctx:  # the editor's "publish now" (ctrl+p)
                save_draft(ctx, Draft(
                    body="now", targets={"bluesky:@shop.example.com": ""}, name="now"),
                    existing=None, mode="publish", zone="UTC", now=now_utc())
            assert len(list(listener.notifies(timeout=2, stop_after=1))) == 1
            with hub.transaction() as session:
                session.execute(text("UPDATE deliveries SET status = 'dead'"))
            assert list(listener.notifies(timeout=0.3, stop_after=1)) == []
            retried = cli("queue", "retry", "1")
            assert retried.exit_code == 0, retried.stderr
            assert len(list(listener.notifies(timeout=2, stop_after=1))) == 1
    finally:
        hub.dispose()
