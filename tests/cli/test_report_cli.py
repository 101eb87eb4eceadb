"""``socialhub report``: a campaign's or an account's results as HTML, PDF, CSV and JSON
files whose figures are the query API's, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from socialhub.db.models import Campaign, Post
from tests.conftest import CLIResult

CLI = Callable[..., CLIResult]
HEADER = "account,published_at,text,url,impressions,likes,replies,reposts,quotes,clicks,saves"
SVG = "{http://www.w3.org/2000/svg}svg"


def _days_ago(days: int, hour: int = 9) -> str:
    day = datetime.now(UTC) - timedelta(days=days)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0).isoformat()


def _json(result: CLIResult) -> Any:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def launch(dbcli: CLI, hub: Any, tmp_path: Path) -> dict[str, Any]:
    """Three imported posts, two of them put in the campaign "launch"; returns the
    campaign's totals as ``analytics overview --campaign launch --json`` gives them."""
    assert dbcli("accounts", "add", "bluesky:@shop.example.com").exit_code == 0
    assert dbcli("accounts", "add", "mastodon:@me@social.example").exit_code == 0
    assert dbcli("campaigns", "add", "launch").exit_code == 0
    history = tmp_path / "history.csv"
    history.write_text("\n".join([
        HEADER,
        f"bluesky:@shop.example.com,{_days_ago(2)},launch day,https://bsky.app/p/1,,40,5,8,1,,2",
        f"mastodon:@me@social.example,{_days_ago(3, 18)},launch toot,,1000,10,2,3,0,7,",
        f"mastodon:@me@social.example,{_days_ago(4)},unrelated,,2000,30,4,6,0,0,1",
    ]) + "\n", encoding="utf-8")
    assert dbcli("analytics", "import", str(history)).exit_code == 0
    # Published posts can no longer be edited, so the campaign is set as a past
    # campaign's posts would have had it.
    names = [row["post"] for row in _json(dbcli("analytics", "posts", "--json"))["posts"]
             if row["text"].startswith("launch")]
    with hub.transaction() as session:
        campaign = session.scalar(select(Campaign.id).where(Campaign.name == "launch"))
        session.execute(update(Post).where(Post.name.in_(names)).values(campaign_id=campaign))
    return _json(dbcli("analytics", "overview", "--campaign", "launch", "--json"))


def test_pdf_report_names_the_campaign_and_its_totals(dbcli: CLI, launch: dict[str, Any],
                                                      tmp_path: Path) -> None:
    out = tmp_path / "launch.pdf"
    summary = _json(dbcli("report", "--campaign", "launch", "--since", "30d", "-o", str(out),
                          "--json"))
    assert summary["format"] == "pdf" and summary["totals"]["posts"] == 2
    reader = PdfReader(out)
    assert 1 <= len(reader.pages) <= 3
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Campaign launch" in text
    totals = launch["totals"]
    assert totals["likes"] == 50 and totals["impressions"] == 1000
    for figure in (f"{totals['likes']:,}", f"{totals['impressions']:,}",
                   f"{totals['engagement_rate'] * 100:.2f}%"):
        assert figure in text
    assert "launch day" in text and "launch toot" in text  # the top posts, by their text
    assert "unrelated" not in text


def test_html_report_shows_the_figures_and_charts_that_parse(
        dbcli: CLI, launch: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "launch.html"
    assert dbcli("report", "--campaign", "launch", "-o", str(out)).exit_code == 0
    html = out.read_text(encoding="utf-8")
    assert "<h1 id=\"title\">Campaign launch</h1>" in html
    totals = launch["totals"]
    assert f'data-metric="likes" data-value="{totals["likes"]}"' in html
    assert f'data-metric="impressions" data-value="{totals["impressions"]}"' in html
    assert f"{totals['engagement_rate'] * 100:.2f}%" in html
    for chart in ("trend-chart", "platform-chart", "heatmap-chart"):
        start = html.index(f'<figure id="{chart}">') + len(f'<figure id="{chart}">')
        svg = ET.fromstring(html[start:html.index("</figure>", start)])
        assert svg.tag == SVG and len(list(svg.iter())) > 20


def test_csv_and_json_reports_carry_the_query_api_figures(
        dbcli: CLI, launch: dict[str, Any], tmp_path: Path) -> None:
    assert dbcli("report", "--campaign", "launch", "-o", str(tmp_path / "r.csv")).exit_code == 0
    assert dbcli("report", "--campaign", "launch", "-o", str(tmp_path / "r.json")).exit_code == 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8"))))
    total = next(r for r in rows if r["section"] == "total")
    assert total["likes"] == str(launch["totals"]["likes"])
    assert total["clicks"] == "7" and total["saves"] == "2"
    platforms = {r["key"]: r for r in rows if r["section"] == "platform"}
    expected = {p["key"]: p for p in launch["by_platform"]}
    assert set(platforms) == set(expected) == {"bluesky", "mastodon"}
    assert platforms["bluesky"]["impressions"] == ""  # absent, never 0
    assert len([r for r in rows if r["section"] == "top"]) == 2
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["title"] == "Campaign launch"
    assert data["totals"] == launch["totals"]
    assert data["by_platform"] == launch["by_platform"]
    assert len(data["best_times"]["cells"]) == 168


def test_account_report_and_refusals(dbcli: CLI, launch: dict[str, Any],
                                     tmp_path: Path) -> None:
    out = tmp_path / "me.json"
    first = dbcli("report", "--account", "mastodon:@me@social.example", "-o", str(out))
    assert first.exit_code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["title"] == "Account mastodon:@me@social.example"
    assert data["totals"]["posts"] == 2 and data["totals"]["likes"] == 40
    again = dbcli("report", "--account", "mastodon:@me@social.example", "-o", str(out))
    assert again.exit_code != 0 and "--force" in again.stderr
    assert dbcli("report", "--account", "mastodon:@me@social.example", "-o", str(out),
                 "--force").exit_code == 0
    both = dbcli("report", "--campaign", "launch", "--account", "bluesky:@shop.example.com",
                 "-o", str(tmp_path / "x.html"))
    assert both.exit_code != 0 and "not both" in both.stderr
    unknown = dbcli("report", "-o", str(tmp_path / "x.docx"))
    assert unknown.exit_code != 0 and "format" in unknown.stderr
    missing = dbcli("report", "--campaign", "nope", "-o", str(tmp_path / "y.html"))
    assert missing.exit_code != 0 and "nope" in missing.stderr
    assert not (tmp_path / "y.html").exists()
    nowhere = dbcli("report", "--campaign", "launch", "-o", str(tmp_path / "no" / "r.pdf"))
    assert nowhere.exit_code == 4, nowhere.stderr
    assert nowhere.stderr.startswith(f"error: cannot write {tmp_path / 'no' / 'r.pdf'}: the "
                                     "folder") and "unexpected" not in nowhere.stderr
