"""``/api/v1/analytics``: posts, top, compare, accounts, best times and gaps.

Each route calls the use case ``socialhub analytics … --json`` calls and answers its
JSON (the overview lives with the other reads in :mod:`socialhub.api.routes_reads`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from socialhub.api.core import Caller, no_nul_bytes, read
from socialhub.api.problems import READS
from socialhub.api.routes_reads import Record
from socialhub.services.analytics.best_times import best_times as best_times_case
from socialhub.services.analytics.filters import Filters
from socialhub.services.analytics.gaps import planning_gaps
from socialhub.services.analytics.reports import accounts as accounts_case
from socialhub.services.analytics.reports import compare as compare_case
from socialhub.services.analytics.reports import posts as posts_case
from socialhub.services.analytics.reports import top as top_case

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"],
                   dependencies=[Depends(no_nul_bytes)])

_SHORT = Annotated[str | None, Query(max_length=200)]
_LIMIT = Annotated[int, Query(ge=1, le=1000)]
_OK: dict[int | str, dict[str, Any]] = {200: {"model": Record}, **READS}


def _get(path: str, op: str, summary: str) -> Any:
    return router.get(path, response_model=None, responses=_OK, summary=summary,
                      operation_id=op)


@_get("/posts", "analyticsPosts", "Published posts with their metrics")
def posts(request: Request, caller: Caller, since: _SHORT = None, until: _SHORT = None,
          platform: _SHORT = None, account: _SHORT = None, campaign: _SHORT = None,
          zone: _SHORT = None, limit: _LIMIT = 50) -> Any:
    """Published posts with their newest metrics (`socialhub analytics posts`)."""
    filters = Filters(since, until, platform, account, campaign, zone)
    return read(request, caller, lambda ctx: posts_case(ctx, filters, limit=limit))


@_get("/top", "analyticsTop", "Posts ranked by a metric")
def top(request: Request, caller: Caller,
        by: Annotated[str, Query(max_length=40, description="likes, replies, reposts, "
                                 "quotes, clicks, saves, impressions or engagement")
                      ] = "engagement",
        limit: _LIMIT = 10, since: _SHORT = None, until: _SHORT = None,
        platform: _SHORT = None, account: _SHORT = None, campaign: _SHORT = None,
        zone: _SHORT = None) -> Any:
    """Posts ranked by a metric or the engagement rate (`socialhub analytics top`)."""
    filters = Filters(since, until, platform, account, campaign, zone)
    return read(request, caller, lambda ctx: top_case(ctx, filters, by=by, limit=limit))


@_get("/compare", "analyticsCompare", "Compare networks, accounts, campaigns or tags")
def compare(request: Request, caller: Caller,
            by: Annotated[str, Query(max_length=40,
                                     description="platform, account, campaign or tag")
                          ] = "platform",
            period: Annotated[str | None, Query(max_length=40,
                                                description="day, week or month")] = None,
            since: _SHORT = None, until: _SHORT = None, platform: _SHORT = None,
            account: _SHORT = None, campaign: _SHORT = None, zone: _SHORT = None) -> Any:
    """Totals per network, account, campaign or tag (`socialhub analytics compare`)."""
    filters = Filters(since, until, platform, account, campaign, zone)
    return read(request, caller,
                lambda ctx: compare_case(ctx, filters, by=by, period=period))


@_get("/accounts", "analyticsAccounts", "Each account's results and followers")
def accounts(request: Request, caller: Caller, since: _SHORT = None, until: _SHORT = None,
             platform: _SHORT = None, account: _SHORT = None, campaign: _SHORT = None,
             zone: _SHORT = None) -> Any:
    """Each account's results and follower trend (`socialhub analytics accounts`)."""
    filters = Filters(since, until, platform, account, campaign, zone)
    return read(request, caller, lambda ctx: accounts_case(ctx, filters))


@_get("/best-times", "analyticsBestTimes", "When posts did best")
def best_times(request: Request, caller: Caller, since: _SHORT = None, until: _SHORT = None,
               platform: _SHORT = None, account: _SHORT = None, campaign: _SHORT = None,
               zone: _SHORT = None,
               min_posts: Annotated[int, Query(ge=1, le=10_000)] = 3) -> Any:
    """Weekday × hour cells with their sample sizes (`socialhub analytics best-times`)."""
    filters = Filters(since, until, platform, account, campaign, zone)
    return read(request, caller,
                lambda ctx: best_times_case(ctx, filters, min_posts=min_posts))


@_get("/gaps", "analyticsGaps", "Days and networks with nothing planned")
def gaps(request: Request, caller: Caller, since: _SHORT = None, until: _SHORT = None,
         platform: _SHORT = None, account: _SHORT = None, zone: _SHORT = None) -> Any:
    """Days and networks with nothing planned (`socialhub analytics gaps`)."""
    filters = Filters(since, until, platform, account, None, zone)
    return read(request, caller, lambda ctx: planning_gaps(ctx, filters))
