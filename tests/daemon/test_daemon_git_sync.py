"""Two real daemon processes syncing one git repository into one PostgreSQL database:
what merges is applied once, by one of them, and named by its commit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from socialhub.db.models import AuditEvent, JobRun, Post
from tests.daemon.test_daemon import DaemonProcess, spawn, spawn_ready
from tests.publishing_kit import wait_for
from tests.services.gitsync.conftest import GIT_ENV, Remote, write_config
from tests.services.gitsync.test_sync import FIRST
from tests.services.manifests.test_manifest_apply import rows

pytestmark = pytest.mark.slow
__all__ = ["spawn"]  # the fixture, used by name


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_daemons_apply_each_merged_commit_once(
        db_home: str, spawn: Callable[..., DaemonProcess], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM"):
        monkeypatch.setenv(key, GIT_ENV[key])
    remote = Remote(tmp_path / "git")
    first = remote.commit(FIRST)
    config = write_config(tmp_path / "config.yaml", remote.url, interval=10)
    daemons = [spawn_ready(spawn, tmp_path, name, SOCIALHUB_CONFIG=str(config),
                           SOCIALHUB_HOME=str(tmp_path / name))  # a data dir each
               for name in ("a", "b")]
    try:
        assert wait_for(lambda: {p.source_commit for p in rows(
            db_home, Post.__table__.select())} == {first}, timeout=30), daemons[0].logs()
        second = remote.commit({"calendar/extra.yaml": None}, "drop extra")
        assert wait_for(lambda: {(p.name, p.status) for p in rows(
            db_home, Post.__table__.select())} == {("extra", "canceled"),
                                                   ("spring-launch", "scheduled")},
            timeout=40), daemons[0].logs()
    finally:
        for d in daemons:
            assert d.stop() == 0
    trail = rows(db_home, AuditEvent.__table__.select())
    created = sorted(a.record_name for a in trail
                     if a.action == "create" and a.record_kind == "Post")
    assert created == ["extra", "spring-launch"]  # once each, not once per daemon
    canceled = [a.change["commit"] for a in trail if a.action == "cancel"]
    assert canceled == [second]
    runs = {r.name: r for r in rows(db_home, JobRun.__table__.select())}
    assert runs["git_sync"].last_status == "ok"
    # both fetched, each into its own cache: the database lock kept them apart
    assert all(any((tmp_path / name).rglob("repo.git")) for name in ("a", "b"))
