"""Writing back what went out: ``published.yaml`` committed to the registry branch,
merged and retried when the branch moved, and read by sync, apply and export so a
post the registry says is out is never published again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, update

from socialhub.db.models import Delivery, GitSync, Post, Variant
from tests.conftest import CLIResult
from tests.services.gitsync.conftest import Remote, git
from tests.services.gitsync.test_sync import FIRST, sync
from tests.services.manifests.test_manifest_apply import rows
from tests.services.manifests.test_manifest_diff import execute, post_status

Cli = Callable[..., CLIResult]
BLUESKY = "bluesky:@shop.example.com"


def publish_launch(url: str) -> None:
    """Mark spring-launch as published everywhere, as the daemon would have."""
    launch = next(p.id for p in rows(url, Post.__table__.select()) if p.name == "spring-launch")
    for v in rows(url, Variant.__table__.select()):
        if v.post_id == launch:
            execute(url, update(Delivery).where(Delivery.variant_id == v.id).values(
                status="published", remote_id=f"remote-{v.account_id}",
                remote_url=f"https://example.com/p/{v.account_id}"))
    execute(url, update(Post).where(Post.id == launch).values(status="published"))


def forget_everything(url: str) -> None:
    """A new database: no posts, targets, deliveries or sync state."""
    for model in (Delivery, Variant, Post, GitSync):
        execute(url, delete(model))


def registry_on_branch(remote: Remote) -> tuple[dict[str, Any], str]:
    """The published.yaml on the registry branch, and its last commit's author."""
    git(remote.work, "fetch", "--quiet", "origin", "socialhub-published")
    text = git(remote.work, "show", "FETCH_HEAD:calendar/published.yaml")
    author = git(remote.work, "log", "-1", "--format=%an <%ae>", "FETCH_HEAD")
    return yaml.safe_load(text), author


def test_what_went_out_is_written_back_and_never_published_again(
        dbcli: Cli, db_home: str, synced: Remote) -> None:
    synced.commit(FIRST)
    assert sync(dbcli).exit_code == 0
    publish_launch(db_home)
    result = sync(dbcli)
    assert result.exit_code == 0, result.stderr
    assert result.json()["registry"]["status"] == "written"
    registry, author = registry_on_branch(synced)
    assert author == "socialhub <socialhub@localhost>"
    launch = registry["published"]["spring-launch"]
    assert sorted(launch) == [BLUESKY, "mastodon:@shop@social.example"]
    assert launch[BLUESKY]["remote_id"].startswith("remote-")
    assert "extra" not in registry["published"]
    # nothing new went out: the next run writes nothing
    assert sync(dbcli).json()["registry"]["status"] == "up_to_date"
    # the database is lost; a sync from the repository must not send spring-launch again
    forget_everything(db_home)
    again = sync(dbcli)
    assert again.exit_code == 0, again.stderr
    assert post_status(db_home, "spring-launch") == ("published", ["published", "published"])
    assert post_status(db_home, "extra") == ("scheduled", ["scheduled"])
    remote_ids = {d.remote_id for d in rows(db_home, Delivery.__table__.select())}
    assert {launch[a]["remote_id"] for a in launch} <= remote_ids


def test_export_writes_the_registry_and_apply_honours_it(
        dbcli: Cli, db_home: str, synced: Remote, tmp_path: Path) -> None:
    synced.commit(FIRST)
    assert sync(dbcli).exit_code == 0
    publish_launch(db_home)
    out = tmp_path / "exported"
    assert dbcli("export", "-o", str(out)).exit_code == 0
    written = yaml.safe_load((out / "published.yaml").read_text())
    assert sorted(written["published"]) == ["spring-launch"]
    forget_everything(db_home)
    plan = dbcli("diff", "-f", str(out), "--json")
    launch = next(c for c in plan.json()["changes"] if c["name"] == "spring-launch")
    assert {"field": f"targets[{BLUESKY}].delivery", "old": None,
            "new": "published (registry)"} in launch["details"]
    assert dbcli("apply", "-f", str(out)).exit_code == 0
    assert post_status(db_home, "spring-launch") == ("published", ["published", "published"])
    # and a post that is in the registry cannot be changed back into the queue
    assert dbcli("apply", "-f", str(out)).exit_code == 0


def test_a_conflict_on_the_registry_branch_is_merged_and_retried(
        synced: Remote, db_home: str, hub: Any, dbcli: Cli, tmp_path: Path) -> None:
    from socialhub.services.gitsync.writeback import write_back

    synced.commit(FIRST)
    assert sync(dbcli).exit_code == 0
    publish_launch(db_home)
    other = tmp_path / "other-writer"
    git(tmp_path, "clone", "--quiet", synced.url, str(other))

    def competing_push(attempt: int) -> None:
        if attempt != 1:
            return
        git(other, "checkout", "--quiet", "--orphan", "socialhub-published")
        git(other, "rm", "-rf", "--quiet", ".")
        (other / "calendar").mkdir(exist_ok=True)
        (other / "calendar" / "published.yaml").write_text(
            "apiVersion: socialhub/v1\nkind: PublicationRegistry\npublished:\n"
            "  older-post:\n    mastodon:@shop@social.example: {remote_id: '41', url: x}\n")
        git(other, "add", "-A")
        git(other, "commit", "--quiet", "-m", "another daemon")
        git(other, "push", "--quiet", "origin", "socialhub-published")

    result = write_back(hub, before_push=competing_push)
    assert (result.status, result.attempts) == ("written", 2)
    registry, _author = registry_on_branch(synced)
    assert sorted(registry["published"]) == ["older-post", "spring-launch"]
    assert registry["published"]["older-post"]["mastodon:@shop@social.example"][
        "remote_id"] == "41"
    history = git(synced.work, "log", "--format=%s", "FETCH_HEAD").splitlines()
    assert history[1] == "another daemon"  # ours on top, nothing forced
