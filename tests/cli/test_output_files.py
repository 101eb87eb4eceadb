"""Files written where the user said (``-o``): whole or not at all, one clear line when the
place cannot take them — never an "unexpected" error, never half a file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from socialhub.cli.output_files import make_output_folder, write_output
from socialhub.errors import ValidationError
from tests.conftest import CLIResult


def test_a_file_is_written_whole_and_replaces_the_old_one(tmp_path: Path) -> None:
    target = tmp_path / "plan.ics"
    target.write_text("old")
    write_output(target, "new ✓")
    assert target.read_text(encoding="utf-8") == "new ✓"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.ics"]  # no partial file left


def test_places_that_cannot_take_the_file_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="is a folder"):
        write_output(tmp_path, b"x")
    with pytest.raises(ValidationError, match=r"the folder .*missing does not exist"):
        write_output(tmp_path / "missing" / "r.pdf", b"x")
    blocker = tmp_path / "afile"
    blocker.write_text("")
    with pytest.raises(ValidationError, match="cannot create the folder"):
        make_output_folder(blocker / "sub")


def test_a_failed_write_names_the_reason_and_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    target.write_text("old")
    (tmp_path / ".r.html.partial").mkdir()  # the partial file cannot be written
    with pytest.raises(ValidationError, match=r"cannot write .*r\.html: Is a directory"):
        write_output(target, "new")
    assert target.read_text() == "old"


def test_export_into_a_path_under_a_file_is_one_clear_error(
        dbcli: Callable[..., CLIResult], tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("")
    result = dbcli("export", "-o", str(blocker / "manifests"))
    assert result.exit_code == 4
    assert result.stderr.startswith("error: cannot create the folder")
    assert "unexpected" not in result.stderr


def test_a_backup_into_a_path_under_a_file_is_one_clear_error(
        dbcli: Callable[..., CLIResult], tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("")
    result = dbcli("db", "backup", str(blocker / "backup.db"))
    assert result.exit_code == 4, result.stderr
    assert f"error: cannot write {blocker / 'backup.db'}: Not a directory" in result.stderr
    assert "unexpected" not in result.stderr
