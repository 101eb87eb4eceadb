"""``socialhub docs`` and ``socialhub search`` from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLIResult

Run = Callable[..., CLIResult]


def _folder(tmp_path: Path) -> Path:
    root = tmp_path / "notes"
    root.mkdir()
    (root / "a.md").write_text("# Spring launch\nWe ship the spring range on Monday.\n", "utf-8")
    (root / "b.txt").write_text("Pricing notes\nSpring prices stay the same.\n", "utf-8")
    (root / "c.md").write_bytes(b"\x00\x01\x02binary")
    return root


def test_import_prints_a_summary_and_warns_on_stderr(cli: Run, tmp_path: Path) -> None:
    result = cli("docs", "import", str(_folder(tmp_path)))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("2 added, 0 updated, 0 unchanged, 0 removed, 1 skipped")
    assert "warning: skipped" in result.stderr and "c.md" in result.stderr
    # Off a terminal, progress is plain lines, not a redrawn bar.
    assert "docs import: 3/3 files scanned" in result.stderr
    assert "\x1b[" not in result.stderr


def test_search_json_is_ranked_with_highlighted_snippets(cli: Run, tmp_path: Path) -> None:
    cli("docs", "import", str(_folder(tmp_path)))
    result = cli("docs", "search", "spring", "--json")
    assert result.exit_code == 0, result.stderr
    page = result.json()
    assert isinstance(page, dict)
    assert [r["title"] for r in page["results"]] == ["Spring launch", "Pricing notes"]
    assert "<mark>spring</mark>" in page["results"][0]["snippet"]
    table = cli("docs", "search", "monday")
    assert "Spring launch" in table.stdout and table.stderr == ""


def test_add_show_remove_round_trip(cli: Run, tmp_path: Path) -> None:
    body = tmp_path / "body.md"
    body.write_text("Tone: warm, never shouty.", "utf-8")
    added = cli("docs", "add", "--title", "Voice", "--file", str(body), "--tag", "brand",
                "--json")
    assert added.exit_code == 0, added.stderr
    doc_id = str(added.json()["id"])
    shown: Any = cli("docs", "show", doc_id, "--json").json()
    assert shown["body"] == "Tone: warm, never shouty." and shown["tags"] == ["brand"]
    assert "Voice" in cli("docs", "show", doc_id).stdout
    assert cli("docs", "remove", doc_id).exit_code == 0
    gone = cli("docs", "show", doc_id)
    assert gone.exit_code == 5 and f"no document with id {doc_id}" in gone.stderr


def test_add_from_body_and_stdin(cli: Run) -> None:
    assert cli("docs", "add", "--title", "A", "--body", "inline text").stdout.strip() == "1"
    assert cli("docs", "add", "--title", "B", "--file", "-", input="piped text").exit_code == 0
    assert len(cli("docs", "search", "text", "--json").json()["results"]) == 2


def test_usage_and_query_errors_are_one_line_with_exit_codes(cli: Run, tmp_path: Path) -> None:
    both = cli("docs", "add", "--title", "T", "--body", "b", "--file", "f")
    assert both.exit_code == 4 and "exactly one of --body or --file" in both.stderr
    bad = cli("docs", "search", "NEAR(", "--raw")
    assert bad.exit_code == 4 and bad.stderr.startswith("error: malformed search query")
    assert bad.stdout == ""
    missing = cli("docs", "import", str(tmp_path / "nope"))
    assert missing.exit_code == 4 and "not a folder" in missing.stderr


def test_corrupted_sidecar_is_a_database_error(cli: Run, home: Path) -> None:
    (home / "data").mkdir(parents=True)
    (home / "data" / "docs.sqlite").write_bytes(b"junk" * 2000)
    result = cli("docs", "search", "x")
    assert result.exit_code == 7
    assert "docs.sqlite is corrupted or not a SQLite file" in result.stderr


def test_docs_path_comes_from_the_config(cli: Run, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "elsewhere" / "my-docs.sqlite"
    monkeypatch.setenv("SOCIALHUB_SEARCH_DOCS_PATH", str(target))
    cli("docs", "add", "--title", "X", "--body", "y")
    assert target.is_file()


def test_cli_modules_do_not_import_heavy_libraries_at_startup() -> None:
    code = ("import sys, socialhub.cli.docs, socialhub.cli.music, socialhub.cli.search_cmd;"
            "import json; print(json.dumps(sorted(m for m in ('fastapi', 'uvicorn', 'mutagen',"
            "'sqlite3', 'rich') if m in sys.modules)))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert json.loads(loaded.stdout) == []
