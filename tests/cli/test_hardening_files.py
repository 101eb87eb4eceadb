"""Hardening: UTC offset ranges, private file modes, reclaimed SQLite space, XDG paths."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from socialhub.db.engine import make_engine
from socialhub.db.models import Post
from socialhub.paths import resolve_paths
from socialhub.services.hub import Hub
from socialhub.services.settings import load_config
from tests.conftest import CLIResult

Run = Callable[..., CLIResult]
NOW = "2026-11-22T12:00:00+00:00"
MIB = 1024 * 1024


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask, under which files used to come out 0644."""
    old = os.umask(0o022)
    yield
    os.umask(old)


# --- UTC offsets -----------------------------------------------------------------------

@pytest.mark.parametrize(("at", "offset"), [
    ("2027-01-10T09:00+99:00", "+99:00"),
    ("2027-01-10T09:00-14:30", "-14:30"),
    ("2027-01-10T09:00+1500", "+1500"),
    ("2027-01-10 09:00+05:60", "+05:60"),
])
def test_an_offset_no_zone_uses_is_refused_in_one_line_and_nothing_is_stored(
        dbcli: Run, monkeypatch: pytest.MonkeyPatch, at: str, offset: str) -> None:
    monkeypatch.setenv("SOCIALHUB_FAKE_NOW", NOW)
    assert dbcli("accounts", "add", "bluesky:@shop.example.com").exit_code == 0
    r = dbcli("posts", "create", "-b", "hello", "-t", "bluesky:@shop.example.com", "--at", at)
    assert r.exit_code == 4
    assert r.stderr.count("\n") == 1
    assert f"UTC offset '{offset}'" in r.stderr and "-14:00 and +14:00" in r.stderr
    assert dbcli("posts", "list", "--json").json() == []


@pytest.mark.parametrize(("at", "utc"), [
    ("2027-01-10T09:00+14:00", "2027-01-09T19:00"),  # Kiritimati
    ("2027-01-10T09:00-12:00", "2027-01-10T21:00"),  # Baker Island
    ("2027-01-10T09:00+05:45", "2027-01-10T03:15"),  # Kathmandu
])
def test_offsets_real_zones_use_are_still_accepted(
        dbcli: Run, monkeypatch: pytest.MonkeyPatch, at: str, utc: str) -> None:
    monkeypatch.setenv("SOCIALHUB_FAKE_NOW", NOW)
    assert dbcli("accounts", "add", "bluesky:@shop.example.com").exit_code == 0
    r = dbcli("posts", "create", "-b", "hello", "-t", "bluesky:@shop.example.com", "--at", at,
              "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["targets"][0]["scheduled_at"].startswith(utc)


def test_a_manifest_with_an_impossible_offset_names_file_line_and_value(
        dbcli: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SOCIALHUB_FAKE_NOW", NOW)
    manifest = tmp_path / "post.yaml"
    manifest.write_text(
        "apiVersion: socialhub/v1\nkind: Account\nmetadata: {name: \"bluesky:@shop.example.com\"}\n"
        "---\napiVersion: socialhub/v1\nkind: Post\nmetadata: {name: launch}\nspec:\n"
        "  body: hello\n  targets:\n    - account: bluesky:@shop.example.com\n"
        "      at: 2027-01-10T09:00+99:00\n")
    r = dbcli("apply", "-f", str(manifest))
    assert r.exit_code == 4
    assert f"{manifest}:12:" in r.stderr and "UTC offset '+99:00'" in r.stderr
    assert dbcli("accounts", "list", "--json").json() == []  # all or nothing


# --- file modes -------------------------------------------------------------------------

def test_the_data_folder_database_wal_and_backups_are_private(
        cli: Run, home: Path, umask_022: None) -> None:
    assert cli("accounts", "add", "bluesky:@a.example.com").exit_code == 0
    data = home / "data"
    db = data / "socialhub.sqlite"
    assert mode(data) == 0o700
    assert mode(db) == 0o600
    engine = make_engine(f"sqlite:///{db}")  # a live connection keeps -wal and -shm
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE accounts SET display_name = 'A'")
            for suffix in ("-wal", "-shm"):
                assert mode(db.with_name(db.name + suffix)) == 0o600, suffix
    finally:
        engine.dispose()
    assert cli("db", "upgrade").exit_code == 0
    backups = list((data / "backups").iterdir())
    assert len(backups) == 1
    assert mode(data / "backups") == 0o700
    assert mode(backups[0]) == 0o600


def test_the_search_sidecars_are_private(cli: Run, home: Path, tmp_path: Path,
                                          umask_022: None) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("# Spring\nWe ship on Monday.\n")
    assert cli("docs", "import", str(notes)).exit_code == 0
    assert cli("music", "import", str(notes)).exit_code == 0
    for name in ("docs.sqlite", "music.sqlite"):
        assert mode(home / "data" / name) == 0o600, name


def test_doctor_names_loose_files_with_their_mode_and_the_fix(
        cli: Run, home: Path, umask_022: None) -> None:
    assert cli("accounts", "list").exit_code == 0
    clean = cli("doctor", "--json")
    modes = [c for c in clean.json() if c["check"] == "file modes"]
    assert [c["status"] for c in modes] == ["ok"]
    db = home / "data" / "socialhub.sqlite"
    db.chmod(0o644)
    (home / "data").chmod(0o755)
    r = cli("doctor", "--json")
    assert r.exit_code == 0  # a warning, not a failure
    warned = {c["path"]: c for c in r.json() if c["check"] == "file modes"}
    assert warned[str(db)]["status"] == "warn"
    assert warned[str(db)]["mode"] == "0644"
    assert warned[str(db)]["fix"] == f"chmod 600 {db}"
    assert warned[str(home / "data")]["fix"] == f"chmod 700 {home / 'data'}"
    plain = cli("doctor")
    line = f"{db} is 0644, not private; fix: chmod 600 {db}"
    assert "".join(line.split()) in "".join(plain.stdout.split())  # the console wraps lines
    assert mode(db) == 0o644  # reported, not changed behind the user's back


# --- reclaiming space -------------------------------------------------------------------

def _add_big_post(name: str, size: int = 12 * MIB) -> None:
    hub = Hub(load_config())
    try:
        with hub.transaction() as s:
            s.add(Post(org_id=hub.org_id(s), name=name, body="x" * size))
    finally:
        hub.dispose()


def _old_style_database(path: Path) -> None:
    """A database as versions before auto-vacuum made it (auto_vacuum=NONE)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA auto_vacuum=NONE")
        conn.execute("CREATE TABLE t (x)")  # fixes the mode in the header
        conn.execute("DROP TABLE t")
    conn.close()


def test_removing_a_big_post_gives_the_space_back(cli: Run, home: Path) -> None:
    assert cli("accounts", "list").exit_code == 0
    db = home / "data" / "socialhub.sqlite"
    _add_big_post("big")
    assert db.stat().st_size > 12 * MIB
    assert cli("posts", "remove", "big").exit_code == 0
    assert db.stat().st_size < 2 * MIB


def test_db_vacuum_shrinks_and_converts_a_database_made_before_auto_vacuum(
        cli: Run, home: Path) -> None:
    db = home / "data" / "socialhub.sqlite"
    _old_style_database(db)
    assert cli("accounts", "list").exit_code == 0  # migrates the old-style file
    _add_big_post("big")
    assert cli("posts", "remove", "big").exit_code == 0
    assert db.stat().st_size > 12 * MIB  # an old file cannot hand pages back by itself
    r = cli("db", "vacuum", "--json")
    assert r.exit_code == 0, r.stderr
    result = r.json()
    assert (result["backend"], result["auto_vacuum_before"], result["auto_vacuum_after"]) == (
        "sqlite", "none", "incremental")
    assert result["reclaimed"] > 12 * MIB
    assert db.stat().st_size < 2 * MIB
    _add_big_post("big-again")  # converted: from now on a removal shrinks the file
    assert cli("posts", "remove", "big-again").exit_code == 0
    assert db.stat().st_size < 2 * MIB


def test_db_vacuum_runs_on_both_databases(dbcli: Run) -> None:
    r = dbcli("db", "vacuum", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["backend"] in ("sqlite", "postgresql")
    assert r.json()["bytes_after"] > 0
    plain = dbcli("db", "vacuum")
    assert plain.exit_code == 0 and "reclaimed" in plain.stderr


# --- where files live -------------------------------------------------------------------

def test_directories_follow_xdg_on_linux(tmp_path: Path) -> None:
    home = str(tmp_path / "u")
    assert resolve_paths({"HOME": home}).config_dir == Path(home, ".config", "socialhub")
    assert resolve_paths({"HOME": home}).data_dir == Path(home, ".local", "share", "socialhub")
    assert resolve_paths({"HOME": home}).state_dir == Path(home, ".local", "state", "socialhub")
    xdg = resolve_paths({"HOME": home, "XDG_CONFIG_HOME": "/c", "XDG_DATA_HOME": "/d",
                         "XDG_STATE_HOME": "/s"})
    assert (xdg.config_dir, xdg.data_dir, xdg.state_dir) == (
        Path("/c/socialhub"), Path("/d/socialhub"), Path("/s/socialhub"))
    assert resolve_paths({"HOME": home, "SOCIALHUB_HOME": "/h"}).data_dir == Path("/h/data")
    before = dict(os.environ)
    resolve_paths({"HOME": home, "XDG_DATA_HOME": "/d"})
    assert dict(os.environ) == before  # the process environment is left as it was
