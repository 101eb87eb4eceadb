"""Re-applying unchanged manifests skips them unparsed, and never hides a real difference
(SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, update

from socialhub.db.models import ManifestDigest, Post, Variant
from tests.conftest import CLIResult

Cli = Callable[..., CLIResult]

ACCOUNTS = """\
apiVersion: socialhub/v1
kind: Account
metadata: {name: "bluesky:@shop.example.com"}
---
apiVersion: socialhub/v1
kind: Account
metadata: {name: "mastodon:@shop@social.example"}
"""

POST = """\
apiVersion: socialhub/v1
kind: Post
metadata: {{name: {name}}}
spec:
  body: "{body}"
  targets:
    - account: bluesky:@shop.example.com
      at: 2030-03-0{day} 09:00 Europe/Berlin
"""


def write(root: Path, names: tuple[str, ...] = ("one", "two", "three")) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "accounts.yaml").write_text(ACCOUNTS)
    for day, name in enumerate(names, 1):
        (root / f"{name}.yaml").write_text(POST.format(name=name, body=f"Post {name}", day=day))
    return root


def actions(result: CLIResult) -> dict[str, str]:
    assert result.exit_code == 0, result.stderr
    data: Any = result.json()
    return {f"{c['kind']}/{c['name']}": c["action"] for c in data["changes"]}


def execute(url: str, statement: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(statement)
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


def test_reapplying_unchanged_files_skips_them_and_reports_unchanged(
        dbcli: Cli, db_home: str, tmp_path: Path, parsed: list[str]) -> None:
    files = write(tmp_path / "m")
    assert set(actions(dbcli("apply", "-f", str(files), "--json")).values()) == {"created"}
    assert len(execute(db_home, select(ManifestDigest.name))) == 3
    parsed.clear()
    again = actions(dbcli("apply", "-f", str(files), "--json"))
    assert again == {"Account/bluesky:@shop.example.com": "unchanged",
                     "Account/mastodon:@shop@social.example": "unchanged",
                     "Post/one": "unchanged", "Post/two": "unchanged", "Post/three": "unchanged"}
    assert parsed == ["accounts.yaml"]  # the post files were neither parsed nor planned
    summary = dbcli("apply", "-f", str(files))
    assert "nothing to change" in summary.stderr
    # `diff` plans every file and agrees
    assert set(actions(dbcli("diff", "-f", str(files), "--json")).values()) == {"unchanged"}


def test_editing_one_file_applies_just_it(dbcli: Cli, db_home: str, tmp_path: Path,
                                          parsed: list[str]) -> None:
    files = write(tmp_path / "m")
    actions(dbcli("apply", "-f", str(files), "--json"))
    (files / "two.yaml").write_text(POST.format(name="two", body="Edited", day=2))
    parsed.clear()
    again = actions(dbcli("apply", "-f", str(files), "--json"))
    assert list(again)[2:] == ["Post/one", "Post/three", "Post/two"]  # in the files' order
    assert sorted(parsed) == ["accounts.yaml", "two.yaml"]
    assert again["Post/two"] == "changed"
    assert again["Post/one"] == again["Post/three"] == "unchanged"
    assert execute(db_home, select(Post.body).where(Post.name == "two")) == [("Edited",)]
    parsed.clear()
    assert set(actions(dbcli("apply", "-f", str(files), "--json")).values()) == {"unchanged"}
    assert parsed == ["accounts.yaml"]


@pytest.mark.parametrize("edit", [
    update(Post).where(Post.name == "one").values(body="edited in the TUI"),
    update(Variant).where(Variant.post_id == select(Post.id).where(Post.name == "one")
                          .scalar_subquery()).values(text="a variant edited in the TUI"),
])
def test_a_post_changed_in_the_database_since_the_apply_is_planned_again(
        dbcli: Cli, db_home: str, tmp_path: Path, parsed: list[str], edit: Any) -> None:
    files = write(tmp_path / "m")
    actions(dbcli("apply", "-f", str(files), "--json"))
    execute(db_home, edit)
    parsed.clear()
    again = actions(dbcli("apply", "-f", str(files), "--json"))
    assert "one.yaml" in parsed and "two.yaml" not in parsed
    assert again["Post/one"] == "changed"
    assert again["Post/two"] == "unchanged"
    assert execute(db_home, select(Post.body).where(Post.name == "one")) == [("Post one",)]
    assert execute(db_home, select(Variant.text).join(Post).where(Post.name == "one")) == [
        ("Post one",)]


def test_a_changed_account_set_plans_every_file_again(
        dbcli: Cli, db_home: str, tmp_path: Path, parsed: list[str]) -> None:
    files = write(tmp_path / "m")
    actions(dbcli("apply", "-f", str(files), "--json"))
    (files / "accounts.yaml").write_text(
        ACCOUNTS + "---\napiVersion: socialhub/v1\nkind: Account\n"
        "metadata: {name: \"x:@shop\"}\n")
    parsed.clear()
    again = actions(dbcli("apply", "-f", str(files), "--json"))
    assert again["Account/x:@shop"] == "created"
    assert set(parsed) == {"accounts.yaml", "one.yaml", "three.yaml", "two.yaml"}
    parsed.clear()
    assert set(actions(dbcli("apply", "-f", str(files), "--json")).values()) == {"unchanged"}
    assert parsed == ["accounts.yaml"]  # recorded again against the new account set


def test_prune_still_cancels_what_the_directory_no_longer_lists(
        dbcli: Cli, db_home: str, tmp_path: Path, parsed: list[str]) -> None:
    files = write(tmp_path / "cal")
    actions(dbcli("apply", "-f", str(files), "--source", "calendar", "--json"))
    (files / "three.yaml").unlink()
    parsed.clear()
    pruned = actions(dbcli("apply", "-f", str(files), "--source", "calendar", "--prune",
                           "--json"))
    assert parsed == ["accounts.yaml"]
    assert pruned["Post/three"] == "canceled"
    assert pruned["Post/one"] == pruned["Post/two"] == "unchanged"
    statuses = dict(execute(db_home, select(Post.name, Post.status)))
    assert statuses == {"one": "scheduled", "two": "scheduled", "three": "canceled"}


def test_another_source_or_a_post_defined_twice_is_never_skipped(
        dbcli: Cli, db_home: str, tmp_path: Path, parsed: list[str]) -> None:
    files = write(tmp_path / "cal")
    actions(dbcli("apply", "-f", str(files), "--source", "calendar", "--json"))
    parsed.clear()
    moved = actions(dbcli("apply", "-f", str(files), "--source", "elsewhere", "--json"))
    assert moved["Post/one"] == "changed"  # relabelled to the other directory
    assert "one.yaml" in parsed
    (files / "copy.yaml").write_text(POST.format(name="one", body="Post one", day=1))
    result = dbcli("apply", "-f", str(files), "--source", "elsewhere")
    assert result.exit_code != 0
    assert "defined twice" in result.stderr


def test_only_who_manages_accounts_adds_one_by_applying_files(ctx: Any) -> None:
    from datetime import UTC, datetime

    from socialhub.db.models import Account
    from socialhub.errors import PermissionDeniedError
    from socialhub.services.manifests.apply import apply_sources
    from tests.conftest import ctx_as

    files = [("accounts.yaml", ACCOUNTS)]
    now = datetime.now(UTC)
    with pytest.raises(PermissionDeniedError):
        apply_sources(ctx_as(ctx, "editor"), files, now=now)
    assert ctx.session.scalars(select(Account.handle)).all() == []
    made = apply_sources(ctx, files, now=now)  # the owner may
    assert {(c.kind, c.action) for c in made} == {("Account", "created")}
