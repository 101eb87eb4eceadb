"""The analytics reads people look at: overview, posts, top, compare, accounts.

Each is a use case returning plain data (dicts, lists, datetimes) that the CLI
renders as a table, JSON or CSV, and part B's screen and reports chart. Every
answer names the engagement formula (``formula``) and the window it covers
(``window``); a metric no counted post has is None (absent, shown as "—").
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from socialhub.core.policy import Permission
from socialhub.db.queries import analytics as queries
from socialhub.db.queries.analytics import ENGAGEMENT_FORMULA, METRICS, Period
from socialhub.errors import ValidationError
from socialhub.services.analytics.filters import Filters, Window, resolve
from socialhub.services.context import Ctx, use_case

#: What ``top --by`` ranks posts by.
RANKINGS: tuple[str, ...] = ("likes", "replies", "reposts", "quotes", "clicks", "saves",
                             "impressions", "engagement")
#: What ``compare --by`` groups by.
GROUPINGS: tuple[str, ...] = ("platform", "account", "campaign", "tag")
PERIODS: tuple[str, ...] = ("day", "week", "month")
MAX_LIMIT = 10_000

CompareBy = Literal["platform", "account", "campaign", "tag"]


def _head(window: Window) -> dict[str, Any]:
    return {"formula": ENGAGEMENT_FORMULA, "window": window.describe()}


def daily_series(rows: list[dict[str, Any]], first: date, last: date) -> list[dict[str, Any]]:
    """``rollup`` day rows with the days in ``[first, last]`` that had nothing
    published filled in (``posts`` 0, metrics None), oldest first."""
    by_day = {row["period"]: row for row in rows}
    series = []
    day = first
    while day <= last:
        key = day.isoformat()
        series.append(by_day.get(key) or {"period": key, "posts": 0,
                                          **{m: None for m in METRICS},
                                          "engagement_rate": None})
        day += timedelta(days=1)
    return series


@use_case(Permission.ANALYTICS_READ)
def overview(ctx: Ctx, filters: Filters) -> dict[str, Any]:
    """Totals for the window, per network, per UTC day (every day, for trends) and the
    accounts' follower counts.

    Returns:
        ``formula``, ``window``, ``totals``, ``by_platform``, ``daily``, ``followers``.
    """
    window = resolve(ctx, filters)
    session, scope = ctx.session, window.scope
    # One read per (day, network), folded three ways: cheaper than three queries.
    cells = queries.rollup(session, scope, "day", "platform")
    by_day: dict[str, list[dict[str, Any]]] = {}
    by_platform: dict[str, list[dict[str, Any]]] = {}
    for cell in cells:
        by_day.setdefault(cell["period"], []).append(cell)
        by_platform.setdefault(cell["key"], []).append(cell)
    daily = [{"period": day, **queries.combine_totals(rows)}
             for day, rows in sorted(by_day.items())]
    return {**_head(window), "totals": queries.combine_totals(cells),
            "by_platform": [{"key": key, **queries.combine_totals(rows)}
                            for key, rows in sorted(by_platform.items())],
            "daily": daily_series(daily, window.since.date(), window.until.date()),
            "followers": queries.follower_counts(session, scope)}


@use_case(Permission.ANALYTICS_READ)
def posts(ctx: Ctx, filters: Filters, *, limit: int = 50) -> dict[str, Any]:
    """The published posts in the window with their newest metrics, newest first.

    Returns:
        ``formula``, ``window``, ``posts`` (``db.queries.analytics.post_rows``).
    """
    _check_limit(limit)
    window = resolve(ctx, filters)
    return {**_head(window),
            "posts": queries.post_rows(ctx.session, window.scope, limit=limit)}


@use_case(Permission.ANALYTICS_READ)
def top(ctx: Ctx, filters: Filters, *, by: str = "engagement", limit: int = 10
        ) -> dict[str, Any]:
    """The ``limit`` best posts in the window by ``by`` (a metric or ``engagement``,
    the engagement rate); posts without that metric come last.

    Raises:
        ValidationError: ``by`` is not one of ``RANKINGS``, or a bad limit.
    """
    if by not in RANKINGS:
        raise ValidationError(f"cannot rank by {by!r}", hint="one of: " + ", ".join(RANKINGS))
    _check_limit(limit)
    window = resolve(ctx, filters)
    rows = queries.post_rows(ctx.session, window.scope, rank_by=by,  # type: ignore[arg-type]
                             limit=limit)
    return {**_head(window), "by": by, "posts": rows}


@use_case(Permission.ANALYTICS_READ)
def compare(ctx: Ctx, filters: Filters, *, by: str = "platform", period: str | None = None
            ) -> dict[str, Any]:
    """Totals per network, account, campaign or tag, and per day, week or month of
    publishing when ``period`` is given (UTC periods, named by their first day).

    Raises:
        ValidationError: an unknown ``by`` or ``period``.
    """
    if by not in GROUPINGS:
        raise ValidationError(f"cannot compare by {by!r}", hint="one of: " + ", ".join(GROUPINGS))
    if period is not None and period not in PERIODS:
        raise ValidationError(f"unknown period {period!r}", hint="one of: day, week, month")
    window = resolve(ctx, filters)
    rows = rollups(ctx.session, window, by, period)  # type: ignore[arg-type]
    return {**_head(window), "by": by, "period": period, "rows": rows}


def rollups(session: Any, window: Window, by: CompareBy, period: Period | None
            ) -> list[dict[str, Any]]:
    """Rows of totals per ``by`` key (and ``period``) for ``window``; tags are folded
    from the post rows since they live in a JSON list."""
    if by == "tag":
        rows = queries.post_metrics(session, window.scope, tags=True)
        if period is None:
            return queries.totals_by_tag(rows)
        per: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            per.setdefault(_period_of(row["published_at"].date(), period), []).append(row)
        return [{"period": p, **tagged} for p in sorted(per)
                for tagged in queries.totals_by_tag(per[p])]
    if period is None:
        return queries.totals_by(session, window.scope, by)
    return queries.rollup(session, window.scope, period, by)


def _period_of(day: date, period: Period) -> str:
    if period == "week":
        day -= timedelta(days=day.weekday())
    elif period == "month":
        day = day.replace(day=1)
    return day.isoformat()


@use_case(Permission.ANALYTICS_READ)
def accounts(ctx: Ctx, filters: Filters) -> dict[str, Any]:
    """Per account: what its posts in the window earned, and its followers at the
    window's first and last captured day (``followers_delta``; None where absent).

    Returns:
        ``formula``, ``window``, ``accounts`` (one row per account with either).
    """
    window = resolve(ctx, filters)
    totals = {row["key"]: row for row in
              queries.totals_by(ctx.session, window.scope, "account")}
    followers = {row["account"]: row for row in
                 queries.follower_counts(ctx.session, window.scope)}
    rows = []
    for ref in sorted(set(totals) | set(followers)):
        counts = followers.get(ref, {})
        empty = {"posts": 0, **{m: None for m in METRICS}, "engagement_rate": None}
        rows.append({"account": ref, **(totals.get(ref) or empty),
                     "followers": counts.get("last_followers"),
                     "following": counts.get("last_following"),
                     "followers_delta": counts.get("followers_delta"),
                     "followers_series": counts.get("series", [])})
    return {**_head(window), "accounts": rows}


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"--limit must be between 1 and {MAX_LIMIT}")
