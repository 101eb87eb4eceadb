"""The report as PDF, drawn with fpdf2: A4, tables as text, charts as embedded SVG.

fpdf2 is pure Python (Pillow, fontTools, defusedxml) and installs from PyPI alone;
WeasyPrint would need the system's Pango, xhtml2pdf's SVG path Cairo. The text is set
in DejaVu Sans from matplotlib's own data (already a dependency for the charts), so
post text in any script that font covers prints instead of failing on Latin-1.
"""

from __future__ import annotations

import io
from typing import Any

from socialhub.db.queries.analytics import METRICS
from socialhub.services.analytics.figures import count, preview, rate

_FONT = "DejaVu"
_ACCENT = (59, 110, 168)


def _fonts(pdf: Any) -> None:
    from pathlib import Path

    import matplotlib

    ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdf.add_font(_FONT, "", str(ttf / "DejaVuSans.ttf"))
    pdf.add_font(_FONT, "B", str(ttf / "DejaVuSans-Bold.ttf"))


def _heading(pdf: Any, text: str) -> None:
    pdf.ln(3)
    pdf.set_font(_FONT, "B", 12)
    pdf.set_text_color(*_ACCENT)
    pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(_FONT, "", 8)


def _table(pdf: Any, header: list[str], rows: list[list[str]], widths: list[float],
           left: int = 0) -> None:
    """A table whose first ``left`` columns are text (left-aligned), the rest figures."""
    aligns = ["L" if i < left else "R" for i in range(len(widths))]
    pdf.set_font(_FONT, "B", 6.8)
    for text, w, align in zip(header, widths, aligns, strict=True):
        pdf.cell(w, 6, text, border="B", align=align)
    pdf.ln()
    pdf.set_font(_FONT, "", 7.5)
    for row in rows:
        for text, w, align in zip(row, widths, aligns, strict=True):
            pdf.cell(w, 5.5, _fit(pdf, text, w), align=align)
        pdf.ln()


def _fit(pdf: Any, text: str, width: float) -> str:
    if pdf.get_string_width(text) <= width - 1:
        return text
    while text and pdf.get_string_width(text + "…") > width - 1:
        text = text[:-1]
    return text + "…"


def _chart(pdf: Any, svg: str) -> None:
    if pdf.get_y() > 200:
        pdf.add_page()
    pdf.image(io.BytesIO(svg.encode()), w=pdf.epw)
    pdf.ln(2)


def draw_pdf(data: dict[str, Any], svgs: dict[str, str]) -> bytes:
    """The report's PDF bytes: title, window and formula, totals, the trend, networks
    (chart and table), top posts and the best-time heatmap."""
    import logging

    from fpdf import FPDF

    # fpdf2 warns about each SVG tag it skips (matplotlib's <metadata>): noise, not news.
    logging.getLogger("fpdf.svg").setLevel(logging.ERROR)
    pdf = FPDF(format="A4")
    pdf.set_title(f"{data['title']} — socialhub report")
    pdf.set_creator("socialhub")
    pdf.set_creation_date(data["generated_at"])
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.c_margin = 1.5
    _fonts(pdf)
    pdf.add_page()
    pdf.set_font(_FONT, "B", 18)
    pdf.cell(0, 10, data["title"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, "", 9)
    window = data["window"]
    pdf.set_text_color(90, 101, 115)
    pdf.multi_cell(0, 5, f"Published {window['since']:%Y-%m-%d} to {window['until']:%Y-%m-%d}"
                   f" (UTC), days read in {window['zone']}; generated "
                   f"{data['generated_at']:%Y-%m-%d}.\n{data['formula']}. "
                   "“—” means the network does not give that figure.",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    totals = data["totals"]
    _heading(pdf, "Totals")
    _table(pdf, ["posts", *METRICS, "engagement"],
           [[count(totals["posts"]), *(count(totals[m]) for m in METRICS),
             rate(totals["engagement_rate"])]],
           [pdf.epw / (len(METRICS) + 2)] * (len(METRICS) + 2))
    _clicks(pdf, data["clicks"])
    _heading(pdf, "Trend")
    _chart(pdf, svgs["trend"])
    _heading(pdf, "Networks")
    _chart(pdf, svgs["platforms"])
    net_widths = [28.0, *([(pdf.epw - 28.0) / (len(METRICS) + 2)] * (len(METRICS) + 2))]
    _table(pdf, ["network", "posts", *METRICS, "engagement"],
           [[p["key"], count(p["posts"]), *(count(p[m]) for m in METRICS),
             rate(p["engagement_rate"])] for p in data["by_platform"]], net_widths, left=1)
    _heading(pdf, "Top posts")
    _table(pdf, ["published", "account", "post", "likes", "replies", "reposts", "engagement"],
           [[f"{t['published_at']:%Y-%m-%d}", t["account"], preview(t["text"]) or t["post"],
             count(t["likes"]),
             count(t["replies"]), count(t["reposts"]), rate(t["engagement_rate"])]
            for t in data["top"]], [20, 38, 56, 18, 18, 18, 22], left=3)
    _heading(pdf, "Best times")
    _chart(pdf, svgs["heatmap"])
    best = data["best_times"]["best"]
    if best:
        pdf.multi_cell(0, 5, f"Best hours ({data['best_times']['zone']}): " + ", ".join(
            f"{b['day'].capitalize()} {b['hour']:02d}:00 ({b['posts']} posts)" for b in best)
            + ".", new_x="LMARGIN", new_y="NEXT")
    if "experiments" in data:
        _experiments(pdf, data["experiments"])
        _policy(pdf, data["policy_findings"], data["policy_note"])
    return bytes(pdf.output())


def _clicks(pdf: Any, clicks: dict[str, Any]) -> None:
    _heading(pdf, "Clicks and CTR")
    rows = [[c["key"], count(c["posts"]), count(c["impressions"]), count(c["clicks"]),
             rate(c["ctr"])] for c in clicks["by_platform"]]
    if not rows:
        pdf.multi_cell(0, 5, "No clicks counted: no post in this window has a clicks count.",
                       new_x="LMARGIN", new_y="NEXT")
        return
    t = clicks["total"]
    rows.append(["total", count(t["posts"]), count(t["impressions"]), count(t["clicks"]),
                 rate(t["ctr"])])
    _table(pdf, ["network", "posts", "impressions", "clicks", "CTR"], rows,
           [40.0, *([(pdf.epw - 40.0) / 4] * 4)], left=1)


def _experiments(pdf: Any, experiments: list[dict[str, Any]]) -> None:
    _heading(pdf, "Experiments")
    if not experiments:
        pdf.multi_cell(0, 5, "No experiments in this campaign.", new_x="LMARGIN",
                       new_y="NEXT")
    for e in experiments:
        pdf.set_font(_FONT, "B", 9)
        pdf.cell(0, 6, e["name"], new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(_FONT, "", 8)
        pdf.multi_cell(0, 4.5, f"{e['metric']} per impression, split by {e['split']}, at "
                       f"least {e['min_sample']:,} impressions per arm, winner at P(best) ≥ "
                       f"{e['confidence']:g}; {e['status']}.", new_x="LMARGIN", new_y="NEXT")
        _table(pdf, ["arm", "post", "impressions", e["counts"], "rate", "95% interval",
                     "P(best)"],
               [[a["name"], a["post"], count(a["impressions"]), count(a["successes"]),
                 rate(a["rate"]),
                 "—" if a["low"] is None else f"{rate(a['low'])}–{rate(a['high'])}",
                 "—" if a["p_best"] is None else f"{a['p_best']:.3f}"] for a in e["arms"]],
               [24, 46, 22, 22, 18, 30, 18], left=2)
        pdf.set_font(_FONT, "B", 8)
        pdf.multi_cell(0, 5, e["verdict"], new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(_FONT, "", 8)


def _policy(pdf: Any, findings: list[dict[str, Any]], note: str) -> None:
    _heading(pdf, "Policy findings")
    if not findings:
        pdf.multi_cell(0, 5, f"{note[:1].upper()}{note[1:]}.", new_x="LMARGIN", new_y="NEXT")
        return
    _table(pdf, ["post", "account", "rule", "severity", "finding"],
           [[f["post"], f["account"], f["rule"], f["severity"], f["message"]]
            for f in findings], [34, 34, 28, 18, pdf.epw - 114], left=5)
