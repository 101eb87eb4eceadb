"""How ``socialhub analytics`` prints: tables with sparklines and bars, JSON, or CSV.

Tables go to stdout with the engagement formula in their caption; CSV goes to stdout
with a header row (the formula then goes to stderr, so the CSV stays plain); absent
metrics print as "—" in tables, as an empty cell in CSV and as null in JSON.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from enum import Enum
from typing import Annotated, Any

import typer

from socialhub.cli.charts import bar, count, rate, sparkline
from socialhub.cli.common import emit_json, info, out
from socialhub.cli.fit_table import Column, fitted_table

METRICS = ("impressions", "likes", "replies", "reposts", "quotes", "clicks", "saves")
#: Which metric columns a narrow terminal leaves out, the highest first (the rest stay).
METRIC_DROP = {"saves": 4, "quotes": 3, "clicks": 2, "reposts": 1, "replies": 1}
#: Bars go before any number.
BAR_DROP = 5

CsvOption = Annotated[bool, typer.Option(
    "--csv", help="Print CSV (a header row, then one row per line) instead of a table.")]


class Format(Enum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def output_format(json_: bool, csv_: bool) -> Format:
    """The format asked for; --json and --csv together are a usage error."""
    if json_ and csv_:
        from socialhub.errors import ValidationError

        raise ValidationError("--json and --csv cannot be combined")
    return Format.JSON if json_ else Format.CSV if csv_ else Format.TABLE


def emit_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str],
             formula: str | None = None) -> None:
    """Write ``rows`` as CSV with ``columns`` (absent values as empty cells)."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else _plain(row.get(c)) for c in columns])
    if formula:
        info(formula)


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return value


def window_line(data: dict[str, Any]) -> str:
    """``since → until (zone)`` of an answer's window, for a table's title."""
    w = data["window"]
    return f"{w['since']:%Y-%m-%d %H:%M} → {w['until']:%Y-%m-%d %H:%M} UTC"


def totals_table(title: str, rows: Sequence[dict[str, Any]], key_title: str,
                 formula: str, *, extra: dict[str, Any] | None = None) -> None:
    """Rows of totals (``key`` + posts + metrics + engagement_rate) with a bar of
    interactions per row; on a narrow terminal the bar and the rarer metrics give way
    (named in the caption), never a number's digits."""
    largest = max((r.get("likes") or 0 for r in rows), default=0)
    columns = [Column(key_title, "left", wrap=True), Column("posts"),
               *(Column(m, drop=METRIC_DROP.get(m, 0)) for m in METRICS),
               Column("engagement"),
               Column("likes", "left", drop=BAR_DROP, called="the likes bar")]
    cells = [[str(r.get("key") or "(none)"), count(r["posts"]),
              *(count(r.get(m)) for m in METRICS), rate(r.get("engagement_rate")),
              bar(r.get("likes"), largest, 12)] for r in rows]
    out().print(fitted_table(title, formula, columns, cells, out().width))


def posts_table(title: str, rows: Sequence[dict[str, Any]], formula: str,
                highlight: str | None = None) -> None:
    """Post rows (newest metrics) with a bar for ``highlight`` (a metric or engagement);
    on a narrow terminal the text is cut and the bar and rarer metrics give way."""
    key = "engagement_rate" if highlight in (None, "engagement") else highlight
    shown = ("impressions", "likes", "replies", "reposts", "clicks")
    largest = max((r.get(key) or 0 for r in rows), default=0)
    # On a narrow terminal the ranked metric and the engagement rate stay.
    drops = {m: 0 if m == highlight else METRIC_DROP.get(m, 1) for m in shown}
    columns = [Column("published (UTC)", "left", wrap=True),
               Column("account", "left", wrap=True),
               Column("post", "left", shrink=10, widest=40),
               *(Column(m, drop=drops[m]) for m in shown), Column("engagement"),
               Column(highlight or "engagement", "left", drop=BAR_DROP,
                      called=f"the {highlight or 'engagement'} bar")]
    cells = [[f"{r['published_at']:%Y-%m-%d %H:%M}", r["account"],
              " ".join((r["text"] or r["post"]).split()),
              *(count(r.get(m)) for m in shown), rate(r.get("engagement_rate")),
              bar(r.get(key), largest, 12)] for r in rows]
    out().print(fitted_table(title, formula, columns, cells, out().width))


def overview_tables(data: dict[str, Any]) -> None:
    """The overview: totals with a daily likes sparkline, per network, followers."""
    from rich.table import Table

    t = data["totals"]
    daily = data["daily"]
    summary = Table(title=f"Analytics overview, {window_line(data)}", caption=data["formula"],
                    show_header=False)
    summary.add_column("what")
    summary.add_column("value", justify="right")
    summary.add_column("per day")
    summary.add_row("posts", count(t["posts"]), sparkline([d["posts"] for d in daily]))
    for m in METRICS:
        summary.add_row(m, count(t[m]), sparkline([d.get(m) for d in daily]))
    summary.add_row("engagement rate", rate(t["engagement_rate"]),
                    sparkline([d.get("engagement_rate") for d in daily]))
    out().print(summary)
    if data["by_platform"]:
        totals_table("By network", data["by_platform"], "network", data["formula"])
    if data["followers"]:
        followers = Table(title="Followers")
        for col in ("account", "followers", "change", "trend"):
            followers.add_column(col, justify="left" if col in ("account", "trend") else "right")
        for f in data["followers"]:
            delta = f["followers_delta"]
            followers.add_row(f["account"], count(f["last_followers"]),
                              "—" if delta is None else f"{delta:+,}",
                              sparkline(f["series"], from_zero=False))
        out().print(followers)


def best_times_table(data: dict[str, Any]) -> None:
    """The weekday × hour grid: mean interactions per post and (sample size)."""
    from rich.table import Table
    from rich.text import Text

    cells = {(c["weekday"], c["hour"]): c for c in data["cells"]}
    hours = sorted({c["hour"] for c in data["cells"] if c["posts"]})
    table = Table(title=f"Best times ({data['zone']}): mean interactions per post "
                        "(posts published)",
                  caption=f"interactions = likes + replies + reposts + quotes + saves + "
                          f"clicks; suggested from cells with ≥ {data['min_posts']} posts")
    table.add_column("hour")
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    for day in days:
        table.add_column(day, justify="right")
    best = {(c["weekday"], c["hour"]) for c in data["best"]}
    for hour in hours:
        row: list[str | Text] = [f"{hour:02d}:00"]
        for wd in range(7):
            c = cells[(wd, hour)]
            if not c["posts"]:
                row.append("")
                continue
            text = f"{count(c['mean_interactions'])} ({c['posts']})"
            row.append(Text(text, style="bold green") if (wd, hour) in best else text)
        table.add_row(*row)
    out().print(table)
    if not hours:
        info("no published posts in this window: import history with "
             "`socialhub analytics import FILE.csv`")


def gaps_table(data: dict[str, Any]) -> None:
    """Days × networks: planned counts, gaps marked."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"Planned posts per day ({data['zone']}); — marks a gap")
    table.add_column("day")
    for p in data["platforms"]:
        table.add_column(p, justify="right")
    for d in data["days"]:
        table.add_row(f"{d['weekday']} {d['day']}",
                      *(Text("—", style="red") if d["planned"][p] == 0 else str(d["planned"][p])
                        for p in data["platforms"]))
    out().print(table)
    info(f"{len(data['gaps'])} gap(s)" if data["platforms"] else
         "no active accounts: add one with `socialhub accounts add`")


def emit(fmt: Format, data: Any, rows: Sequence[dict[str, Any]], columns: Sequence[str],
         table: Any) -> None:
    """Print ``data`` as JSON, ``rows`` as CSV, or call ``table()``."""
    if fmt is Format.JSON:
        emit_json(data)
    elif fmt is Format.CSV:
        emit_csv(rows, columns, data.get("formula") if isinstance(data, dict) else None)
    else:
        table()
