"""The database from the user's side: first run, stale schemas, upgrades, bad URLs, locks."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from socialhub.db.engine import make_engine
from socialhub.db.migrate import downgrade, head_revision
from tests.conftest import CLIResult, new_pg_database

Run = Callable[..., CLIResult]


def test_first_run_creates_the_database_by_itself(cli: Run, home: Path) -> None:
    assert not (home / "data" / "socialhub.sqlite").exists()
    r = cli("accounts", "list", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json() == []
    assert (home / "data" / "socialhub.sqlite").exists()
    assert cli("db", "current", "--json").json() == {"current": head_revision(),
                                                     "head": head_revision(),
                                                     "up_to_date": True}


def test_stale_schema_is_refused_with_the_fix(cli: Run,
                                                                         home: Path) -> None:
    assert cli("accounts", "add", "bluesky:@a.example.com").exit_code == 0
    db = home / "data" / "socialhub.sqlite"
    engine = make_engine(f"sqlite:///{db}")
    downgrade(engine, "base")
    with engine.begin() as conn:  # a database left behind by an older version
        conn.exec_driver_sql("INSERT INTO alembic_version VALUES ('0000')")
    engine.dispose()
    r = cli("accounts", "list")
    assert r.exit_code == 7
    assert "socialhub db upgrade" in r.stderr and r.stderr.count("\n") == 1


def test_db_upgrade_backs_up_a_sqlite_file(cli: Run, home: Path) -> None:
    assert cli("accounts", "add", "bluesky:@a.example.com").exit_code == 0
    r = cli("db", "upgrade")
    assert r.exit_code == 0
    backups = list((home / "data" / "backups").glob("socialhub-*.sqlite"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as conn:
        assert conn.execute("SELECT handle FROM accounts").fetchall() == [("a.example.com",)]


def test_database_that_cannot_connect_is_one_line_without_password(
        cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.pgcluster import free_port

    monkeypatch.setenv("SOCIALHUB_DATABASE_URL",
                       f"postgresql+psycopg://bob:s3cret-pw@127.0.0.1:{free_port()}/x")
    r = cli("accounts", "list")
    assert r.exit_code == 7
    assert r.stderr.startswith("error: ") and r.stderr.count("\n") == 1
    assert "s3cret-pw" not in r.stderr


def test_locked_sqlite_file_is_reported_and_nothing_changes(cli: Run, home: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    assert cli("accounts", "add", "bluesky:@a.example.com").exit_code == 0
    monkeypatch.setenv("SOCIALHUB_DATABASE_BUSY_TIMEOUT_MS", "200")
    holder = sqlite3.connect(home / "data" / "socialhub.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        r = cli("accounts", "add", "bluesky:@b.example.com")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert r.exit_code == 7
    assert "locked" in r.stderr
    assert [a["ref"] for a in cli("accounts", "list", "--json").json()] == [
        "bluesky:@a.example.com"]


def test_postgres_database_is_created_on_first_use(cli: Run, pg_cluster: object,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    url = new_pg_database(pg_cluster, migrated=False)  # type: ignore[arg-type]
    monkeypatch.setenv("SOCIALHUB_DATABASE_URL", url)
    assert cli("accounts", "add", "bluesky:@a.example.com").exit_code == 0
    assert cli("db", "current", "--json").json()["up_to_date"] is True
