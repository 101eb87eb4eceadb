"""The analytics reads: totals, rollups, post rows, follower counts, what is planned.

The query API part B (the TUI screen, reports, alerts) builds on. Every read takes a
``Scope`` (organization, window of *publishing* time, optional network, account and
campaign) and counts each published delivery once, with its newest metrics
(``metric_latest``: never a sum over snapshots). A metric a network does not give is
NULL; sums and rates stay NULL (absent, shown as "—") when no counted post has it,
never 0.

The one engagement formula (``ENGAGEMENT_FORMULA``)::

    engagement_rate = (likes + replies + reposts + quotes + saves + clicks) / impressions

where an absent interaction count adds nothing, and the rate is absent where
impressions are absent or 0. Over many posts it is the sum of their interactions over
the sum of their impressions, counting only posts that have impressions.

First-party clicks: a delivery whose variant carries short links (``short_links``)
counts the people who followed them (``link_clicks_daily``, bots left out) as its
``clicks``, *instead of* the platform's reported clicks — those count the same people
following the same links, so adding both would count them twice. A delivery without
short links keeps the platform's number (``metric_column``).

Written once for SQLite and PostgreSQL: the only dialect-specific piece is the period
start of a timestamp (``period_start``), compiled per database. Periods are UTC
calendar days, ISO weeks (Monday) and months, named by their first day ``YYYY-MM-DD``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Float, Integer, String, and_, case, cast, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from socialhub.db.models import (
    Account,
    AccountSnapshot,
    Campaign,
    Delivery,
    LinkClickDaily,
    MetricLatest,
    Post,
    ShortLink,
    Variant,
)

#: The metrics analytics reads, in the order every table shows them.
METRICS: tuple[str, ...] = ("impressions", "likes", "replies", "reposts", "quotes", "clicks",
                            "saves")
#: The interactions the engagement rate counts.
INTERACTIONS: tuple[str, ...] = ("likes", "replies", "reposts", "quotes", "saves", "clicks")
#: The engagement formula, as printed in output headers and docs/analytics.md.
ENGAGEMENT_FORMULA = ("engagement_rate = (likes + replies + reposts + quotes + saves + clicks)"
                      " / impressions")

Period = Literal["day", "week", "month"]
Grouping = Literal["platform", "account", "campaign"]
RankBy = Literal["impressions", "likes", "replies", "reposts", "quotes", "clicks", "saves",
                 "engagement"]


@dataclass(frozen=True)
class Scope:
    """Which published deliveries a read counts: the organization's, published in
    ``[since, until)`` (either end open when None), optionally of one network, account
    or campaign."""

    org_id: int
    since: datetime | None = None
    until: datetime | None = None
    platform: str | None = None
    account_id: int | None = None
    campaign_id: int | None = None


class _PeriodStart(FunctionElement[str]):
    """``YYYY-MM-DD`` of the UTC day, ISO week (its Monday) or month a timestamp is in.

    One subclass per period, so the period is part of the statement cache key (an
    attribute would not be, and a cached "day" statement would answer for "week")."""

    type = String()
    inherit_cache = True
    period: Period = "day"


class _DayStart(_PeriodStart):
    inherit_cache = True
    period: Period = "day"


class _WeekStart(_PeriodStart):
    inherit_cache = True
    period: Period = "week"


class _MonthStart(_PeriodStart):
    inherit_cache = True
    period: Period = "month"


_PERIOD_STARTS: dict[str, type[_PeriodStart]] = {
    "day": _DayStart, "week": _WeekStart, "month": _MonthStart}


def period_start(column: Any, period: Period) -> _PeriodStart:
    """The SQL expression of ``column``'s period start (see ``_PeriodStart``)."""
    return _PERIOD_STARTS[period](column)


@compiles(_PeriodStart, "sqlite")
def _period_sqlite(element: _PeriodStart, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(next(iter(element.clauses)), **kw)
    if element.period == "day":
        return f"strftime('%Y-%m-%d', {column})"
    if element.period == "week":  # the Sunday on or after, then back to its Monday
        return f"date({column}, 'weekday 0', '-6 days')"
    return f"strftime('%Y-%m-01', {column})"


@compiles(_PeriodStart, "postgresql")
def _period_postgresql(element: _PeriodStart, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(next(iter(element.clauses)), **kw)
    return f"to_char(date_trunc('{element.period}', {column}), 'YYYY-MM-DD')"


#: First-party clicks per variant that has short links (0 when nobody followed them).
_FIRST_PARTY = (select(ShortLink.variant_id.label("variant_id"),
                       # SUM of a BIGINT is NUMERIC on PostgreSQL: back to an integer
                       cast(func.coalesce(func.sum(LinkClickDaily.count), 0), Integer)
                       .label("clicks"))
                .outerjoin(LinkClickDaily, LinkClickDaily.link_id == ShortLink.id)
                .where(ShortLink.variant_id.is_not(None))
                .group_by(ShortLink.variant_id).subquery("first_party"))


def metric_column(metric: str) -> ColumnElement[Any]:
    """The SQL of one metric of a delivery in a ``_scoped`` read: the newest snapshot's,
    except ``clicks`` where the variant has short links (first-party clicks instead)."""
    if metric == "clicks":
        return case((_FIRST_PARTY.c.variant_id.is_not(None), _FIRST_PARTY.c.clicks),
                    else_=MetricLatest.clicks)
    column: ColumnElement[Any] = getattr(MetricLatest, metric)
    return column


def with_first_party_clicks(query: Select[Any]) -> Select[Any]:
    """``query`` (over ``Delivery``) joined to the first-party clicks, so that
    ``metric_column("clicks")`` may be used in it outside ``_scoped``."""
    return query.outerjoin(_FIRST_PARTY, _FIRST_PARTY.c.variant_id == Delivery.variant_id)


def interactions_column() -> ColumnElement[Any]:
    """One delivery's interactions as the engagement formula counts them (absent adds 0;
    clicks first-party where the variant has short links)."""
    return sum((func.coalesce(metric_column(m), 0) for m in INTERACTIONS[1:]),
               func.coalesce(metric_column(INTERACTIONS[0]), 0))


def engagement_rate_column() -> ColumnElement[Any]:
    """One post's engagement rate (``ENGAGEMENT_FORMULA``), NULL without impressions."""
    return cast(interactions_column(), Float) / func.nullif(MetricLatest.impressions, 0)


def _aggregates() -> list[ColumnElement[Any]]:
    columns: list[ColumnElement[Any]] = [func.count(Delivery.id).label("posts")]
    for m in METRICS:
        column = metric_column(m)
        columns += [func.sum(column).label(m), func.count(column).label(f"{m}_n")]
    with_impressions = MetricLatest.impressions > 0
    columns += [
        func.sum(case((with_impressions, interactions_column()))).label("rated_interactions"),
        func.sum(case((MetricLatest.impressions > 0, MetricLatest.impressions)))
        .label("rated_impressions"),
    ]
    return columns


def _scoped(query: Select[Any], scope: Scope, *, posts: bool = False) -> Select[Any]:
    # Deliveries are found through ix_deliveries_published (status, published_at); the
    # post, variant and campaign are joined only when asked for (or filtered on).
    query = (query.select_from(Delivery)
             .join(Account, Account.id == Delivery.account_id)
             .outerjoin(MetricLatest, MetricLatest.delivery_id == Delivery.id)
             .outerjoin(_FIRST_PARTY, _FIRST_PARTY.c.variant_id == Delivery.variant_id)
             .where(Account.org_id == scope.org_id, Delivery.status == "published",
                    Delivery.published_at.is_not(None)))
    if posts or scope.campaign_id is not None:
        query = (query.join(Variant, Variant.id == Delivery.variant_id)
                 .join(Post, Post.id == Variant.post_id)
                 .outerjoin(Campaign, Campaign.id == Post.campaign_id))
    if scope.since is not None:
        query = query.where(Delivery.published_at >= scope.since)
    if scope.until is not None:
        query = query.where(Delivery.published_at < scope.until)
    if scope.platform is not None:
        query = query.where(Account.platform == scope.platform)
    if scope.account_id is not None:
        query = query.where(Account.id == scope.account_id)
    if scope.campaign_id is not None:
        query = query.where(Post.campaign_id == scope.campaign_id)
    return query


def _totals(row: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"posts": int(row.posts or 0)}
    for m in METRICS:
        measured = int(getattr(row, f"{m}_n") or 0)
        data[m] = int(getattr(row, m)) if measured else None
        data[f"{m}_measured"] = measured
    data["interactions_rated"] = int(row.rated_interactions or 0)
    data["impressions_rated"] = int(row.rated_impressions or 0)
    return _with_rate(data)


def _with_rate(data: dict[str, Any]) -> dict[str, Any]:
    impressions = data["impressions_rated"]
    data["engagement_rate"] = data["interactions_rated"] / impressions if impressions else None
    return data


def combine_totals(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The ``totals`` of several groups' totals (e.g. a day's networks), with the same
    absent rules: a metric no group has stays None."""
    data: dict[str, Any] = {"posts": 0, "interactions_rated": 0, "impressions_rated": 0,
                            **{f"{m}_measured": 0 for m in METRICS}}
    sums: dict[str, int] = dict.fromkeys(METRICS, 0)
    for row in rows:
        data["posts"] += row["posts"]
        data["interactions_rated"] += row["interactions_rated"]
        data["impressions_rated"] += row["impressions_rated"]
        for m in METRICS:
            data[f"{m}_measured"] += row[f"{m}_measured"]
            sums[m] += row[m] or 0
    for m in METRICS:
        data[m] = sums[m] if data[f"{m}_measured"] else None
    return _with_rate(data)


def _group_key(by: Grouping) -> ColumnElement[Any]:
    if by == "platform":
        return Account.platform.expression
    if by == "account":
        return Account.platform + literal(":@") + Account.handle
    return func.coalesce(Campaign.name, literal(""))


def totals(session: Session, scope: Scope) -> dict[str, Any]:
    """Posts published in scope and their metrics summed: ``posts``, each metric (None
    when no post has it), ``<metric>_measured`` (how many posts have it),
    ``engagement_rate`` (None without impressions) and the two sums it is made of,
    ``interactions_rated`` and ``impressions_rated`` (posts with impressions only)."""
    return _totals(session.execute(_scoped(select(*_aggregates()), scope)).one())


def totals_by(session: Session, scope: Scope, by: Grouping) -> list[dict[str, Any]]:
    """``totals`` per network, account (``platform:@handle``) or campaign (``""`` for
    posts outside any campaign), as ``{"key": …, **totals}``, sorted by key."""
    key = _group_key(by).label("key")
    rows = session.execute(_scoped(select(key, *_aggregates()), scope,
                                   posts=by == "campaign")
                           .group_by(key).order_by(key))
    return [{"key": row.key, **_totals(row)} for row in rows]


def rollup(session: Session, scope: Scope, period: Period, by: Grouping | None = None
           ) -> list[dict[str, Any]]:
    """``totals`` per UTC period of publishing (``"period": "YYYY-MM-DD"``, its first
    day), and per ``by`` key when given (``"key"``); sorted by period then key. Periods
    with nothing published are left out."""
    bucket = period_start(Delivery.published_at, period).label("period")
    key = (_group_key(by) if by else literal("")).label("key")
    rows = session.execute(_scoped(select(bucket, key, *_aggregates()), scope,
                                   posts=by == "campaign")
                           .group_by(bucket, key).order_by(bucket, key))
    return [{"period": row.period, **({"key": row.key} if by else {}), **_totals(row)}
            for row in rows]


def post_rows(session: Session, scope: Scope, *, rank_by: RankBy | None = None,
              limit: int | None = None) -> list[dict[str, Any]]:
    """One row per published delivery in scope with its newest metrics: ``delivery_id``,
    ``post`` (its name), ``text`` (this network's text), ``account``, ``platform``,
    ``campaign`` (None outside one), ``tags``, ``published_at``, ``url``, ``captured_at``
    (None: never measured), each metric (None where absent), ``engagement_rate``.
    Newest first, or ranked by ``rank_by`` (highest first, absent last, then newest);
    at most ``limit`` rows."""
    rate = engagement_rate_column().label("engagement_rate")
    ids: list[int] | None = None
    if rank_by is not None and limit is not None:
        # Rank on deliveries and their metrics alone, then read the few posts: joining
        # every post's text before sorting costs more than the sort.
        ids = list(session.scalars(_ranked(_scoped(select(Delivery.id), scope), rank_by)
                                   .limit(limit)))
        if not ids:
            return []
    query = select(
        Delivery.id, Post.name, Variant.text, Account.platform, Account.handle,
        Campaign.name.label("campaign"),
        Post.tags, Delivery.published_at, Delivery.remote_url, MetricLatest.captured_at,
        *(metric_column(m).label(m) for m in METRICS), rate)
    if ids is not None:
        query = _scoped(query, Scope(org_id=scope.org_id), posts=True).where(
            Delivery.id.in_(ids))
    else:
        query = _scoped(query, scope, posts=True)
        query = (_ranked(query, rank_by) if rank_by is not None else query.order_by(
            Delivery.published_at.desc(), Delivery.id.desc())).limit(limit)
    rows = [{"delivery_id": row.id, "post": row.name, "text": row.text,
             "account": f"{row.platform}:@{row.handle}",
             "platform": row.platform, "campaign": row.campaign, "tags": list(row.tags or []),
             "published_at": row.published_at, "url": row.remote_url,
             "captured_at": row.captured_at,
             **{m: getattr(row, m) for m in METRICS},
             "engagement_rate": (float(row.engagement_rate)
                                 if row.engagement_rate is not None else None)}
            for row in session.execute(query)]
    if ids is not None:
        order = {d_id: i for i, d_id in enumerate(ids)}
        rows.sort(key=lambda r: order[r["delivery_id"]])
    return rows


def post_metrics(session: Session, scope: Scope, *, tags: bool = False
                 ) -> list[dict[str, Any]]:
    """The lean form of ``post_rows`` for folds over many posts (best times, tag
    totals): ``published_at``, ``tags`` (only with ``tags``, else empty), each metric
    and ``engagement_rate``, in no particular order."""
    rate = engagement_rate_column().label("engagement_rate")
    columns: list[Any] = [Delivery.published_at,
                          *(metric_column(m).label(m) for m in METRICS), rate]
    if tags:
        columns.append(Post.tags)
    query = _scoped(select(*columns), scope, posts=tags)
    return [{"published_at": row.published_at,
             "tags": list(row.tags or []) if tags else [],
             **{m: getattr(row, m) for m in METRICS},
             "engagement_rate": (float(row.engagement_rate)
                                 if row.engagement_rate is not None else None)}
            for row in session.execute(query)]


def _ranked(query: Select[Any], rank_by: RankBy) -> Select[Any]:
    column = (engagement_rate_column() if rank_by == "engagement"
              else metric_column(rank_by))
    return query.order_by(case((column.is_(None), 1), else_=0), column.desc(),
                          Delivery.published_at.desc(), Delivery.id.desc())


def totals_by_tag(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fold ``post_rows`` (or ``post_metrics(tags=True)``) into totals per tag (a post
    with two tags counts in both; tags live in a JSON list, so this fold is in Python,
    not SQL), sorted by tag."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        for tag in row["tags"]:
            groups[str(tag)].append(row)
    return [{"key": tag, **fold_rows(groups[tag])} for tag in sorted(groups)]


def fold_rows(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The ``totals`` of some ``post_rows``, with the same absent rules."""
    data: dict[str, Any] = {"posts": len(rows)}
    for m in METRICS:
        present = [r[m] for r in rows if r[m] is not None]
        data[m] = sum(present) if present else None
        data[f"{m}_measured"] = len(present)
    rated = [r for r in rows if r["impressions"]]
    data["impressions_rated"] = sum(r["impressions"] for r in rated)
    data["interactions_rated"] = sum(r[m] or 0 for r in rated for m in INTERACTIONS)
    return _with_rate(data)


def follower_counts(session: Session, scope: Scope) -> list[dict[str, Any]]:
    """Per account in scope with account snapshots in the window: ``account``,
    ``platform``, the first and last day's ``followers``/``following``/``posts``
    (``first_*``, ``last_*``; None where absent), ``followers_delta`` (None unless both
    ends have followers) and ``series`` (followers per day, oldest first)."""
    query = (select(Account.platform, Account.handle, AccountSnapshot.captured_on,
                    AccountSnapshot.followers, AccountSnapshot.following,
                    AccountSnapshot.posts)
             .join(Account, Account.id == AccountSnapshot.account_id)
             .where(Account.org_id == scope.org_id))
    if scope.since is not None:
        query = query.where(AccountSnapshot.captured_on >= scope.since.date())
    if scope.until is not None:
        query = query.where(AccountSnapshot.captured_on <= scope.until.date())
    if scope.platform is not None:
        query = query.where(Account.platform == scope.platform)
    if scope.account_id is not None:
        query = query.where(Account.id == scope.account_id)
    by_account: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in session.execute(query.order_by(Account.platform, Account.handle,
                                              AccountSnapshot.captured_on)):
        by_account[(row.platform, row.handle)].append(row)
    result = []
    for (platform, handle), rows in by_account.items():
        first, last = rows[0], rows[-1]
        delta = (last.followers - first.followers
                 if last.followers is not None and first.followers is not None else None)
        result.append({
            "account": f"{platform}:@{handle}", "platform": platform,
            "first_day": first.captured_on, "last_day": last.captured_on,
            **{f"first_{k}": getattr(first, k) for k in ("followers", "following", "posts")},
            **{f"last_{k}": getattr(last, k) for k in ("followers", "following", "posts")},
            "followers_delta": delta, "series": [r.followers for r in rows]})
    return result


def planned_deliveries(session: Session, org_id: int, since: datetime, until: datetime
                       ) -> list[tuple[datetime, str]]:
    """``(due_at, platform)`` of the organization's deliveries due in ``[since, until)``
    that are planned or out (scheduled, claimed, publishing, retrying, unconfirmed,
    published); for finding days with nothing planned."""
    live = ("scheduled", "claimed", "publishing", "retry_scheduled", "unconfirmed",
            "published")
    return [(due, platform) for due, platform in session.execute(
        select(Delivery.due_at, Account.platform)
        .join(Account, Account.id == Delivery.account_id)
        .where(Account.org_id == org_id, Delivery.status.in_(live),
               and_(Delivery.due_at >= since, Delivery.due_at < until)))]


def account_platforms(session: Session, org_id: int, platform: str | None = None
                      ) -> list[str]:
    """The networks the organization has active accounts on (optionally just one)."""
    query = select(Account.platform).where(Account.org_id == org_id,
                                           Account.status == "active").distinct()
    if platform is not None:
        query = query.where(Account.platform == platform)
    return sorted(session.scalars(query))


def click_through(session: Session, scope: Scope) -> list[dict[str, Any]]:
    """Clicks and click-through rate per network in scope, sorted by network.

    Counts only the deliveries that have both a clicks count and impressions (a
    network that gives no clicks would otherwise drag the rate down): ``key`` (the
    network), ``posts`` (deliveries counted), ``clicks``, ``impressions`` and
    ``ctr`` = clicks / impressions.
    """
    clicks = metric_column("clicks")  # first-party clicks where the variant has short links
    counted = and_(clicks.is_not(None), MetricLatest.impressions > 0)
    key = Account.platform.label("key")
    columns: list[Any] = [key, func.count(Delivery.id).label("posts"),
                          func.sum(clicks).label("clicks"),
                          func.sum(MetricLatest.impressions).label("impressions")]
    query = _scoped(select(*columns), scope).where(counted).group_by(key).order_by(key)
    return [{"key": row.key, "posts": int(row.posts), "clicks": int(row.clicks or 0),
             "impressions": int(row.impressions or 0),
             "ctr": (int(row.clicks or 0) / int(row.impressions)) if row.impressions else None}
            for row in session.execute(query)]
