"""Analytics: a trend line, networks compared as bars and the best-time heatmap.

The trend and the networks are textual-plotext widgets (plotext drawn in the terminal,
following the app's theme); the heatmap is a grid of shades (``widgets/heatmap.py``).
``p`` cycles the period (7, 30, 90 days), ``f`` the account (all, then each).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Header, Static
from textual_plotext import PlotextPlot

from socialhub.services.analytics.dashboard import PERIODS, dashboard
from socialhub.tui.background import run_service
from socialhub.tui.widgets.footer import compact_footer
from socialhub.tui.widgets.heatmap import Heatmap

if TYPE_CHECKING:
    from socialhub.tui.host import HubApp

INTERACTIONS = ("likes", "replies", "reposts", "quotes", "saves", "clicks")


def interactions(row: dict[str, Any]) -> int:
    """A row's likes + replies + reposts + quotes + saves + clicks (absent adds 0)."""
    return sum(row.get(m) or 0 for m in INTERACTIONS)


def _count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def count_ticks(largest: int) -> tuple[list[float], list[str]]:
    """Where to mark a count axis that reaches ``largest``, and the labels: whole,
    round numbers with separators (``0``, ``3,000``, ``6,000``…), which plotext's own
    ticks are not (``5627.5``)."""
    from matplotlib.ticker import MaxNLocator  # a screen opened on demand: not at start-up

    ticks: list[float] = [int(t) for t in MaxNLocator(nbins=4, integer=True, min_n_ticks=2)
                          .tick_values(0, max(1, largest)) if t >= 0]
    return ticks, [f"{t:,}" for t in ticks]


class AnalyticsScreen(Screen[None]):
    """What the posts earned: totals, a trend, networks and the best hours."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "period", "Period", tooltip="7, 30 or 90 days"),
        Binding("f", "account", "Account", tooltip="All accounts, then each in turn"),
        Binding("g", "reload", "Refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.days = 30
        self.account: str | None = None
        self.accounts: list[str] = []
        self.data: dict[str, Any] | None = None

    @property
    def hub_app(self) -> HubApp:
        """The running app, typed."""
        return cast("HubApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="analytics-title", markup=False)
        yield Static("", id="analytics-totals")
        yield PlotextPlot(id="trend-plot")
        with Horizontal(id="analytics-lower"):
            yield PlotextPlot(id="platform-plot")
            yield Heatmap(id="heatmap")
        yield compact_footer()

    def on_screen_resume(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        """Re-read the figures for the current period and account."""
        run_service(self, dashboard, days=self.days, account=self.account, then=self._show)

    def action_period(self) -> None:
        """Show the next period: 7, 30, then 90 days."""
        self.days = PERIODS[(PERIODS.index(self.days) + 1) % len(PERIODS)]
        self.action_reload()

    def action_account(self) -> None:
        """Show the next account (all accounts, then each in turn)."""
        choices: list[str | None] = [None, *self.accounts]
        at = choices.index(self.account) if self.account in choices else 0
        self.account = choices[(at + 1) % len(choices)]
        self.action_reload()

    def _show(self, data: dict[str, Any]) -> None:
        self.data = data
        self.accounts = data["accounts"]
        overview = data["overview"]
        totals = overview["totals"]
        who = data["account"] or "all accounts"
        self.query_one("#analytics-title", Static).update(
            f"Analytics: {who}, last {data['days']} days · p period · f account")
        rate = totals["engagement_rate"]
        self.query_one("#analytics-totals", Static).update(
            f"{totals['posts']} posts · impressions {_count(totals['impressions'])} · "
            f"likes {_count(totals['likes'])} · replies {_count(totals['replies'])} · "
            f"reposts {_count(totals['reposts'])} · engagement "
            + ("—" if rate is None else f"{rate * 100:.2f}%"))
        self._trend(overview["daily"])
        self._platforms(overview["by_platform"])
        self._heatmap(data["best_times"])

    def _trend(self, daily: list[dict[str, Any]]) -> None:
        widget = self.query_one("#trend-plot", PlotextPlot)
        plt = widget.plt
        plt.clear_data()
        plt.clear_figure()
        xs: list[float] = list(range(1, len(daily) + 1))
        values = [interactions(r) for r in daily]
        plt.plot(xs, values, marker="braille", label="interactions")
        step = max(1, len(daily) // 6)
        plt.xticks(xs[::step], [r["period"][5:] for r in daily][::step])
        ticks, labels = count_ticks(max(values, default=0))
        plt.yticks(ticks, labels)
        plt.ylim(0, ticks[-1])
        plt.title("Interactions per day")
        widget.refresh()

    def _platforms(self, rows: list[dict[str, Any]]) -> None:
        widget = self.query_one("#platform-plot", PlotextPlot)
        plt = widget.plt
        plt.clear_data()
        plt.clear_figure()
        if rows:
            values = [interactions(r) for r in rows]
            plt.bar([r["key"] for r in rows], values, orientation="horizontal", width=0.4)
            ticks, labels = count_ticks(max(values))
            plt.xticks(ticks, labels)
            plt.xlim(0, ticks[-1])
        plt.title("Interactions per network")
        widget.refresh()

    def _heatmap(self, grid: dict[str, Any]) -> None:
        self.query_one("#heatmap", Heatmap).show(grid["cells"], grid["zone"])
