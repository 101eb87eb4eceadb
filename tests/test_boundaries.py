"""Layer rules that keep the CLI fast and the core pure (ARCHITECTURE.md)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "socialhub"
HEAVY = ("textual", "fastapi", "apscheduler", "anthropic", "uvicorn", "sqlalchemy", "httpx",
         "mcp", "starlette")


def test_help_loads_no_heavy_library() -> None:
    code = ("import sys\nfrom socialhub.cli.main import app\n"
            "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()[-1]
    assert out == "[]"


def test_help_reads_the_platform_names_without_loading_a_spec() -> None:
    # The names come from the registry's lines; a network's spec (and the text
    # rules it carries) loads only when a command needs it, e.g. `accounts connect
    # --help`, which names the networks that need a developer app.
    code = ("import sys\nfrom socialhub.cli.main import app\n"
            "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('socialhub.platforms.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()[-1]
    assert out == "['socialhub.platforms.registry']"


def _imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in (tree.body if top_level_only else ast.walk(tree)):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _violations(layer: str, forbidden: tuple[str, ...], *, top_level_only: bool = False
                ) -> list[str]:
    bad = []
    for path in (PACKAGE / layer).rglob("*.py"):
        for name in _imports(path, top_level_only=top_level_only):
            if name.split(".")[0] in forbidden or any(
                    name == f or name.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.relative_to(PACKAGE)} imports {name}")
    return bad


def test_core_does_no_io_and_imports_no_front_end_or_database() -> None:
    assert _violations("core", ("sqlalchemy", "httpx", "typer", "textual", "fastapi",
                                "socialhub.db", "socialhub.services", "socialhub.cli",
                                "socialhub.tui", "socialhub.daemon")) == []


def test_services_import_no_front_end() -> None:
    assert _violations("services", ("typer", "textual", "fastapi", "apscheduler",
                                    "socialhub.cli", "socialhub.tui", "socialhub.daemon")) == []


def test_services_reach_the_database_through_the_persistence_layer() -> None:
    assert _violations("services", ("sqlite3", "psycopg")) == []


def test_front_ends_do_not_import_each_other() -> None:
    # The CLI launches the TUI and the daemon, so it may import them inside a command.
    assert _violations("cli", ("socialhub.daemon", "socialhub.tui"), top_level_only=True) == []
    assert _violations("daemon", ("socialhub.cli", "socialhub.tui")) == []
    assert _violations("tui", ("socialhub.cli", "socialhub.daemon")) == []
    assert _violations("mcp_server", ("socialhub.cli", "socialhub.tui",
                                      "socialhub.daemon")) == []
