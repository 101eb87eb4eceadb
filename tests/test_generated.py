"""Generated artefacts stay in step with the code, and the wheel carries its migrations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_cli_reference_matches_the_commands() -> None:
    result = subprocess.run([sys.executable, "scripts/gen_docs.py", "--check"], cwd=ROOT)
    assert result.returncode == 0, "docs/cli.md is stale: run python scripts/gen_docs.py"


def test_openapi_document_matches_the_routes() -> None:
    result = subprocess.run([sys.executable, "scripts/gen_openapi.py", "--check"], cwd=ROOT)
    assert result.returncode == 0, "docs/openapi.json is stale: run scripts/gen_openapi.py"


def test_completion_scripts_match_the_cli() -> None:
    result = subprocess.run([sys.executable, "scripts/gen_completions.py", "--check"], cwd=ROOT)
    assert result.returncode == 0, "completions/ are stale: run scripts/gen_completions.py"


@pytest.mark.slow
def test_installed_wheel_can_run_db_upgrade(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(dist), str(ROOT)], check=True)
    wheel = next(dist.glob("socialhub-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "socialhub/_migrations/env.py" in names
    assert any(n.startswith("socialhub/_migrations/versions/") for n in names)
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(target), str(wheel)], check=True)
    env = {**os.environ, "PYTHONPATH": str(target), "SOCIALHUB_HOME": str(tmp_path / "home"),
           "SOCIALHUB_MASTER_KEY": "dGVzdC1tYXN0ZXIta2V5LW5vdC1hLXNlY3JldC0wMDA="}
    env.pop("SOCIALHUB_DATABASE_URL", None)
    where = subprocess.run([sys.executable, "-c", "import socialhub; print(socialhub.__file__)"],
                           env=env, cwd=tmp_path, capture_output=True, text=True, check=True)
    assert where.stdout.startswith(str(target))
    run = subprocess.run([sys.executable, "-m", "socialhub", "db", "upgrade"], env=env,
                         cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "home" / "data" / "socialhub.sqlite").exists()
    current = subprocess.run([sys.executable, "-m", "socialhub", "db", "current", "--json"],
                             env=env, cwd=tmp_path, capture_output=True, text=True)
    assert json.loads(current.stdout)["up_to_date"] is True
