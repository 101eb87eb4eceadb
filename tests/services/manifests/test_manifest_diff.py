"""`socialhub diff`, `apply --prune` and `socialhub preview` on SQLite and PostgreSQL:
the plan is exactly what apply does, read-only, and a prune ends only what its own
directory owned."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, update

from socialhub.db.models import AuditEvent, Delivery, Post, Slot, Variant
from socialhub.errors import ExitCode
from tests.conftest import CLIResult
from tests.services.manifests.test_manifest_apply import POST, actions, write

Cli = Callable[..., CLIResult]

EXTRA = """\
apiVersion: socialhub/v1
kind: Post
metadata: {name: extra}
spec:
  body: "One more thing: https://shop.example.com/news"
  targets:
    - account: bluesky:@shop.example.com
      at: 2030-03-05 12:00 Europe/Berlin
      media: [{url: "https://cdn.example.com/a.png", alt: "A shop window"}]
"""


def snapshot(url: str) -> list[Any]:
    """Every row of the tables an apply writes, in a stable order."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [list(conn.execute(select(*model.__table__.c).order_by(model.id)))
                    for model in (Post, Variant, Delivery, Slot, AuditEvent)]
    finally:
        engine.dispose()


def execute(url: str, statement: Any) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(statement)
    finally:
        engine.dispose()


def post_status(url: str, name: str) -> tuple[str, list[str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            status = conn.execute(select(Post.status).where(Post.name == name)).scalar_one()
            deliveries = conn.execute(
                select(Delivery.status).join(Variant).join(Post)
                .where(Post.name == name)).scalars()
            return status, sorted(deliveries)
    finally:
        engine.dispose()


def test_diff_lists_what_apply_would_do_and_writes_nothing(
        dbcli: Cli, db_home: str, tmp_path: Path) -> None:
    files = write(tmp_path / "cal")
    assert dbcli("apply", "-f", str(files)).exit_code == 0
    (files / "extra.yaml").write_text(EXTRA)
    write(files, bluesky_at="2030-03-02 11:30 Europe/Berlin")
    before = snapshot(db_home)
    result = dbcli("diff", "-f", str(files), "--json")
    assert result.exit_code == ExitCode.CHANGES, result.stderr
    assert snapshot(db_home) == before  # read-only
    planned = actions(result)
    assert planned["Post/extra"] == "created"
    assert planned["Post/spring-launch"] == "rescheduled"
    moved = next(c for c in result.json()["changes"] if c["name"] == "spring-launch")
    assert moved["details"] == [{
        "field": "targets[bluesky:@shop.example.com].at",
        "old": "2030-03-01T09:00 Europe/Berlin", "new": "2030-03-02T11:30 Europe/Berlin"}]
    # apply = plan + execute: the same actions, record by record
    applied = dbcli("apply", "-f", str(files), "--json")
    assert actions(applied) == planned
    again = dbcli("diff", "-f", str(files))
    assert again.exit_code == 0, again.stderr
    assert "no changes" in again.stderr


def test_diff_shows_changed_text_with_each_platforms_counted_length(
        dbcli: Cli, tmp_path: Path) -> None:
    files = write(tmp_path / "cal")
    assert dbcli("apply", "-f", str(files)).exit_code == 0
    (files / "posts.yaml").write_text(POST.format(
        bluesky_at="2030-03-01T09:00:00 Europe/Berlin").replace(
        "Mastodon gets its own words.", "Mastodon gets new words: https://example.com/x"))
    result = dbcli("diff", "-f", str(files))
    assert result.exit_code == ExitCode.CHANGES
    assert "~ post/spring-launch changed" in result.stdout
    line = next(x for x in result.stdout.splitlines() if ".text:" in x)
    assert '"Mastodon gets its own words." → "Mastodon gets new words: https://example.com/x"' \
        in line
    # Mastodon counts every URL as 23 characters: 25 + 23
    assert "[mastodon: 48/500 graphemes]" in line


def test_diff_refuses_bad_manifests_like_apply(dbcli: Cli, tmp_path: Path) -> None:
    files = write(tmp_path / "cal")
    (files / "broken.yaml").write_text("apiVersion: socialhub/v1\nkind: Post\n"
                                       "metadata: {name: broken}\nspec: {bodyy: x}\n")
    result = dbcli("diff", "-f", str(files))
    assert result.exit_code == ExitCode.VALIDATION
    assert "broken.yaml:4:" in result.stderr


def test_prune_cancels_unpublished_posts_and_removes_slots_it_owns(
        dbcli: Cli, db_home: str, tmp_path: Path) -> None:
    files = write(tmp_path / "cal")
    (files / "extra.yaml").write_text(EXTRA)
    assert dbcli("apply", "-f", str(files), "--source", "calendar").exit_code == 0
    other = tmp_path / "other"
    other.mkdir()
    (other / "p.yaml").write_text(EXTRA.replace("name: extra", "name: not-mine"))
    assert dbcli("apply", "-f", str(other), "--source", "elsewhere").exit_code == 0
    (files / "extra.yaml").unlink()
    (files / "accounts.yaml").write_text(
        (files / "accounts.yaml").read_text().split("---\napiVersion: socialhub/v1\nkind: Slot")[0])
    before = snapshot(db_home)
    plan = dbcli("diff", "-f", str(files), "--source", "calendar", "--prune", "--json")
    assert plan.exit_code == ExitCode.CHANGES, plan.stderr
    assert snapshot(db_home) == before
    planned = actions(plan)
    assert planned["Post/extra"] == "canceled"
    assert planned["Slot/bluesky:@shop.example.com/mon/09:00"] == "removed"
    assert "Post/not-mine" not in planned
    # without --prune nothing is removed from the calendar
    assert "Post/extra" not in actions(dbcli("diff", "-f", str(files), "--source", "calendar",
                                             "--json"))
    result = dbcli("apply", "-f", str(files), "--source", "calendar", "--prune", "--json")
    assert result.exit_code == 0, result.stderr
    assert actions(result) == planned
    assert post_status(db_home, "extra") == ("canceled", ["canceled"])
    assert post_status(db_home, "not-mine") == ("scheduled", ["scheduled"])
    assert post_status(db_home, "spring-launch")[0] == "scheduled"
    assert snapshot(db_home)[3] == []  # the slot is gone
    # idempotent: a second prune has nothing left to do
    assert dbcli("diff", "-f", str(files), "--source", "calendar", "--prune").exit_code == 0


def test_prune_keeps_a_published_post_with_a_warning(
        dbcli: Cli, db_home: str, tmp_path: Path) -> None:
    files = write(tmp_path / "cal")
    (files / "extra.yaml").write_text(EXTRA)
    assert dbcli("apply", "-f", str(files)).exit_code == 0
    execute(db_home, update(Delivery).values(status="published"))
    execute(db_home, update(Post).where(Post.name == "extra").values(status="published"))
    (files / "extra.yaml").unlink()
    result = dbcli("apply", "-f", str(files), "--prune", "--json")
    assert result.exit_code == 0, result.stderr
    assert actions(result)["Post/extra"] == "kept"
    assert "was already published; it stays published" in result.stderr
    assert post_status(db_home, "extra") == ("published", ["published"])


def test_prune_needs_to_know_the_owner(dbcli: Cli, tmp_path: Path) -> None:
    files = write(tmp_path / "cal")
    result = dbcli("apply", "-f", str(files / "posts.yaml"), "-f", str(files / "accounts.yaml"),
                   "--prune")
    assert result.exit_code == ExitCode.VALIDATION
    assert "--source" in result.stderr


def test_preview_renders_each_target_for_review(dbcli: Cli, db_home: str,
                                                tmp_path: Path) -> None:
    files = write(tmp_path / "cal")
    assert dbcli("apply", "-f", str(files)).exit_code == 0
    (files / "extra.yaml").write_text(EXTRA.replace("One more thing", "<b>One</b> more thing"))
    before = snapshot(db_home)
    result = dbcli("preview", "-f", str(files), "--changed-only")
    assert result.exit_code == 0, result.stderr
    assert snapshot(db_home) == before
    md = result.stdout
    assert "### `post/extra` — created" in md
    assert "spring-launch" not in md  # unchanged, left out
    assert "Tue 2030-03-05 12:00 Europe/Berlin" in md
    assert "/300 graphemes" in md
    assert "alt: A shop window" in md
    assert "link card: <https://shop.example.com/news>" in md
    everything = dbcli("preview", "-f", str(files)).stdout
    assert "### `post/spring-launch` — unchanged" in everything
    html = dbcli("preview", "-f", str(files), "--format", "html").stdout
    assert "&lt;b&gt;One&lt;/b&gt; more thing" in html and "<b>One</b>" not in html
    bad = dbcli("preview", "-f", str(files), "--format", "pdf")
    assert bad.exit_code == ExitCode.VALIDATION


def test_a_pruned_post_put_back_unchanged_says_it_stays_canceled(
        dbcli: Cli, db_home: str, tmp_path: Path) -> None:
    files = write(tmp_path / "cal")
    (files / "extra.yaml").write_text(EXTRA)
    assert dbcli("apply", "-f", str(files)).exit_code == 0
    (files / "extra.yaml").unlink()
    assert dbcli("apply", "-f", str(files), "--prune").exit_code == 0
    (files / "extra.yaml").write_text(EXTRA)  # a revert of the deletion
    result = dbcli("diff", "-f", str(files), "--prune")
    assert result.exit_code == 0
    assert "post extra is in the manifests but was canceled; it stays canceled" in result.stderr
    assert post_status(db_home, "extra") == ("canceled", ["canceled"])
