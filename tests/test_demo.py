"""``socialhub demo``: the README's first command works on a fresh machine, quickly."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CLIResult


def test_demo_publishes_every_post_on_time_and_lists_the_urls(
        cli: Callable[..., CLIResult], home: Path) -> None:
    result = cli("demo", "--posts", "3", "--json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert isinstance(data, dict)
    posts = data["posts"]
    assert [p["status"] for p in posts] == ["published"] * 3
    assert [p["parts"] for p in posts] == [1, 3, 1]  # the second is a thread
    assert all(p["url"].startswith("http://127.0.0.1:") for p in posts)
    assert all(p["late_s"] < 1.0 for p in posts)
    assert data["sandbox_posts"] == 5
    assert data["home"] is None
    assert "scheduled demo-2 (3-part thread)" in result.stderr
    assert "✓ demo-1 published" in result.stderr
    assert not home.exists()  # the user's own home was never touched


def test_demo_as_a_fresh_process_prints_a_table_and_keeps_data_when_asked(
        tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALHUB_")}
    env["HOME"] = str(tmp_path)  # a fresh machine: nothing configured
    env.pop("XDG_DATA_HOME", None)
    env.pop("XDG_CONFIG_HOME", None)
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "socialhub", "demo", "--posts", "2", "--keep"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 30
    assert "demo-1" in result.stdout and "published" in result.stdout
    assert "2/2 posts published" in result.stderr
    kept = next(line for line in result.stderr.splitlines() if "SOCIALHUB_HOME=" in line)
    folder = Path(kept.split("SOCIALHUB_HOME=", 1)[1].split()[0])
    assert (folder / "data" / "socialhub.sqlite").is_file()
    import shutil

    shutil.rmtree(folder)
