"""The analytics screen: S from the calendar shows totals, a trend, networks and the
best-time heatmap; p and f change the period and the account; it looks as recorded."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static
from textual_plotext import PlotextPlot

from socialhub.tui.app import SocialhubApp
from socialhub.tui.screens.analytics_screen import AnalyticsScreen, count_ticks
from socialhub.tui.screens.calendar_screen import CalendarScreen
from tests.conftest import CLIResult
from tests.tui.tui_kit import BS, MA, NOW, settle

Run = Callable[..., CLIResult]
HEADER = "account,published_at,text,url,impressions,likes,replies,reposts,quotes,clicks,saves"


def _ago(days: int, hour: int) -> str:
    now = datetime.fromisoformat(NOW)
    return (now - timedelta(days=days)).replace(hour=hour, minute=0).isoformat()


@pytest.fixture
def history(tui_cli: Run, tmp_path: Path) -> Run:
    """Past posts of both seeded accounts: Bluesky's in the last week, Mastodon's over
    two months (so 7 and 90 days differ)."""
    rows = [f"{BS},{_ago(d, 9 + d % 8)},bs {d},,,{40 + 7 * d},{d},{d % 5},0,,"
            for d in range(1, 7)]
    rows += [f"{MA},{_ago(d, 18)},ma {d},,{900 + d},{10 + d},2,3,0,1,0"
             for d in range(2, 60, 3)]
    path = tmp_path / "history.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    result = tui_cli("analytics", "import", str(path))
    assert result.exit_code == 0, result.stderr
    return tui_cli


def _text(app: SocialhubApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


@pytest.mark.anyio
async def test_s_shows_the_analytics_and_p_f_change_period_and_account(history: Run) -> None:
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AnalyticsScreen)
        assert "all accounts, last 30 days" in _text(app, "#analytics-title")
        assert _text(app, "#analytics-totals").startswith("16 posts")
        data: dict[str, Any] = screen.data or {}
        assert {r["key"] for r in data["overview"]["by_platform"]} == {"bluesky", "mastodon"}
        # 30 local days; part A's daily series is in UTC days, so Berlin's span 31.
        assert len(data["overview"]["daily"]) in (30, 31)
        for plot in ("#trend-plot", "#platform-plot"):
            assert screen.query_one(plot, PlotextPlot).size.height >= 8
        # The count axis is marked with round, whole numbers (plotext's own: "5627.5").
        drawn = re.sub(r"\x1b\[[0-9;]*m", "",
                       screen.query_one("#trend-plot", PlotextPlot).plt.build())
        marks = [line.split("┤")[0].strip() for line in drawn.splitlines() if "┤" in line]
        assert marks and marks[-1] == "0" and all(re.fullmatch(r"\d{1,3}(,\d{3})*", m)
                                                  for m in marks), marks
        heat = str(screen.query_one("#heatmap", Static).render())
        assert heat.startswith("Best times (Europe/Berlin)")
        assert "█" in heat and heat.count("\n") >= 9  # title, hours, 7 days, legend
        await pilot.press("p")
        await settle(pilot)
        assert "last 90 days" in _text(app, "#analytics-title")
        assert _text(app, "#analytics-totals").startswith("26 posts")
        await pilot.press("p", "p")  # 7 days, then back to 30
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        assert f"{BS}, last 30 days" in _text(app, "#analytics-title")
        assert _text(app, "#analytics-totals").startswith("6 posts")
        await pilot.press("f")
        await settle(pilot)
        assert f"{MA}, last 30 days" in _text(app, "#analytics-title")
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CalendarScreen)


@pytest.mark.anyio
async def test_help_names_the_analytics_key(history: Run) -> None:
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert "Analytics" in app.export_screenshot().replace("&#160;", " ")


async def _open_analytics(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("S")
    await settle(pilot)


@pytest.mark.parametrize("size", [(120, 36), (80, 24)], ids=["120x36", "80x24"])
def test_analytics_screen_looks_as_recorded(size: tuple[int, int], history: Run,
                                            snap_compare: Any) -> None:
    assert snap_compare(SocialhubApp(blink=False, refresh_every=None), terminal_size=size,
                        run_before=_open_analytics)


def test_count_ticks_are_whole_round_and_reach_the_largest() -> None:
    for largest in (0, 1, 7, 11_248, 104_423, 2_500_000):
        ticks, labels = count_ticks(largest)
        assert ticks[0] == 0 and ticks[-1] >= largest and len(ticks) >= 2, (largest, ticks)
        steps = {b - a for a, b in itertools.pairwise(ticks)}
        assert len(steps) == 1, ticks  # evenly spaced
        assert labels == [f"{t:,}" for t in ticks]
    assert count_ticks(11_248)[1] == ["0", "3,000", "6,000", "9,000", "12,000"]
