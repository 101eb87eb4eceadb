"""`socialhub apply` on SQLite and PostgreSQL: idempotent, all-or-nothing, located errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, update

from socialhub.db.models import Delivery, Post, Variant, VoiceProfile
from tests.conftest import CLIResult

Cli = Callable[..., CLIResult]

ACCOUNTS = """\
apiVersion: socialhub/v1
kind: Account
metadata: {name: "bluesky:@shop.example.com"}
spec:
  display_name: The Shop
  credentials: {app_password: "env:SHOP_BSKY_PASSWORD"}
---
apiVersion: socialhub/v1
kind: Account
metadata: {name: "mastodon:@shop@social.example"}
---
apiVersion: socialhub/v1
kind: VoiceProfile
metadata: {name: friendly}
spec: {default: true, tone: [warm, direct], formality: 3}
---
apiVersion: socialhub/v1
kind: Campaign
metadata: {name: spring}
spec: {starts_on: 2030-03-01, ends_on: 2030-04-30, budget: 900.5, currency: eur}
---
apiVersion: socialhub/v1
kind: Slot
spec: {account: "bluesky:@shop.example.com", day: mon, time: "09:00", zone: Europe/Berlin}
"""

POST = """\
apiVersion: socialhub/v1
kind: Post
metadata: {{name: spring-launch, campaign: spring}}
spec:
  body: |
    We ship on Monday.
    Come and see!
  voice: friendly
  tags: [launch]
  targets:
    - account: bluesky:@shop.example.com
      at: {bluesky_at}
    - account: mastodon:@shop@social.example
      text: "Mastodon gets its own words."
      at: 2030-03-01 10:00 Europe/Berlin
"""


def write(root: Path, bluesky_at: str = "2030-03-01T09:00:00 Europe/Berlin") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "accounts.yaml").write_text(ACCOUNTS)
    (root / "posts.yaml").write_text(POST.format(bluesky_at=bluesky_at))
    return root


def actions(result: CLIResult) -> dict[str, str]:
    data: Any = result.json()
    return {f"{c['kind']}/{c['name']}": c["action"] for c in data["changes"]}


def rows(url: str, query: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(query))
    finally:
        engine.dispose()


def counts(url: str) -> tuple[int, ...]:
    return tuple(rows(url, select(func.count()).select_from(t))[0][0]
                 for t in (Post, Variant, Delivery, VoiceProfile))


def test_first_apply_creates_and_second_apply_changes_nothing(
        dbcli: Cli, db_home: str, tmp_path: Path) -> None:
    files = write(tmp_path / "m")
    first = dbcli("apply", "-f", str(files), "--json")
    assert first.exit_code == 0, first.stderr
    assert set(actions(first).values()) == {"created"}
    assert len(actions(first)) == 6
    second = dbcli("apply", "-f", str(files), "-v")
    assert second.exit_code == 0, second.stderr
    assert second.stdout.count(" unchanged") == 6
    assert "nothing to change" in second.stderr


def test_post_with_times_is_scheduled_with_one_delivery_per_target(
        dbcli: Cli, db_home: str, tmp_path: Path) -> None:
    assert dbcli("apply", "-f", str(write(tmp_path / "m"))).exit_code == 0
    assert rows(db_home, select(Post.status))[0][0] == "scheduled"
    due = sorted(r[0].replace(tzinfo=None).isoformat() for r in rows(
        db_home, select(Delivery.due_at).where(Delivery.status == "scheduled")))
    assert due == ["2030-03-01T08:00:00", "2030-03-01T09:00:00"]  # Berlin is UTC+1 in March


def test_dry_run_prints_the_plan_and_writes_nothing(dbcli: Cli, db_home: str,
                                                    tmp_path: Path) -> None:
    result = dbcli("apply", "-f", str(write(tmp_path / "m")), "--dry-run", "--verbose")
    assert result.exit_code == 0, result.stderr
    assert "post/spring-launch created (dry run)" in result.stdout
    assert counts(db_home) == (0, 0, 0, 0)


def test_changed_time_moves_the_delivery(dbcli: Cli, db_home: str, tmp_path: Path) -> None:
    files = write(tmp_path / "m")
    assert dbcli("apply", "-f", str(files)).exit_code == 0
    write(files, bluesky_at="2030-03-02 11:30 Europe/Berlin")
    result = dbcli("apply", "-f", str(files), "--json")
    assert result.exit_code == 0, result.stderr
    assert actions(result)["Post/spring-launch"] == "rescheduled"
    live = rows(db_home, select(Delivery.due_at).where(Delivery.status == "scheduled"))
    assert sorted(r[0].replace(tzinfo=None).isoformat() for r in live) == [
        "2030-03-01T09:00:00", "2030-03-02T10:30:00"]
    assert dbcli("apply", "-f", str(files), "-v").stdout.count("unchanged") == 6


def test_time_left_out_unschedules_the_target(dbcli: Cli, db_home: str, tmp_path: Path) -> None:
    files = write(tmp_path / "m")
    assert dbcli("apply", "-f", str(files)).exit_code == 0
    text = (files / "posts.yaml").read_text()
    mastodon_time = "      at: 2030-03-01 10:00 Europe/Berlin\n"
    (files / "posts.yaml").write_text(text.replace(mastodon_time, ""))
    assert dbcli("apply", "-f", str(files)).exit_code == 0
    statuses = sorted(r[0] for r in rows(db_home, select(Delivery.status)))
    assert statuses == ["canceled", "scheduled"]
    assert rows(db_home, select(Post.status))[0][0] == "scheduled"


def test_target_left_out_of_the_manifest_is_removed(dbcli: Cli, db_home: str,
                                                    tmp_path: Path) -> None:
    files = write(tmp_path / "m")
    assert dbcli("apply", "-f", str(files)).exit_code == 0
    text = (files / "posts.yaml").read_text()
    (files / "posts.yaml").write_text(text.split("    - account: mastodon")[0])
    result = dbcli("apply", "-f", str(files), "-v")
    assert result.exit_code == 0, result.stderr
    assert "post/spring-launch changed (targets[mastodon:@shop@social.example] removed)" \
        in result.stdout
    assert counts(db_home)[:3] == (1, 1, 1)


def test_removing_a_target_that_went_out_is_refused(dbcli: Cli, db_home: str,
                                                    tmp_path: Path) -> None:
    files = write(tmp_path / "m")
    assert dbcli("apply", "-f", str(files)).exit_code == 0
    engine = create_engine(db_home)
    with engine.begin() as conn:
        conn.execute(update(Delivery).values(status="published"))
    engine.dispose()
    text = (files / "posts.yaml").read_text()
    (files / "posts.yaml").write_text(text.split("    - account: mastodon")[0])
    result = dbcli("apply", "-f", str(files), "-v")
    assert result.exit_code == 6
    assert f"{files / 'posts.yaml'}:11:5: target mastodon:@shop@social.example was removed " \
        "from the manifest but is already published" in result.stderr
    assert counts(db_home)[:3] == (1, 2, 2)


def test_new_default_voice_takes_over_from_the_old_one(dbcli: Cli, db_home: str,
                                                       tmp_path: Path) -> None:
    assert dbcli("apply", "-f", str(write(tmp_path / "m"))).exit_code == 0
    other = tmp_path / "voice.yaml"
    other.write_text("apiVersion: socialhub/v1\nkind: VoiceProfile\nmetadata: {name: crisp}\n"
                     "spec: {default: true}\n")
    result = dbcli("apply", "-f", str(other), "--json")
    assert actions(result) == {"VoiceProfile/friendly": "changed", "VoiceProfile/crisp": "created"}
    assert rows(db_home, select(VoiceProfile.name).where(VoiceProfile.is_default)) == [("crisp",)]


PAST = "2020-03-01 09:00 Europe/Berlin"
BAD: dict[str, tuple[Callable[[Path], Path], str, str]] = {
    # name: (break the files, "file:line:column" suffix, part of the message)
    "malformed YAML": (lambda d: _append(d, "posts.yaml", "  tags: [oops\n"), "posts.yaml:17:1",
                       "malformed YAML"),
    "unknown kind": (lambda d: _append(d, "accounts.yaml", "---\napiVersion: socialhub/v1\n"
                                       "kind: Tweet\nmetadata: {name: t}\n"),
                     "accounts.yaml:27:7", "unknown kind 'Tweet'"),
    "unknown field": (lambda d: _replace(d, "  voice: friendly", "  voice: friendly\n  mood: 1"),
                      "posts.yaml:9:3", "unknown field 'spec.mood'"),
    "unknown account": (lambda d: _replace(d, "account: mastodon:@shop@social.example",
                                           "account: mastodon:@nobody@social.example"),
                        "posts.yaml:13:16", "unknown account 'mastodon:@nobody@social.example'"),
    "time in the past": (lambda d: write(d, bluesky_at=PAST), "posts.yaml:12:11",
                         "is in the past"),
    "unknown zone": (lambda d: write(d, bluesky_at="2030-03-01 09:00 Europe/Atlantis"),
                     "posts.yaml:12:11", "unknown time zone 'Europe/Atlantis'"),
    "DST gap": (lambda d: write(d, bluesky_at="2030-03-31 02:30 Europe/Berlin"),
                "posts.yaml:12:11", "does not exist in Europe/Berlin"),
    "over-length text": (lambda d: _replace(d, "Mastodon gets its own words.", "word " * 120),
                         "posts.yaml:14:13", "is 600 graphemes, over the 500 limit"),
}


def _append(d: Path, name: str, text: str) -> Path:
    (d / name).write_text((d / name).read_text() + text)
    return d


def _replace(d: Path, old: str, new: str) -> Path:
    (d / "posts.yaml").write_text((d / "posts.yaml").read_text().replace(old, new))
    return d


def test_bad_input_names_where_and_leaves_the_database_unchanged(
        dbcli: Cli, db_home: str, tmp_path: Path) -> None:
    # One database for every case: each failed apply must leave it as it was for the next.
    assert dbcli("apply", "-f", str(write(tmp_path / "base") / "accounts.yaml")).exit_code == 0
    before = dbcli("export").stdout
    for case, (breaker, where, message) in sorted(BAD.items()):
        files = breaker(write(tmp_path / case.replace(" ", "-")))
        result = dbcli("apply", "-f", str(files))
        assert result.exit_code == 4, (case, result.stderr)
        problem = [line for line in result.stderr.splitlines() if not line.startswith("error:")]
        assert len(problem) == 1, (case, result.stderr)
        assert problem[0].startswith(f"{files}/{where}: "), (case, problem[0])
        assert message in problem[0], (case, problem[0])
        assert "nothing was written" in result.stderr
        assert result.stdout == ""
        assert counts(db_home) == (0, 0, 0, 1), case
    assert dbcli("export").stdout == before
