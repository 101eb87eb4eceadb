"""Fixtures of the TUI tests: a seeded home with a frozen clock, and the app under Pilot.

``tui_cli`` is the isolated home (a copy of one seeded database, the clock at
``tui_kit.NOW`` in ``tui_kit.ZONE``); ``app`` and ``pilot`` are the TUI opened
on it at 120×36 with its first month painted. A test that needs another size,
other app options, a change made before the app starts, or a look at the
database after the app has closed builds its ``SocialhubApp`` itself.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from socialhub.tui.app import SocialhubApp
from tests.conftest import TEST_MASTER_KEY, CLIResult, run_cli
from tests.tui.tui_kit import NOW, ZONE, seed, settle


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


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def app(tui_cli: Callable[..., CLIResult]) -> SocialhubApp:
    """The TUI on the seeded home, without cursor blink (not started: see ``pilot``)."""
    return SocialhubApp(blink=False)


@pytest.fixture
async def pilot(app: SocialhubApp, anyio_backend: str) -> AsyncIterator[Pilot[None]]:
    """``app`` running at 120×36, its first month painted and every worker done."""
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        yield pilot
