"""`socialhub sync git run` against a real bare repository, on SQLite and PostgreSQL:
apply with prune in one transaction, the commit named on every record and audit row,
and every fault (broken manifest, force-push, unreachable remote, two syncs at once)
leaving the database whole, with one alert per problem."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from socialhub.db.models import AuditEvent, Delivery, Post, Variant
from socialhub.errors import ExitCode
from socialhub.services.events import Event
from tests.conftest import CLIResult
from tests.services.gitsync.conftest import Remote, write_config
from tests.services.manifests.test_manifest_apply import ACCOUNTS, POST, rows
from tests.services.manifests.test_manifest_diff import EXTRA, execute, post_status, snapshot

Cli = Callable[..., CLIResult]

FIRST = {"calendar/accounts.yaml": ACCOUNTS,
         "calendar/posts.yaml": POST.format(bluesky_at="2030-03-01T09:00:00 Europe/Berlin"),
         "calendar/extra.yaml": EXTRA, "README.md": "our calendar\n"}


def sync(dbcli: Cli) -> CLIResult:
    return dbcli("sync", "git", "run", "--json")


def test_sync_applies_the_branch_and_names_the_commit_everywhere(
        dbcli: Cli, db_home: str, synced: Remote) -> None:
    commit = synced.commit(FIRST, "first calendar")
    result = sync(dbcli)
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert (data["status"], data["commit"]) == ("applied", commit)
    assert data["summary"]["created"] == 7
    posts = rows(db_home, Post.__table__.select().order_by(Post.name))
    assert {(p.name, p.source_commit) for p in posts} == {("extra", commit),
                                                          ("spring-launch", commit)}
    assert all(p.source == f"git:{synced.url}#main:calendar" for p in posts)
    trail = rows(db_home, AuditEvent.__table__.select())
    assert trail and all(a.change.get("commit") == commit for a in trail)
    # the same commit again: nothing to do, nothing written
    before = snapshot(db_home)
    again = sync(dbcli)
    assert again.json()["status"] == "up_to_date"
    assert snapshot(db_home) == before
    assert "up to date" in dbcli("sync", "git", "run").stderr


def test_a_sync_plans_only_the_files_the_commit_changed(
        dbcli: Cli, db_home: str, synced: Remote, parsed: list[str]) -> None:
    synced.commit(FIRST)
    assert sync(dbcli).exit_code == 0
    parsed.clear()
    commit = synced.commit({"calendar/extra.yaml": EXTRA.replace("One more thing",
                                                                 "Two more things")})
    result = sync(dbcli)
    assert result.exit_code == 0, result.stderr
    changes = {(c["kind"], c["name"]): c["action"] for c in result.json()["changes"]}
    assert changes[("Post", "extra")] == "changed"
    assert changes[("Post", "spring-launch")] == "unchanged"
    assert "posts.yaml" not in parsed and "extra.yaml" in parsed  # unchanged: not parsed
    posts = {p.name: p for p in rows(db_home, Post.__table__.select())}
    assert posts["extra"].body.startswith("Two more things")
    assert posts["extra"].source_commit == commit


def test_a_merge_that_deletes_a_post_cancels_its_delivery(
        dbcli: Cli, db_home: str, synced: Remote) -> None:
    synced.commit(FIRST)
    assert sync(dbcli).exit_code == 0
    commit = synced.commit({"calendar/extra.yaml": None}, "drop extra")
    result = sync(dbcli)
    assert result.exit_code == 0, result.stderr
    changes = {(c["kind"], c["name"]): c["action"] for c in result.json()["changes"]}
    assert changes[("Post", "extra")] == "canceled"
    assert post_status(db_home, "extra") == ("canceled", ["canceled"])
    assert post_status(db_home, "spring-launch")[0] == "scheduled"
    canceled = [a for a in rows(db_home, AuditEvent.__table__.select())
                if a.action == "cancel"]
    assert [(a.record_name, a.change["commit"], a.change["pruned"]) for a in canceled] == [
        ("extra", commit, True)]


def test_a_broken_merge_changes_nothing_and_alerts_once(
        dbcli: Cli, db_home: str, synced: Remote, alerts: list[Event]) -> None:
    synced.commit(FIRST)
    assert sync(dbcli).exit_code == 0
    before = snapshot(db_home)
    broken = synced.commit({
        "calendar/extra.yaml": None,  # a prune that must not happen either
        "calendar/posts.yaml": POST.format(bluesky_at="2030-03-01T09:00:00 Europe/Berlin")
        .replace("voice: friendly", "voice: friendly\n  colour: red")}, "broken")
    result = sync(dbcli)
    assert result.exit_code == ExitCode.VALIDATION
    assert "calendar/posts.yaml:" in result.stderr and "unknown field" in result.stderr
    assert snapshot(db_home) == before
    assert [(e.subject, e.data["commit"]) for e in alerts] == [
        (f"git:{synced.url}#main:calendar", broken)]
    # the next attempt at the same commit: still nothing changed, no second alert
    assert sync(dbcli).exit_code == ExitCode.VALIDATION
    assert len(alerts) == 1
    assert snapshot(db_home) == before
    status = dbcli("sync", "git", "status", "--json").json()
    assert status[0]["status"] == "failed" and "problem" in status[0]["error"]
    # fixing it applies, and a new failure alerts again
    synced.commit({"calendar/posts.yaml": FIRST["calendar/posts.yaml"]}, "fix")
    assert sync(dbcli).exit_code == 0
    assert post_status(db_home, "extra")[0] == "canceled"


def test_a_force_push_is_planned_from_the_new_tree_and_publishes_nothing_twice(
        dbcli: Cli, db_home: str, synced: Remote) -> None:
    root = synced.commit({k: v for k, v in FIRST.items() if k != "calendar/extra.yaml"})
    synced.commit({"calendar/extra.yaml": EXTRA}, "add extra")
    assert sync(dbcli).exit_code == 0
    # spring-launch goes out; then history is rewritten without extra, spring-launch gone
    launch = _post_id(db_home, "spring-launch")
    targets = [v.id for v in rows(db_home, Variant.__table__.select()) if v.post_id == launch]
    execute(db_home, update(Delivery).where(Delivery.variant_id.in_(targets))
            .values(status="published", remote_id="at://x/1"))
    execute(db_home, update(Post).where(Post.name == "spring-launch")
            .values(status="published"))
    deliveries_before = len(rows(db_home, Delivery.__table__.select()))
    rewritten = synced.force_push(root, {"calendar/posts.yaml": None,
                                         "calendar/other.yaml": EXTRA.replace(
                                             "name: extra", "name: other")})
    result = sync(dbcli)
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert data["commit"] == rewritten
    changes = {c["name"]: c["action"] for c in data["changes"] if c["kind"] == "Post"}
    assert changes == {"other": "created", "extra": "canceled", "spring-launch": "kept"}
    assert "stays published" in result.stderr
    assert post_status(db_home, "spring-launch") == ("published", ["published", "published"])
    # one new delivery (other's); none for what already went out
    assert len(rows(db_home, Delivery.__table__.select())) == deliveries_before + 1


def _post_id(url: str, name: str) -> int:
    return int(next(p.id for p in rows(url, Post.__table__.select()) if p.name == name))


def test_an_unreachable_remote_alerts_once_and_changes_nothing(
        dbcli: Cli, db_home: str, tmp_path: Path, alerts: list[Event],
        monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nowhere.git"
    monkeypatch.setenv("SOCIALHUB_CONFIG", str(write_config(tmp_path / "c.yaml",
                                                            str(missing))))
    before = snapshot(db_home)
    first = sync(dbcli)
    assert first.exit_code == ExitCode.GIT
    assert "git fetch failed" in first.json()["error"]
    assert sync(dbcli).exit_code == ExitCode.GIT
    assert len(alerts) == 1 and "git fetch failed" in alerts[0].data["error"]
    assert snapshot(db_home)[:4] == before[:4]  # no post, target, delivery or slot


def test_an_unsigned_commit_is_refused_when_signatures_are_required(
        dbcli: Cli, db_home: str, remote: Remote, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIALHUB_CONFIG", str(write_config(
        tmp_path / "c.yaml", remote.url, require_signed=True)))
    commit = remote.commit(FIRST)
    result = sync(dbcli)
    assert result.exit_code == ExitCode.GIT
    assert f"commit {commit[:12]} has no trusted signature" in result.json()["error"]
    assert snapshot(db_home)[0] == []


def test_credentials_are_references_never_text(tmp_path: Path, cli: Cli,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("sync:\n  git:\n    url: https://example.com/c.git\n"
                   "    credentials: ghp_secret123\n")
    monkeypatch.setenv("SOCIALHUB_CONFIG", str(cfg))
    result = cli("sync", "git", "run")
    assert result.exit_code == ExitCode.CONFIG
    assert "reference" in result.stderr and "ghp_secret123" not in result.stderr
    cfg.write_text("sync:\n  git:\n    url: https://me:hunter2@example.com/c.git\n")
    result = cli("sync", "git", "run")
    assert result.exit_code == ExitCode.CONFIG and "hunter2" not in result.stderr


def test_two_syncs_of_one_repository_apply_it_once(
        db_home: str, synced: Remote, tmp_path: Path) -> None:
    from socialhub.services.gitsync.sync import sync_git
    from socialhub.services.hub import Hub
    from socialhub.services.settings import load_config

    synced.commit(FIRST)
    # two daemons on two machines: separate data directories (caches), one database
    hubs = [Hub(load_config(env={**os.environ, "SOCIALHUB_HOME": str(tmp_path / f"m{i}")}))
            for i in range(2)]
    results: list[Any] = []
    barrier = threading.Barrier(2)

    def run(hub: Hub) -> None:
        barrier.wait()
        results.append(sync_git(hub, channel="daemon"))
    threads = [threading.Thread(target=run, args=(h,)) for h in hubs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for h in hubs:
        h.dispose()
    assert sorted(r.status for r in results) == ["applied", "up_to_date"]
    created = [a for a in rows(db_home, AuditEvent.__table__.select())
               if a.action == "create" and a.record_kind == "Post"]
    assert sorted(a.record_name for a in created) == ["extra", "spring-launch"]
    assert len(rows(db_home, Delivery.__table__.select())) == 3


def test_the_daemon_job_applies_once_and_wakes_the_publisher(
        synced: Remote, db_home: str, hub: Any) -> None:  # the config first, then the hub
    from socialhub.daemon import jobs

    commit = synced.commit(FIRST)
    woken: list[bool] = []
    assert jobs.git_sync(hub, lambda: woken.append(True)) == {
        "status": "applied", "commit": commit, "error": None, "changes": 7,
        "registry": "up_to_date", "registry_commit": None, "registry_error": None}
    assert jobs.git_sync(hub, lambda: woken.append(True))["status"] == "up_to_date"
    assert woken == [True]
    assert {p.source_commit for p in rows(db_home, Post.__table__.select())} == {commit}
