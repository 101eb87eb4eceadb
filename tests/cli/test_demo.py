"""``socialhub demo``: the README's first command works on a fresh machine, quickly."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.conftest import CLIResult

REPO = Path(__file__).resolve().parents[2]


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
    inbox = data["inbox"]  # simulated people then wrote to the demo account
    assert len(inbox) == 6 and all(i["account"] == "sandbox:@demo" for i in inbox)
    assert {i["kind"] for i in inbox} <= {"comment", "mention", "reply", "message"}
    answer = data["auto_reply"]  # the workflow rule answered the order question, once
    assert answer["rule"] == "order-status" and answer["status"] == "published"
    assert "order" in answer["question"] and answer["reply"].startswith("Hi ")
    assert "answered fatima.people automatically (published)" in result.stderr
    assert data["home"] is None
    assert "scheduled demo-2 (3-part thread)" in result.stderr
    assert "✓ demo-1 published" in result.stderr
    assert not home.exists()  # the user's own home was never touched


def test_demo_ends_without_dead_links_and_says_what_to_try_next(
        cli: Callable[..., CLIResult], home: Path) -> None:
    result = cli("demo", "--posts", "2")
    assert result.exit_code == 0, result.stderr
    assert "sandbox:@demo post 1" in result.stdout  # what went out, and where it went
    # The sandbox stopped with the command: no link into it may be printed.
    assert "http://" not in result.stdout + result.stderr
    assert "has stopped" in result.stderr
    assert "socialhub demo --keep" in result.stderr  # the next step


def test_demo_keep_leaves_the_sandbox_running_until_ctrl_c(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALHUB_")}
    env["HOME"] = str(tmp_path)  # a fresh machine: nothing configured
    env.pop("XDG_DATA_HOME", None)
    env.pop("XDG_CONFIG_HOME", None)
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "socialhub", "demo", "--posts", "2", "--keep"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        lines: list[str] = []
        for line in proc.stderr:  # up to the prompt; the process then waits for Ctrl-C
            lines.append(line)
            if "Ctrl-C to stop" in line:
                break
        text = "".join(lines)
        assert time.monotonic() - started < 30, text
        assert "2/2 posts published" in text
        received = re.search(r"(http://127\.0\.0\.1:\d+/_sandbox/posts)", text)
        assert received, text
        # The link printed works: the sandbox is still up, with the 4 parts it received
        # and the workflow rule's automatic reply.
        assert len(httpx.get(received.group(1), timeout=5).json()["posts"]) == 5
        folder = Path(re.search(r"SOCIALHUB_HOME=(\S+)", text).group(1))  # type: ignore[union-attr]
        assert "socialhub calendar" in text and "socialhub tui" in text
        assert proc.poll() is None  # still running
        proc.send_signal(signal.SIGINT)
        stdout, rest = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, rest
    assert "demo-1" in stdout and "published" in stdout
    assert "sandbox stopped" in rest
    assert (folder / "data" / "socialhub.sqlite").is_file()
    shutil.rmtree(folder)


def _fake_checkout(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of scripts/bootstrap beside a pyproject.toml and a stand-in .venv python."""
    root = tmp_path / "checkout"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "bootstrap", root / "scripts" / "bootstrap")
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (root / ".venv" / "bin").mkdir(parents=True)
    calls = tmp_path / "calls.txt"
    fake = root / ".venv" / "bin" / "python"
    fake.write_text(f"#!/bin/sh\necho \"$*\" >> {calls}\n")
    fake.chmod(0o755)
    return root, calls


def test_bootstrap_says_what_it_installs_and_is_quiet_when_nothing_is_to_do(
        tmp_path: Path) -> None:
    root, calls = _fake_checkout(tmp_path)
    env = {**os.environ, "PYTHON": sys.executable}
    first = subprocess.run([str(root / "scripts" / "bootstrap")], env=env, capture_output=True,
                           text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    steps = first.stderr.splitlines()
    assert any("installing socialhub" in s for s in steps), first.stderr
    installs = calls.read_text().count("pip install")
    assert installs >= 1
    again = subprocess.run([str(root / "scripts" / "bootstrap")], env=env, capture_output=True,
                           text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    assert again.stdout == "" and again.stderr == ""  # nothing to install: not a word
    assert calls.read_text().count("pip install") == installs  # and no install either
