"""A report's figures (``report.build_report``) as HTML, PDF, CSV or JSON bytes.

The HTML is a Jinja2 template shipped in the package (``templates/report.html.j2``)
with the SVG charts inline; the PDF is drawn with fpdf2 (pure Python, installs from
PyPI alone: no Pango or Cairo) in DejaVu Sans, the font matplotlib ships, so any
script in post text prints; CSV and JSON carry the same figures as the tables.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from socialhub.db.queries.analytics import METRICS
from socialhub.services.analytics import report_charts as charts
from socialhub.services.analytics.figures import count, preview, rate
from socialhub.services.analytics.report_pdf import draw_pdf

#: The columns of the CSV: which table a row is from, its key, then the figures; ``ctr``
#: on ``clicks`` rows, ``ctr`` (the arm's rate), ``p_best`` and ``verdict`` on
#: ``experiment`` rows, ``verdict`` (the finding) on ``policy`` rows.
CSV_COLUMNS: tuple[str, ...] = ("section", "key", "posts", *METRICS, "engagement_rate",
                                "ctr", "p_best", "verdict")


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _day(value: datetime) -> str:
    return value.strftime("%Y-%m-%d")


def render_json(data: dict[str, Any]) -> bytes:
    """The figures as indented JSON (instants in ISO 8601)."""
    return (json.dumps(data, default=_default, indent=2, ensure_ascii=False) + "\n").encode()


def csv_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per table line (``CSV_COLUMNS``): ``total``, each ``platform``, each
    ``day``, each ``top`` post (keyed ``account post``), each network's ``clicks``; for
    a campaign each ``experiment`` arm (keyed ``experiment/arm``) and each ``policy``
    finding; absent figures empty."""
    def row(section: str, key: str, figures: dict[str, Any]) -> dict[str, Any]:
        return {"section": section, "key": key, "posts": figures.get("posts", 1),
                **{m: figures.get(m) for m in METRICS},
                "engagement_rate": figures.get("engagement_rate")}

    rows = [row("total", data["title"], data["totals"])]
    rows += [row("platform", r["key"], r) for r in data["by_platform"]]
    rows += [row("day", r["period"], r) for r in data["daily"]]
    rows += [row("top", f"{r['account']} {r['post']}", r) for r in data["top"]]
    rows += [{**row("clicks", c["key"], {"posts": c["posts"], "impressions": c["impressions"],
                                         "clicks": c["clicks"]}), "ctr": c["ctr"]}
             for c in data["clicks"]["by_platform"]]
    for e in data.get("experiments", []):
        rows += [{**row("experiment", f"{e['name']}/{a['name']}",
                        {"posts": a["published"], "impressions": a["impressions"],
                         "likes": a["likes"], "clicks": a["clicks"]}),
                  "ctr": a["rate"], "p_best": a["p_best"], "verdict": e["verdict"]}
                 for a in e["arms"]]
    rows += [{**row("policy", f["post"], {"posts": 1}), "verdict": f["message"]}
             for f in data.get("policy_findings", [])]
    return rows


def render_csv(data: dict[str, Any]) -> bytes:
    """The figures as one CSV table (``csv_rows``)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in csv_rows(data):
        writer.writerow({k: "" if v is None else v for k, v in r.items()})
    return buf.getvalue().encode()


def chart_svgs(data: dict[str, Any]) -> dict[str, str]:
    """The report's charts: ``trend``, ``platforms``, ``heatmap`` (SVG text)."""
    return {"trend": charts.trend_svg(data["daily"]),
            "platforms": charts.platform_svg(data["by_platform"]),
            "heatmap": charts.heatmap_svg(data["best_times"]["cells"],
                                          data["best_times"]["zone"])}


def render_html(data: dict[str, Any]) -> bytes:
    """A self-contained HTML page: totals, charts, the per-network and top-post tables."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("socialhub.services.analytics", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    env.filters.update(count=count, rate=rate, day=_day, preview=preview)
    template = env.get_template("report.html.j2")
    return template.render(r=data, metrics=METRICS, charts=chart_svgs(data)).encode()


def render_pdf(data: dict[str, Any]) -> bytes:
    """The same report as an A4 PDF (``report_pdf``)."""
    return draw_pdf(data, chart_svgs(data))


RENDERERS: dict[str, Callable[[dict[str, Any]], bytes]] = {
    "html": render_html, "pdf": render_pdf, "csv": render_csv, "json": render_json}


def render_report(data: dict[str, Any], fmt: str) -> bytes:
    """``data`` in ``fmt`` (html, pdf, csv or json)."""
    return RENDERERS[fmt](data)
