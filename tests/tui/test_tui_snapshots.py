"""SVG snapshots of every screen at 120×36 and 80×24, made deterministic.

Frozen clock (SOCIALHUB_FAKE_NOW), fixed zone, a copy of one seeded database,
no cursor blink. Update after an intended change with
``pytest tests/tui/test_tui_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import SelectionList, TextArea

from socialhub.tui.app import SocialhubApp
from tests.tui.tui_kit import settle


async def _editor(pilot: Pilot[Any]) -> None:
    await pilot.press("n")
    await settle(pilot)
    screen = pilot.app.screen
    targets = screen.query_one("#targets", SelectionList)
    targets.select(targets.get_option_at_index(0).value)
    await settle(pilot)
    screen.query_one("#body", TextArea).text = "We ship on Monday. " * 18
    await settle(pilot)


def _keys(*keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press(*keys)
        await settle(pilot)
    return run_before


async def _editor_after_load(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await _editor(pilot)


SCREENS = {
    "month": _keys("right", "right"),
    "week": _keys("w", "right", "right"),
    "editor": _editor_after_load,
    "confirm": _keys("right", "right", "shift+right"),
    "queue": _keys("Q"),
    "accounts": _keys("A"),
    "help": _keys("question_mark"),
}


@pytest.mark.parametrize("size", [(120, 36), (80, 24)], ids=["120x36", "80x24"])
@pytest.mark.parametrize("name", list(SCREENS))
def test_screen_looks_as_recorded(name: str, size: tuple[int, int], tui_cli: object,
                                  snap_compare: Any) -> None:
    # No queue auto-refresh: a re-read landing mid-screenshot would redraw the table.
    assert snap_compare(SocialhubApp(blink=False, refresh_every=None), terminal_size=size,
                        run_before=SCREENS[name])
