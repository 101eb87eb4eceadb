"""Shared pieces of the TUI tests: a seeded, frozen-clock home and helpers."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.conftest import TEST_MASTER_KEY, CLIResult, run_cli

NOW = "2026-11-18T10:00:00+00:00"  # a Wednesday; the calendar opens on it
ZONE = "Europe/Berlin"
BS = "bluesky:@shop.example.com"
MA = "mastodon:@me@social.example"


def seed(cli: Callable[..., CLIResult]) -> None:
    """Two accounts, a Tuesday slot, and one post on Friday 20 Nov at 09:00 Berlin."""
    for args in (("accounts", "add", BS), ("accounts", "add", MA),
                 ("slots", "add", BS, "--day", "tue", "--time", "10:00"),
                 ("posts", "create", "-b", "We ship on Monday", "-t", BS, "-t", MA,
                  "--at", "2026-11-20 09:00", "--name", "launch")):
        result = cli(*args)
        assert result.exit_code == 0, result.stderr


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file seeded once per session; tests get a copy (seeding costs ~2 s)."""
    root = tmp_path_factory.mktemp("tui-seed")
    db = root / "seed.sqlite"
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.startswith("SOCIALHUB_")]:
            mp.delenv(key)
        mp.setenv("SOCIALHUB_HOME", str(root / "home"))
        mp.setenv("SOCIALHUB_MASTER_KEY", TEST_MASTER_KEY)
        mp.setenv("SOCIALHUB_SECURITY_USE_KEYRING", "false")
        mp.setenv("SOCIALHUB_DATABASE_URL", f"sqlite:///{db}")
        mp.setenv("SOCIALHUB_FAKE_NOW", NOW)
        mp.setenv("SOCIALHUB_TIMEZONE", ZONE)
        mp.setenv("TZ", "UTC")
        seed(run_cli)
    return db


@pytest.fixture
def tui_cli(cli: Callable[..., CLIResult], home: Path, seeded_db: Path, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Callable[..., CLIResult]:
    """An isolated home with a copy of the seeded database, the clock frozen at ``NOW``."""
    db = tmp_path / "tui.sqlite"
    shutil.copyfile(seeded_db, db)
    monkeypatch.setenv("SOCIALHUB_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("SOCIALHUB_FAKE_NOW", NOW)
    monkeypatch.setenv("SOCIALHUB_TIMEZONE", ZONE)
    return cli


def posts(cli: Callable[..., CLIResult]) -> dict[str, dict[str, Any]]:
    """``socialhub posts list --json`` by post name: what the CLI sees."""
    result = cli("posts", "list", "--json")
    assert result.exit_code == 0, result.stderr
    data: list[dict[str, Any]] = result.json()
    return {p["name"]: p for p in data}


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until every worker finished and its results were painted."""
    # Screen switches and worker callbacks each take a few frames; under load more.
    for _ in range(4):
        await pilot.pause(0.02)
        await pilot.app.workers.wait_for_complete()
    # A worker's result is applied by a message posted after it completes; give the
    # handlers (and any reload they start) time to finish before anyone looks.
    await pilot.pause(0.1)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def notes(pilot: Pilot[Any]) -> list[str]:
    """The messages of the notifications shown so far."""
    return [n.message for n in pilot.app._notifications]
