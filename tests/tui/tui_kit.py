"""Shared pieces of the TUI tests: the seeded home's data and helpers (fixtures: conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from textual.pilot import Pilot
from textual.widget import Widget

from tests.conftest import CLIResult

W = TypeVar("W", bound=Widget)

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


async def wait_for_node(pilot: Pilot[Any], selector: str, kind: type[W],
                        timeout: float = 10.0) -> W:
    """The current screen's node matching ``selector``, waiting (up to ``timeout`` s) for a
    screen just pushed to compose it: under load that takes longer than ``settle``."""
    from time import monotonic

    from textual.css.query import NoMatches

    deadline = monotonic() + timeout
    while True:
        try:
            return pilot.app.screen.query_one(selector, kind)
        except NoMatches:
            if monotonic() > deadline:
                raise
            await pilot.pause(0.05)


def screen_lines(pilot: Pilot[Any]) -> list[str]:
    """The current screen as a person sees it: one string per terminal row, as drawn
    (what ``export_screenshot`` draws into its SVG, as plain text)."""
    import io

    from rich.console import Console

    app = pilot.app
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False,
                      safe_box=False)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False).splitlines()
