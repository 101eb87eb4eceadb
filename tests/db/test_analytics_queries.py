"""The analytics query API on SQLite and PostgreSQL: periods, groupings, absent sums,
followers, and each post counted once however many snapshots it has."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from socialhub.db.queries import analytics as queries
from socialhub.services.accounts.accounts import add_account
from socialhub.services.analytics.captures import record_account_snapshot, record_capture
from socialhub.services.analytics.importing import import_history

HEADER = "account,published_at,text,url,impressions,likes,replies,reposts,quotes,clicks,saves"


def _seed(ctx: Any, tmp_path: Path) -> None:
    add_account(ctx, platform="bluesky", handle="shop.example.com")
    add_account(ctx, platform="x", handle="shop")
    path = tmp_path / "h.csv"
    path.write_text("\n".join([
        HEADER,
        # Sunday late evening UTC: ISO week of Monday 2026-11-23.
        "bluesky:@shop.example.com,2026-11-29T23:30:00+00:00,sunday,,,10,1,,,,",
        # Monday early, in +02:00: Sunday 22:15 UTC, still the week of 2026-11-23.
        "x:@shop,2026-11-30T00:15:00+02:00,monday local,,100,5,0,1,0,4,",
        "x:@shop,2026-12-01T12:00:00+00:00,tuesday,,300,20,2,3,0,6,1",
    ]) + "\n", encoding="utf-8")
    import_history(ctx, path)


def test_periods_are_utc_days_iso_weeks_and_months(ctx: Any, tmp_path: Path) -> None:
    _seed(ctx, tmp_path)
    scope = queries.Scope(org_id=ctx.org_id)
    days = {r["period"]: r["posts"] for r in queries.rollup(ctx.session, scope, "day")}
    assert days == {"2026-11-29": 2, "2026-12-01": 1}
    weeks = {r["period"]: r["posts"] for r in queries.rollup(ctx.session, scope, "week")}
    assert weeks == {"2026-11-23": 2, "2026-11-30": 1}
    months = queries.rollup(ctx.session, scope, "month", "platform")
    assert [(r["period"], r["key"], r["posts"]) for r in months] == [
        ("2026-11-01", "bluesky", 1), ("2026-11-01", "x", 1), ("2026-12-01", "x", 1)]


def test_sums_stay_absent_where_no_post_has_the_metric(ctx: Any, tmp_path: Path) -> None:
    _seed(ctx, tmp_path)
    scope = queries.Scope(org_id=ctx.org_id, platform="bluesky")
    totals = queries.totals(ctx.session, scope)
    assert totals["likes"] == 10 and totals["replies"] == 1
    assert totals["impressions"] is None and totals["reposts"] is None
    assert totals["engagement_rate"] is None
    x = queries.totals(ctx.session, queries.Scope(org_id=ctx.org_id, platform="x"))
    assert x["saves"] == 1 and x["saves_measured"] == 1
    assert x["engagement_rate"] == (5 + 1 + 4 + 20 + 2 + 3 + 6 + 1) / 400


def test_many_snapshots_of_one_post_count_once_with_the_newest_numbers(
        ctx: Any, tmp_path: Path) -> None:
    _seed(ctx, tmp_path)
    scope = queries.Scope(org_id=ctx.org_id, platform="x")
    row = queries.post_rows(ctx.session, scope, rank_by="likes", limit=1)[0]
    later = datetime.now(UTC) + timedelta(hours=1)
    for likes in (21, 25):
        record_capture(ctx.session, row["delivery_id"], later, {
            "impressions": 300, "likes": likes, "replies": 2, "reposts": 3, "quotes": 0,
            "clicks": 6, "saves": 1}, {})
        later += timedelta(hours=1)
    ctx.session.flush()
    totals = queries.totals(ctx.session, scope)
    assert totals["posts"] == 2 and totals["likes"] == 5 + 25


def test_tag_totals_count_a_post_in_each_of_its_tags() -> None:
    rows = [{"tags": ["a", "b"], **dict.fromkeys(queries.METRICS), "likes": 3,
             "engagement_rate": None},
            {"tags": ["b"], **dict.fromkeys(queries.METRICS), "likes": 4,
             "engagement_rate": None}]
    by_tag = {r["key"]: (r["posts"], r["likes"], r["impressions"])
              for r in queries.totals_by_tag(rows)}
    assert by_tag == {"a": (1, 3, None), "b": (2, 7, None)}


def test_followers_delta_is_last_minus_first_day_and_absent_without_both(ctx: Any) -> None:
    account = add_account(ctx, platform="mastodon", handle="me@social.example")
    start = datetime(2026, 11, 1, 12, tzinfo=UTC)
    for day, followers in enumerate((100, None, 130)):
        record_account_snapshot(ctx.session, account.id, start + timedelta(days=day),
                                {"followers": followers, "following": 5, "posts": day}, {})
    ctx.session.flush()
    counts = queries.follower_counts(ctx.session, queries.Scope(org_id=ctx.org_id))
    assert counts[0]["followers_delta"] == 30 and counts[0]["series"] == [100, None, 130]
    only_gap = queries.follower_counts(ctx.session, queries.Scope(
        org_id=ctx.org_id, since=start + timedelta(days=1)))
    assert only_gap[0]["followers_delta"] is None


def test_first_party_clicks_replace_the_platforms_clicks_never_add_to_them(
        ctx: Any, tmp_path: Path) -> None:
    from datetime import date

    from sqlalchemy import select

    from socialhub.db.models import Delivery, ShortLink
    from socialhub.db.queries.links import add_clicks

    _seed(ctx, tmp_path)
    scope = queries.Scope(org_id=ctx.org_id, platform="x")
    assert queries.totals(ctx.session, scope)["clicks"] == 4 + 6
    tuesday = queries.post_rows(ctx.session, scope, rank_by="likes", limit=1)[0]
    delivery = ctx.session.get(Delivery, tuesday["delivery_id"])
    link = ShortLink(org_id=ctx.org_id, code="abcdEFGH", url="https://a.example/",
                     url_hash="0" * 64, target="https://a.example/?utm_source=x",
                     post_id=None, variant_id=delivery.variant_id,
                     account_id=delivery.account_id, platform="x")
    ctx.session.add(link)
    ctx.session.flush()
    add_clicks(ctx.session, [(ctx.org_id, link.id, date(2026, 12, 1), 2),
                             (ctx.org_id, link.id, date(2026, 12, 2), 1)])
    add_clicks(ctx.session, [(ctx.org_id, link.id, date(2026, 12, 2), 1)])  # adds up
    totals = queries.totals(ctx.session, scope)
    assert totals["clicks"] == 4 + 4  # the tuesday post: 4 people, not 6 + 4
    assert totals["engagement_rate"] == (5 + 1 + 4 + 20 + 2 + 3 + 4 + 1) / 400
    ranked = queries.post_rows(ctx.session, scope, rank_by="clicks", limit=2)
    assert [(r["post"], r["clicks"]) for r in ranked] == [
        (tuesday["post"], 4), (ranked[1]["post"], 4)]
    assert ctx.session.scalar(select(ShortLink.code)) == "abcdEFGH"
