"""A PostgreSQL outage under a running daemon: a few log lines, a visible state, a clean recovery.

The daemon runs as a real process against its own throwaway cluster (the
session's shared cluster must stay up for other tests); the cluster is
stopped under it, kept down past the first reminder, and started again.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import run_cli
from tests.pgcluster import PostgresCluster, find_pg_bin, free_port

TOKEN = "outage-test-token-7d3f9b1c2e"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def own_cluster() -> Iterator[PostgresCluster]:
    bin_dir = find_pg_bin()
    if bin_dir is None:
        if os.environ.get("SOCIALHUB_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL binaries not found (SOCIALHUB_REQUIRE_POSTGRES=1)")
        pytest.skip("PostgreSQL binaries not found: PostgreSQL tests NOT RUN")
    cluster = PostgresCluster(bin_dir)
    cluster.start()
    yield cluster
    cluster.stop()


def _pg_ctl(cluster: PostgresCluster, *args: str) -> None:
    cluster._run(str(cluster.bin_dir / "pg_ctl"), "-D", str(cluster.data), *args)


def _records(log: Path) -> list[dict[str, Any]]:
    out = []
    for line in log.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            out.append({"level": "raw", "message": line})
    return out


def _wait(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
@pytest.mark.postgres
def test_a_database_outage_logs_a_few_lines_shows_in_status_and_recovers(
        own_cluster: PostgresCluster, home: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import create_engine

    from socialhub.db.migrate import upgrade

    url = own_cluster.url()
    engine = create_engine(url)
    upgrade(engine, backup=False)
    engine.dispose()
    port = free_port()
    monkeypatch.setenv("SOCIALHUB_DATABASE_URL", url)
    monkeypatch.setenv("SOCIALHUB_DAEMON_HTTP_PORT", str(port))
    monkeypatch.setenv("SOCIALHUB_DAEMON_HTTP_TOKEN", TOKEN)
    env = dict(os.environ, SOCIALHUB_DAEMON_POLL_INTERVAL_S="1", SOCIALHUB_LOGGING_FORMAT="json")
    log = tmp_path / "daemon.log"
    proc = subprocess.Popen([sys.executable, "-m", "socialhub", "daemon", "run"], env=env,
                            stdout=subprocess.DEVNULL, stderr=log.open("w"))
    health = f"http://127.0.0.1:{port}/healthz"
    try:
        assert _wait(lambda: "daemon ready" in log.read_text(), 30), log.read_text()
        before = len(_records(log))

        _pg_ctl(own_cluster, "-m", "fast", "-w", "stop")
        down_at = time.monotonic()
        assert _wait(lambda: "database unreachable" in log.read_text(), 10), log.read_text()
        shown = httpx.get(health, headers=AUTH, timeout=5)
        assert shown.status_code == 503
        assert shown.json()["database"].startswith("unreachable since ")
        assert httpx.get(health, timeout=5).json() == {"status": "degraded"}  # no token: no more
        status = run_cli("daemon", "status")
        assert status.exit_code == 7, status.stderr
        assert "database: unreachable" in status.stdout
        assert "daemon on 127.0.0.1" in status.stdout and "unreachable since" in status.stdout
        time.sleep(max(0.0, 12.5 - (time.monotonic() - down_at)))  # past the 10 s reminder

        _pg_ctl(own_cluster, "-o", (f"-p {own_cluster.port} -k {own_cluster.root} "
                                    "-c listen_addresses=127.0.0.1 -c fsync=off"),
                "-l", str(own_cluster.root / "log"), "-w", "start")
        assert _wait(lambda: "database reachable again" in log.read_text(), 15), log.read_text()
        assert _wait(lambda: httpx.get(health, headers=AUTH, timeout=5).status_code == 200, 10)
        assert httpx.get(health, headers=AUTH, timeout=5).json()["database"] == "ok"
        assert run_cli("daemon", "status", "--json").json()["scheduler"] == "running"
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
    assert code == 0
    during = _records(log)[before:]
    messages = [r["message"] for r in during if r["message"] not in (
        "received SIGTERM", "stopping: draining 0 in-flight sends", "daemon stopped")]
    # One line when it went, one reminder at 10 s, one when it came back; the listener may
    # add its own one line each way. No tracebacks, no per-poll warnings.
    assert len(messages) <= 6, "\n".join(messages)
    assert sum(m.startswith("database unreachable") for m in messages) == 1, messages
    assert sum(m.startswith("database still unreachable") for m in messages) == 1, messages
    assert sum(m.startswith("database reachable again") for m in messages) == 1, messages
    assert not any("exc_info" in r or "traceback" in r for r in during)
    assert "Traceback" not in log.read_text()
    assert TOKEN not in log.read_text()


def test_reminders_slow_down_and_passwords_never_show(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from sqlalchemy.exc import OperationalError

    from socialhub.services.ops.db_watch import DatabaseWatch

    clock = [0.0]
    watch = DatabaseWatch(logging.getLogger("outage-test"), monotonic=lambda: clock[0])
    exc = OperationalError("connect", {}, Exception(
        "connection to postgresql+psycopg://app:hunter2-pw@db.example:5432/sh refused"))
    assert not watch.failed(ValueError("a bug, not an outage"))
    with caplog.at_level(logging.INFO, logger="outage-test"):
        for second in range(0, 700):
            clock[0] = float(second)
            assert watch.failed(exc)
        assert watch.state().startswith("unreachable since ")
        watch.ok()
        watch.ok()
    lines = [r.getMessage() for r in caplog.records]
    assert [line.split(":")[0] for line in lines] == [
        "database unreachable", "database still unreachable after 10 s",
        "database still unreachable after 30 s", "database still unreachable after 60 s",
        "database still unreachable after 360 s", "database still unreachable after 660 s",
        "database reachable again after 699 s"]
    assert "hunter2" not in caplog.text and "app:***@db.example" in lines[0]
    assert watch.state() == "ok"
