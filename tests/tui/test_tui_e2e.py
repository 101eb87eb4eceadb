"""End to end: `socialhub tui` in a real terminal (tmux), a post written and scheduled by keys.

The TUI runs as its own process on a private tmux server with the test's
isolated home; after it quits, `socialhub posts list --json` must show the post.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import CLIResult
from tests.tui.tui_kit import posts

Run = Callable[..., CLIResult]
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed")


class Terminal:
    """A 120×36 tmux pane on a private server, driven with send-keys and capture-pane."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-f", "/dev/null", "-L", self.socket, *args],
                              capture_output=True,
                              text=True, check=False).stdout

    def keys(self, *keys: str, literal: bool = False) -> None:
        for key in keys:  # one at a time, at a typist's pace, as a person would
            self.tmux("send-keys", "-t", "tui", *(["-l"] if literal else []), key)
            time.sleep(0.2)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "tui")

    def alive(self) -> bool:
        return subprocess.run(["tmux", "-L", self.socket, "has-session", "-t", "tui"],
                              capture_output=True, check=False).returncode == 0

    def wait_for(self, text: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.screen():
                return
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; screen:\n{self.screen()}")


@pytest.fixture
def terminal(tui_cli: Run) -> Iterator[Terminal]:
    env = {k: v for k, v in os.environ.items() if k.startswith("SOCIALHUB_") or k == "TZ"}
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(env.items()))
    # COLUMNS/LINES inherited from the test runner would override the pane's real size.
    command = (f"cd {shlex.quote(str(ROOT))} && exec env -u COLUMNS -u LINES {exports} "
               f"{sys.executable} -m socialhub tui")
    term = Terminal(f"sh-tui-test-{os.getpid()}")
    term.tmux("new-session", "-d", "-s", "tui", "-x", "120", "-y", "36", command)
    try:
        yield term
    finally:
        term.tmux("kill-server")


def test_a_post_written_and_scheduled_by_keys_is_seen_by_the_cli(terminal: Terminal,
                                                                   tui_cli: Run) -> None:
    terminal.wait_for("November 2026")
    terminal.wait_for("09:00 bs")  # the month loaded from the database
    terminal.keys("n")
    terminal.wait_for("New post")
    terminal.keys("Doors open at eight", literal=True)
    terminal.keys("Tab")
    terminal.wait_for("mastodon:@me@social.example")
    terminal.keys("Down", "Space")  # pick the Mastodon account
    terminal.wait_for("graphemes")  # its tab with the live counter appeared
    terminal.keys("Tab", "C-u")
    terminal.keys("2026-11-25 18:30", literal=True)
    terminal.keys("C-t")
    terminal.wait_for("saved")
    terminal.wait_for("November 2026")
    terminal.keys("q")
    deadline = time.monotonic() + 15
    while terminal.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not terminal.alive(), terminal.screen()
    new = [p for name, p in posts(tui_cli).items() if name != "launch"]
    assert len(new) == 1
    assert new[0]["body"] == "Doors open at eight" and new[0]["status"] == "scheduled"
    (target,) = new[0]["targets"]
    assert target["account"] == "mastodon:@me@social.example"
    assert target["at"] == "2026-11-25T18:30 Europe/Berlin"
