"""``socialhub analytics import`` of the networks' own exports (X, Meta Business Suite),
recognised by their headers, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.conftest import CLIResult
from tests.fakes.x import TWEPOCH_MS

CLI = Callable[..., CLIResult]
TWEET_ACTIVITY = (
    "Tweet id,Tweet permalink,Tweet text,time,impressions,engagements,engagement rate,"
    "retweets,replies,likes,user profile clicks,url clicks,hashtag clicks,detail expands,"
    "permalink clicks,app opens,app installs,follows,email tweet,dial phone,media views,"
    "media engagements")
X_CONTENT = ("Post id,Date,Post text,Post Link,Impressions,Likes,Engagements,Bookmarks,"
             "Shares,New follows,Replies,Reposts,Profile visits,Detail Expands,URL Clicks,"
             "Hashtag Clicks,Permalink Clicks")
FACEBOOK = ("Post ID,Page ID,Page name,Title,Description,Duration (sec),Publish time,"
            "Caption type,Permalink,Is crosspost,Is share,Post type,Languages,Custom labels,"
            "Funded content status,Data comment,Date,Views,Reach,"
            "\"Reactions, Comments and Shares\",Reactions,Comments,Shares,Total clicks,"
            "Link Clicks,Other Clicks")


def _file(tmp_path: Path, name: str, header: str, *rows: str) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _ok(result: CLIResult) -> Any:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _posts(dbcli: CLI) -> list[dict[str, Any]]:
    return list(_ok(dbcli("analytics", "posts", "--json", "--since", "30d"))["posts"])


def _snowflake(at: datetime) -> str:
    return str((int(at.timestamp() * 1000) - TWEPOCH_MS) << 22 | 7)


def test_x_tweet_activity_maps_its_columns_and_names_the_account_by_its_links(
        dbcli: CLI, tmp_path: Path) -> None:
    assert dbcli("accounts", "add", "x:@shop").exit_code == 0
    day = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%d")
    path = _file(tmp_path, "tweet_activity_metrics.csv", TWEET_ACTIVITY,
                 f'1,https://twitter.com/shop/status/1,"Spring sale, today",{day} 16:59 +0000,'
                 "1203.0,40.0,0.033,3.0,2.0,20.0,4.0,11.0,0,0,0,0,0,0,0,0,0,0")
    summary = _ok(dbcli("analytics", "import", str(path), "--json"))
    assert (summary["imported"], summary["accounts"]) == (1, ["x:@shop"])
    [post] = _posts(dbcli)
    assert post["published_at"].startswith(f"{day}T16:59")
    assert (post["impressions"], post["likes"], post["replies"], post["reposts"],
            post["clicks"]) == (1203, 20, 2, 3, 11)
    assert post["quotes"] is None and post["saves"] is None  # the export has none: absent
    again = _ok(dbcli("analytics", "import", str(path), "--json"))
    assert (again["imported"], again["updated"], again["unchanged"]) == (0, 0, 1)


def test_x_content_export_takes_the_exact_time_from_the_post_id(
        dbcli: CLI, tmp_path: Path) -> None:
    assert dbcli("accounts", "add", "x:@shop").exit_code == 0
    at = (datetime.now(UTC) - timedelta(days=2)).replace(hour=7, minute=45, second=0,
                                                         microsecond=0)
    post_id = _snowflake(at)
    path = _file(tmp_path, "account_analytics_content.csv", X_CONTENT,
                 f'{post_id},"{at:%a, %b %d, %Y}",hello,https://x.com/shop/status/{post_id},'
                 '"1,234",12,30,4,1,0,3,2,5,9,6,0,1')
    assert _ok(dbcli("analytics", "import", str(path), "--json"))["imported"] == 1
    [post] = _posts(dbcli)
    assert datetime.fromisoformat(post["published_at"]) == at
    assert (post["impressions"], post["likes"], post["saves"], post["replies"],
            post["reposts"], post["clicks"]) == (1234, 12, 4, 3, 2, 6)


def test_a_facebook_export_needs_the_account_and_reads_times_in_the_zone(
        dbcli: CLI, tmp_path: Path) -> None:
    assert dbcli("accounts", "add", "facebook:@shoppage").exit_code == 0
    day = datetime.now(UTC) - timedelta(days=4)
    path = _file(tmp_path, "facebook.csv", FACEBOOK,
                 f'123_456,123,Shop Page,,"New menu",,{day:%m/%d/%Y} 21:00,,'
                 "https://www.facebook.com/123/posts/456,No,No,Photo,,,,,Lifetime,900,700,"
                 "31,25,4,2,50,8,42")
    refused = dbcli("analytics", "import", str(path))
    assert refused.exit_code == 4
    assert f"{path}:1: a Meta Business Suite: Facebook posts export does not name the " \
           "account: pass --account facebook:@HANDLE" in refused.stderr
    summary = _ok(dbcli("analytics", "import", str(path), "--account", "facebook:@shoppage",
                        "--zone", "Europe/Berlin", "--json"))
    assert summary["imported"] == 1
    [post] = _posts(dbcli)
    local = datetime.fromisoformat(post["published_at"]).astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.hour, local.minute) == (21, 0)
    assert (post["impressions"], post["likes"], post["replies"], post["reposts"],
            post["clicks"], post["saves"]) == (900, 25, 4, 2, 8, None)


def test_an_instagram_export_names_its_account_and_gives_saves_but_no_clicks(
        dbcli: CLI, tmp_path: Path) -> None:
    assert dbcli("accounts", "add", "instagram:@shop").exit_code == 0
    day = datetime.now(UTC) - timedelta(days=5)
    path = _file(tmp_path, "instagram.csv",
                 "Post ID,Account ID,Account username,Account name,Description,"
                 "Duration (sec),Publish time,Permalink,Post type,Data comment,Date,Views,"
                 "Reach,Likes,Shares,Follows,Comments,Saves",
                 f"987,17841,shop,Shop,Latte art,0,{day:%m/%d/%Y} 08:15,"
                 "https://www.instagram.com/p/abc/,IG image,,Lifetime,1500,1100,80,3,1,6,9")
    assert _ok(dbcli("analytics", "import", str(path), "--zone", "UTC",
                     "--json"))["accounts"] == ["instagram:@shop"]
    [post] = _posts(dbcli)
    assert (post["impressions"], post["likes"], post["replies"], post["reposts"],
            post["saves"], post["clicks"]) == (1500, 80, 6, 3, 9, None)


def test_a_bad_export_row_is_named_by_line_and_nothing_is_imported(
        dbcli: CLI, tmp_path: Path) -> None:
    assert dbcli("accounts", "add", "x:@shop").exit_code == 0
    day = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d")
    good = f"1,https://x.com/shop/status/1,fine,{day} 10:00 +0000,10,1,0.1,0,0,1,0,0" \
           ",0,0,0,0,0,0,0,0,0,0"
    path = _file(tmp_path, "tweets.csv", TWEET_ACTIVITY, good,
                 f"2,https://x.com/shop/status/2,no zone,{day} 10:00,10,1,0.1,0,0,1,0,0"
                 ",0,0,0,0,0,0,0,0,0,0",
                 f"3,https://x.com/shop/status/3,odd count,{day} 11:00 +0000,12.5,1,0.1,0,0,"
                 "1,0,0,0,0,0,0,0,0,0,0,0,0")
    result = dbcli("analytics", "import", str(path))
    assert result.exit_code == 4
    assert f"{path}:3: time '{day} 10:00' is not a time like 2026-11-02 09:30 +0000" \
        in result.stderr
    assert f"{path}:4: impressions '12.5' is not a whole number" in result.stderr
    assert _posts(dbcli) == []
