"""`socialhub apply` wakes running daemons on PostgreSQL when it changes posts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from socialhub.services.publishing import NOTIFY_CHANNEL
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
