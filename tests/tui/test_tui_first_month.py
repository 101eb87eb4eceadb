"""The TUI's quick start: the first month read by a helper process, and `socialhub tui`'s
own entry, which opens the TUI without loading the CLI framework.

The helper is a real ``python -m socialhub.tui.startup.first_month`` process with the
test's isolated home; the error cases run ``socialhub tui`` in a real pseudo-terminal.
"""

from __future__ import annotations

import gc
import os
import pickle
import pty
import re
import select
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from socialhub.cli.entry import plain_tui
from socialhub.errors import ExitCode, SocialhubError
from socialhub.services.hub import Hub
from socialhub.services.settings import load_config
from socialhub.tui.app import SocialhubApp
from socialhub.tui.screens.calendar_screen import CalendarScreen
from socialhub.tui.startup import collector
from socialhub.tui.startup.first_month import FirstMonthHelper, quick_first_month, read_first_month
from tests.conftest import CLIResult
from tests.tui import tui_kit
from tests.tui.tui_kit import settle

Run = Callable[..., CLIResult]
#: Escape sequences (CSI, OSC, charset picks): what a terminal acts on rather than shows.
ANSI = re.compile(r"\x1b(\[[0-9;?<>=$]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Z]|[=>])")


@pytest.mark.parametrize(("args", "expected"), [
    (["tui"], (True, None)),
    (["--config", "/etc/sh.yaml", "tui"], (True, "/etc/sh.yaml")),
    (["-c", "sh.yaml", "tui"], (True, "sh.yaml")),
    (["--config=sh.yaml", "tui"], (True, "sh.yaml")),
    (["tui", "--help"], (False, None)),  # help is Typer's
    (["--debug", "tui"], (False, None)),  # other global options too
    (["--config=", "tui"], (False, None)),
    (["posts", "tui"], (False, None)),
    ([], (False, None)),
])
def test_only_a_plain_socialhub_tui_takes_the_quick_path(
        args: list[str], expected: tuple[bool, str | None]) -> None:
    assert plain_tui(args) == expected


def test_the_helper_reads_todays_month_as_the_services_do(tui_cli: Run) -> None:
    found = FirstMonthHelper(None).result(timeout=60)
    assert found is not None, "the helper process failed"
    assert found.zone == "Europe/Berlin" and found.today == date(2026, 11, 18)
    friday = found.data.days[date(2026, 11, 20)]
    assert {(e["post"], e["time"], e["account"]) for e in friday} == {
        ("launch", "09:00", tui_kit.BS), ("launch", "09:00", tui_kit.MA)}
    hub = Hub(load_config())
    try:
        assert read_first_month(hub) == found  # the same month, read in this process
    finally:
        hub.dispose()


def test_the_month_is_read_without_sqlalchemy_or_the_settings_schema(
        dbcli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIALHUB_FAKE_NOW", tui_kit.NOW)
    monkeypatch.setenv("SOCIALHUB_TIMEZONE", tui_kit.ZONE)
    tui_kit.seed(dbcli)  # on SQLite, then on a real PostgreSQL database
    probe = ("import pickle, sys\n"
             "from socialhub.tui.startup.first_month import quick_first_month\n"
             "month = quick_first_month(None)\n"
             "loaded = sorted(m for m in ('sqlalchemy', 'pydantic') if m in sys.modules)\n"
             "sys.stdout.buffer.write(pickle.dumps((month, loaded)))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, check=True)
    month, loaded = pickle.loads(done.stdout)
    assert loaded == []
    assert month is not None and month.data.days[date(2026, 11, 20)]  # the launch post
    hub = Hub(load_config())
    try:
        assert month == read_first_month(hub)  # what the full read answers
    finally:
        hub.dispose()


def test_the_ui_paints_its_first_month_without_the_database_layer_or_typer() -> None:
    # What `socialhub tui` imports before its first frame: the entry's fast path, the
    # app and the calendar screen. SQLAlchemy with the models (~0.3 s), the settings
    # schema and Typer (~0.1 s) would all come before the month is on screen: a
    # service module importing sqlalchemy at its top (services/context.py did) costs
    # a cold launch as much as the rest of the app.
    # Nor the use cases' context, the permission policy, the board's use cases or the
    # time-zone database (~20 ms more): the month arrives read, with its zone.
    probe = ("import sys\n"
             "import socialhub.cli.entry, socialhub.cli.tui_launch\n"
             "import socialhub.tui.app, socialhub.tui.screens.calendar_screen\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('sqlalchemy', 'pydantic', 'typer', 'click', 'yaml', 'zoneinfo')\n"
             "             or m.startswith(('socialhub.db', 'socialhub.services.audit',\n"
             "                 'socialhub.services.context', 'socialhub.core.policy',\n"
             "                 'socialhub.services.authoring.board'))\n"
             "             and m != 'socialhub.services.authoring.board_labels'))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(("variable", "value"), [
    ("SOCIALHUB_ORGANIZATION", "5"),  # the schema refuses a number: the full read says so
    ("SOCIALHUB_TIMEZONE", "Mars/Olympus_Mons"),
    ("SOCIALHUB_ORGANIZATION", "nobody-yet"),  # unknown: the full read names the known ones
    ("SOCIALHUB_DATABASE_URL", "postgresql+psycopg://me@127.0.0.1:9/none"),
])
def test_the_quick_read_leaves_what_it_cannot_vouch_for_to_the_full_read(
        tui_cli: Run, monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    assert quick_first_month(None) is not None
    monkeypatch.setenv(variable, value)
    assert quick_first_month(None) is None


def test_a_database_url_with_options_is_read_through_sqlalchemy_alike(
        tui_cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = quick_first_month(None)
    assert plain is not None
    url = os.environ["SOCIALHUB_DATABASE_URL"]
    monkeypatch.setenv("SOCIALHUB_DATABASE_URL", f"{url}?timeout=5")
    assert quick_first_month(None) is None
    assert FirstMonthHelper(None).result(timeout=60) == plain


def test_the_helper_carries_a_socialhub_error_back_with_its_hint_and_exit_code(
        tui_cli: Run) -> None:
    assert tui_cli("db", "downgrade", "0001", "--yes").exit_code == 0
    with pytest.raises(SocialhubError) as caught:
        FirstMonthHelper(None).result(timeout=60)
    assert "schema is at revision 0001" in str(caught.value)
    assert "socialhub db upgrade" in str(caught.value)  # the hint, once
    assert str(caught.value).count("socialhub db upgrade") == 1
    assert caught.value.exit_code == ExitCode.DATABASE


@pytest.mark.anyio
async def test_the_month_is_read_in_process_when_the_helper_cannot_run(tui_cli: Run) -> None:
    broken = FirstMonthHelper(None)
    assert broken.proc is not None
    broken.proc.kill()
    broken.proc.communicate()
    broken.proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    app = SocialhubApp(helper=broken, blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, CalendarScreen)
        assert app.screen.selected == date(2026, 11, 18)
        assert "09:00 bs We" in app.screen.grid.render().plain


@pytest.mark.anyio
async def test_the_collector_paused_at_launch_is_back_once_the_month_is_painted(
        tui_cli: Run) -> None:
    # `socialhub tui` pauses the garbage collector before it imports anything (a full
    # collection over Textual's objects cost 0.1-0.2 s of the first paint); it must not
    # stay off for the session.
    collector.pause()
    try:
        assert collector.paused() and not gc.isenabled()
        app = SocialhubApp(blink=False)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, CalendarScreen) and app.screen.loaded is not None
            assert not collector.paused() and gc.isenabled()
    finally:
        collector.resume()
        gc.unfreeze()


@pytest.mark.anyio
async def test_the_collector_is_back_when_the_first_month_fails(tui_cli: Run) -> None:
    assert tui_cli("db", "downgrade", "0001", "--yes").exit_code == 0
    collector.pause()
    try:
        app = SocialhubApp(blink=False)
        async with app.run_test(size=(120, 36)) as pilot:
            deadline = time.monotonic() + 30
            while app.fatal is None and time.monotonic() < deadline:
                await pilot.pause(0.05)
        assert app.fatal is not None
        assert not collector.paused() and gc.isenabled()
    finally:
        collector.resume()
        gc.unfreeze()


def test_the_collector_is_left_alone_where_it_was_not_paused() -> None:
    gc.disable()  # off for another reason (not by pause): resume must not turn it on
    try:
        collector.resume()
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.anyio
async def test_a_config_the_tui_cannot_use_closes_it_with_the_error(
        tui_cli: Run, tmp_path: Path) -> None:
    bad = tmp_path / "config.yaml"
    bad.write_text("database: [not, a, mapping\n")
    app = SocialhubApp(config_path=str(bad), blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        deadline = time.monotonic() + 30
        while app.fatal is None and time.monotonic() < deadline:
            await pilot.pause(0.05)
    assert app.fatal is not None and "not valid YAML" in str(app.fatal)
    assert app.return_code == ExitCode.CONFIG


def run_in_terminal(args: list[str], timeout: float = 30) -> tuple[int, str]:
    """Run ``socialhub ARGS`` in a pseudo-terminal; its exit code and everything it wrote."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: become socialhub
        os.execv(sys.executable, [sys.executable, "-m", "socialhub", *args])
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    # The terminal reads as closed as the child starts exiting, a moment before it
    # can be reaped: wait for it (up to the same deadline).
    finished, status = os.waitpid(pid, os.WNOHANG)
    while not finished and time.monotonic() < deadline:
        time.sleep(0.02)
        finished, status = os.waitpid(pid, os.WNOHANG)
    if not finished:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        raise AssertionError(f"socialhub {' '.join(args)} did not exit: {out[-2000:]!r}")
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def after_the_tui(out: str) -> str:
    """What the terminal shows once the TUI has left its alternate screen."""
    assert "\x1b[?1049l" in out, out  # the TUI did open, and closed cleanly
    return ANSI.sub("", out.rsplit("\x1b[?1049l", 1)[1]).replace("\r", "").strip()


def test_socialhub_tui_prints_why_it_cannot_start_and_exits_non_zero(
        tui_cli: Run, tmp_path: Path) -> None:
    bad = tmp_path / "config.yaml"
    bad.write_text("database: [not, a, mapping\n")
    code, out = run_in_terminal(["--config", str(bad), "tui"])
    assert code == ExitCode.CONFIG, out
    assert after_the_tui(out) == f"error: {bad}:2:1: not valid YAML"
    # A key only the settings schema refuses: the month is read (and painted) quickly,
    # then opening the database with the whole config closes the TUI the same way.
    bad.write_text("daemon:\n  bogus: 1\n")
    assert quick_first_month(str(bad)) is not None
    code, out = run_in_terminal(["--config", str(bad), "tui"])
    assert code == ExitCode.CONFIG, out
    assert after_the_tui(out) == f"error: {bad}:2: daemon.bogus: Extra inputs are not permitted"
    assert tui_cli("db", "downgrade", "0001", "--yes").exit_code == 0
    code, out = run_in_terminal(["tui"])
    assert code == ExitCode.DATABASE, out
    assert after_the_tui(out).startswith("error: database schema is at revision 0001")
    assert after_the_tui(out).endswith("(run `socialhub db upgrade` (a SQLite file is backed up "
                                       "first))")
