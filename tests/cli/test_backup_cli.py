"""``socialhub db backup|restore`` on SQLite and on a real PostgreSQL cluster: a backup
brings the data back as it was, and a bad file or a full database is refused untouched."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine

from socialhub.db.backup_pg import libpq_target
from tests.conftest import CLIResult

Run = Callable[..., CLIResult]


def _campaigns(dbcli: Run) -> list[str]:
    return sorted(c["name"] for c in dbcli("campaigns", "list", "--json").json())


def test_backup_change_restore_brings_the_data_back(dbcli: Run, tmp_path: Path) -> None:
    for name in ("spring", "summer"):
        assert dbcli("campaigns", "add", name).exit_code == 0
    file = tmp_path / "nested" / "snap.bak"
    made = dbcli("db", "backup", str(file), "--json")
    assert made.exit_code == 0, made.stderr
    assert made.json()["tables"]["campaigns"] == 2 and "backed up to" in made.stderr
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert dbcli("campaigns", "add", "autumn").exit_code == 0
    refused = dbcli("db", "restore", str(file))
    assert refused.exit_code == 6 and "--force" in refused.stderr
    assert _campaigns(dbcli) == ["autumn", "spring", "summer"]
    done = dbcli("db", "restore", str(file), "--force", "--json")
    assert done.exit_code == 0, done.stderr
    assert "row counts match" in done.json()["checks"]
    assert _campaigns(dbcli) == ["spring", "summer"]
    assert dbcli("audit", "verify").exit_code == 0  # the chain came back whole too


def test_an_existing_file_is_not_overwritten_without_force(dbcli: Run, tmp_path: Path) -> None:
    file = tmp_path / "taken.bak"
    file.write_text("keep me")
    r = dbcli("db", "backup", str(file))
    assert r.exit_code == 6 and r.stderr.count("\n") == 2  # the progress line, the error
    assert file.read_text() == "keep me"
    assert dbcli("db", "backup", str(file), "--force").exit_code == 0
    assert stat.S_IMODE(file.stat().st_mode) == 0o600


def test_a_default_backup_lands_in_the_backups_folder(dbcli: Run, home: Path) -> None:
    r = dbcli("db", "backup", "--json")
    assert r.exit_code == 0, r.stderr
    made = Path(r.json()["file"])
    assert made.parent == home / "data" / "backups" and made.name.startswith("socialhub-")


def test_a_truncated_or_foreign_backup_is_refused_and_the_database_untouched(
        dbcli: Run, tmp_path: Path) -> None:
    assert dbcli("campaigns", "add", "spring").exit_code == 0
    good = tmp_path / "good.bak"
    assert dbcli("db", "backup", str(good)).exit_code == 0
    truncated = tmp_path / "truncated.bak"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    foreign = tmp_path / "notes.bak"
    foreign.write_text("not a backup\n")
    for bad in (truncated, foreign, tmp_path / "missing.bak"):
        r = dbcli("db", "restore", str(bad), "--force")
        assert r.exit_code == 4, (bad, r.stderr)
        assert r.stderr.splitlines()[-1].startswith("error:") and str(bad) in r.stderr
        assert _campaigns(dbcli) == ["spring"]


def test_the_password_travels_in_the_environment_not_the_command_line() -> None:
    engine = create_engine("postgresql+psycopg://ann:s3cret-pw@db.example:5433/hub")
    dsn, env = libpq_target(engine)
    assert "s3cret-pw" not in dsn and dsn.startswith("postgresql://ann@db.example:5433/hub")
    assert env["PGPASSWORD"] == "s3cret-pw"
