"""``socialhub analytics``: import history, then read it back on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLIResult

HEADER = "account,published_at,text,url,impressions,likes,replies,reposts,quotes,clicks,saves"
CLI = Callable[..., CLIResult]


def _history(tmp_path: Path, rows: list[str], name: str = "history.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _days_ago(days: int, hour: int = 9) -> str:
    day = datetime.now(UTC) - timedelta(days=days)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0).isoformat()


@pytest.fixture
def history(dbcli: CLI, tmp_path: Path) -> Path:
    """Two accounts with five imported posts: Bluesky has no impressions or clicks."""
    assert dbcli("accounts", "add", "bluesky:@shop.example.com").exit_code == 0
    assert dbcli("accounts", "add", "mastodon:@me@social.example").exit_code == 0
    assert dbcli("campaigns", "add", "spring").exit_code == 0
    return _history(tmp_path, [
        f"bluesky:@shop.example.com,{_days_ago(2)},launch day,https://bsky.app/p/1,,40,5,8,1,,2",
        f"bluesky:@shop.example.com,{_days_ago(3, 18)},evening post,https://bsky.app/p/2,,90,9,12,0,,",
        f'mastodon:@me@social.example,{_days_ago(2)},"hello, fediverse",,1000,10,2,3,0,7,',
        f"mastodon:@me@social.example,{_days_ago(4)},second toot,https://social.example/@me/2,"
        "2000,30,4,6,0,0,1",
        f"mastodon:@me@social.example,{_days_ago(60)},old toot,,500,1,0,0,0,0,0",
    ])


def _json(result: CLIResult) -> Any:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_import_then_overview_counts_each_post_once_and_absent_stays_absent(
        dbcli: CLI, history: Path) -> None:
    summary = _json(dbcli("analytics", "import", str(history), "--json"))
    assert (summary["rows"], summary["imported"], summary["unchanged"]) == (5, 5, 0)
    data = _json(dbcli("analytics", "overview", "--json"))
    totals = data["totals"]
    assert totals["posts"] == 4  # the 60-day-old toot is outside the default 30 days
    assert totals["likes"] == 40 + 90 + 10 + 30
    assert totals["impressions"] == 3000 and totals["impressions_measured"] == 2
    assert totals["engagement_rate"] == pytest.approx((10 + 2 + 3 + 7 + 30 + 4 + 6 + 1) / 3000)
    assert "engagement_rate = (likes + replies + reposts + quotes + saves + clicks)" in (
        data["formula"])
    bluesky = next(p for p in data["by_platform"] if p["key"] == "bluesky")
    assert bluesky["impressions"] is None and bluesky["clicks"] is None  # absent, not 0
    assert bluesky["engagement_rate"] is None
    table = dbcli("analytics", "overview")
    assert table.exit_code == 0 and "—" in table.stdout and "engagement_rate =" in table.stdout


def test_reimporting_the_same_file_changes_nothing(dbcli: CLI, history: Path) -> None:
    dbcli("analytics", "import", str(history))
    before = _json(dbcli("analytics", "posts", "--json", "--since", "90d"))["posts"]
    again = _json(dbcli("analytics", "import", str(history), "--json"))
    assert (again["imported"], again["updated"], again["unchanged"]) == (0, 0, 5)
    assert _json(dbcli("analytics", "posts", "--json", "--since", "90d"))["posts"] == before


def test_reimporting_moved_numbers_updates_the_post_without_double_counting(
        dbcli: CLI, history: Path, tmp_path: Path) -> None:
    dbcli("analytics", "import", str(history))
    newer = _history(tmp_path, [
        f"bluesky:@shop.example.com,{_days_ago(2)},launch day,https://bsky.app/p/1,,45,5,8,1,,2",
    ], "newer.csv")
    result = _json(dbcli("analytics", "import", str(newer), "--json"))
    assert (result["imported"], result["updated"]) == (0, 1)
    data = _json(dbcli("analytics", "overview", "--json", "--platform", "bluesky"))
    assert data["totals"]["posts"] == 2 and data["totals"]["likes"] == 45 + 90


def test_bad_rows_are_named_by_line_and_nothing_is_imported(
        dbcli: CLI, history: Path, tmp_path: Path) -> None:
    bad = _history(tmp_path, [
        f"bluesky:@shop.example.com,{_days_ago(1)},fine,https://bsky.app/p/9,,1,1,1,1,,",
        "bluesky:@shop.example.com,2026-11-02T09:30:00,no offset,,,1,,,,,",
        f"bluesky:@nobody.example,{_days_ago(1)},who,,,1,,,,,",
        f"bluesky:@shop.example.com,{_days_ago(1)},negative,,,-3,,,,,",
    ], "bad.csv")
    result = dbcli("analytics", "import", str(bad))
    assert result.exit_code == 4
    assert f"{bad}:3: published_at" in result.stderr
    assert f"{bad}:4: unknown account bluesky:@nobody.example" in result.stderr
    assert f"{bad}:5: likes" in result.stderr
    assert _json(dbcli("analytics", "posts", "--json"))["posts"] == []


def test_a_wrong_header_is_refused(dbcli: CLI, tmp_path: Path) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("account,when,text\n", encoding="utf-8")
    result = dbcli("analytics", "import", str(path))
    assert result.exit_code == 4 and f"{path}:1: the header must be exactly" in result.stderr


def test_json_history_imports_like_csv(dbcli: CLI, history: Path, tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    path.write_text(json.dumps([{
        "account": "mastodon:@me@social.example", "published_at": _days_ago(1),
        "text": "from json", "url": None, "impressions": 10, "likes": 2, "replies": None,
        "reposts": None, "quotes": None, "clicks": None, "saves": None}]), encoding="utf-8")
    assert _json(dbcli("analytics", "import", str(path), "--json"))["imported"] == 1
    rows = _json(dbcli("analytics", "posts", "--json"))["posts"]
    assert rows[0]["post"].startswith("import-") and rows[0]["replies"] is None


def test_top_ranks_by_likes_and_engagement(dbcli: CLI, history: Path) -> None:
    dbcli("analytics", "import", str(history))
    by_likes = _json(dbcli("analytics", "top", "--by", "likes", "--limit", "2", "--json"))
    assert [p["likes"] for p in by_likes["posts"]] == [90, 40]
    by_rate = _json(dbcli("analytics", "top", "--by", "engagement", "--json"))
    rates = [p["engagement_rate"] for p in by_rate["posts"]]
    assert rates[0] is not None and rates[-1] is None  # no impressions: last
    assert dbcli("analytics", "top", "--by", "vibes").exit_code == 4


def test_an_80_column_terminal_shows_whole_numbers_and_names_what_gave_way(
        dbcli: CLI, history: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dbcli("analytics", "import", str(_history(tmp_path, [
        f"mastodon:@me@social.example,{_days_ago(1)},a big one,,923746,90328,19095,23077,"
        "4492,1200,310"], name="big.csv")))
    dbcli("analytics", "import", str(history))
    totals = _json(dbcli("analytics", "overview", "--json"))["totals"]
    monkeypatch.setenv("COLUMNS", "80")
    for command, numbers in ((("overview",), (totals["impressions"], totals["likes"])),
                             (("top", "--by", "likes"), (90_328,)),
                             (("accounts",), (totals["likes"] - 130,))):
        shown = dbcli("analytics", *command)
        assert shown.exit_code == 0, shown.stderr
        assert max(len(line) for line in shown.stdout.splitlines()) <= 80, shown.stdout
        for number in numbers:
            assert f"{number:,}" in shown.stdout, (number, shown.stdout)
    top = dbcli("analytics", "top", "--by", "likes").stdout
    assert "not shown at this width: the likes bar" in top
    # Account refs stay whole (the next command needs them), in every table naming them.
    for command in (("top", "--by", "likes"), ("accounts",), ("compare", "--by", "account")):
        table = dbcli("analytics", *command).stdout
        assert max(len(line) for line in table.splitlines()) <= 80, table
        for ref in ("mastodon:@me@social.example", "bluesky:@shop.example.com"):
            assert ref in table, (command, ref, table)
    accounts = dbcli("analytics", "accounts").stdout  # impressions gave way, and say so
    assert "not shown at this width: the followers trend, impressions" in accounts


def test_compare_by_platform_period_and_campaign_filter(dbcli: CLI, history: Path) -> None:
    dbcli("analytics", "import", str(history))
    rows = _json(dbcli("analytics", "compare", "--json", "--since", "90d"))["rows"]
    assert {r["key"]: r["posts"] for r in rows} == {"bluesky": 2, "mastodon": 3}
    monthly = _json(dbcli("analytics", "compare", "--by", "account", "--period", "month",
                          "--since", "90d", "--json"))["rows"]
    assert sum(r["posts"] for r in monthly) == 5 and all(r["period"].endswith("-01")
                                                         for r in monthly)
    weekly = _json(dbcli("analytics", "compare", "--period", "week", "--since", "90d",
                         "--json"))["rows"]
    assert all(datetime.fromisoformat(r["period"]).weekday() == 0 for r in weekly)
    spring = _json(dbcli("analytics", "overview", "--campaign", "spring", "--json"))
    assert spring["totals"]["posts"] == 0 and spring["totals"]["likes"] is None
    assert dbcli("analytics", "overview", "--campaign", "nope").exit_code == 5


def test_csv_output_has_a_header_and_empty_cells_for_absent(dbcli: CLI, history: Path) -> None:
    dbcli("analytics", "import", str(history))
    result = dbcli("analytics", "posts", "--csv", "--platform", "bluesky")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 2 and rows[0]["impressions"] == "" and rows[0]["likes"] != ""
    assert "engagement_rate =" in result.stderr


def test_accounts_and_best_times_and_gaps(dbcli: CLI, history: Path) -> None:
    dbcli("analytics", "import", str(history))
    accounts = _json(dbcli("analytics", "accounts", "--json"))["accounts"]
    assert [a["account"] for a in accounts] == ["bluesky:@shop.example.com",
                                                "mastodon:@me@social.example"]
    assert accounts[0]["followers"] is None  # never captured: absent
    grid = _json(dbcli("analytics", "best-times", "--zone", "UTC", "--min-posts", "1",
                       "--account", "bluesky:@shop.example.com", "--json"))
    assert len(grid["cells"]) == 168 and sum(c["posts"] for c in grid["cells"]) == 2
    assert grid["best"][0]["hour"] == 18  # the evening post earned more
    gaps = _json(dbcli("analytics", "gaps", "--zone", "UTC", "--json"))
    assert gaps["platforms"] == ["bluesky", "mastodon"] and len(gaps["days"]) == 14
    assert len(gaps["gaps"]) == 28  # nothing planned anywhere
    assert dbcli("analytics", "gaps").exit_code == 0


def test_slots_suggest_applies_the_best_hours(dbcli: CLI, history: Path) -> None:
    dbcli("analytics", "import", str(history))
    data = _json(dbcli("slots", "suggest", "bluesky:@shop.example.com", "--min-posts", "1",
                       "--zone", "UTC", "--apply", "--json"))
    assert [s["time"] for s in data["suggestions"]] == ["18:00", "09:00"]
    slots = _json(dbcli("slots", "list", "--json"))
    assert {(s["time"]) for s in slots} == {"18:00", "09:00"}
    again = _json(dbcli("slots", "suggest", "bluesky:@shop.example.com", "--min-posts", "1",
                        "--zone", "UTC", "--apply", "--json"))
    assert all(s["exists"] and not s["added"] for s in again["suggestions"])


def test_bad_filters_are_one_line_errors(dbcli: CLI) -> None:
    assert dbcli("analytics", "overview", "--since", "someday").exit_code == 4
    assert dbcli("analytics", "overview", "--platform", "myspace").exit_code == 4
    assert dbcli("analytics", "overview", "--since", "today", "--until", "-3d").exit_code == 4
    assert dbcli("analytics", "posts", "--json", "--csv").exit_code == 4
