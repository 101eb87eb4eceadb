"""A report as a file: one campaign's, one account's or the organization's results.

``build_report`` gathers the figures once (totals, per network, per day, the top posts
and the weekday × hour grid) from the part-A use cases, so the HTML, PDF, CSV and
JSON renderings (``report_render``) all show the same numbers.
"""

from __future__ import annotations

from typing import Any

from socialhub.core.policy import Permission
from socialhub.db.queries.analytics import click_through
from socialhub.errors import ValidationError
from socialhub.services.analytics.best_times import best_times
from socialhub.services.analytics.filters import DEFAULT_DAYS, Filters, resolve
from socialhub.services.analytics.reports import overview, top
from socialhub.services.context import Ctx, use_case

FORMATS: tuple[str, ...] = ("html", "pdf", "csv", "json")
#: How many posts the report's top table lists.
TOP_POSTS = 10


def report_subject(filters: Filters) -> str:
    """What the report is about, as its title names it."""
    if filters.campaign is not None:
        return f"Campaign {filters.campaign}"
    if filters.account is not None:
        return f"Account {filters.account}"
    return "All accounts"


@use_case(Permission.ANALYTICS_READ)
def build_report(ctx: Ctx, filters: Filters, *, top_posts: int = TOP_POSTS) -> dict[str, Any]:
    """The figures of a report for ``filters`` (a campaign or an account, not both).

    Returns:
        ``title``, ``generated_at``, ``formula``, ``window``, ``totals``,
        ``by_platform``, ``daily`` (every day of the window), ``top`` (the best
        ``top_posts`` by engagement rate) and ``best_times`` (168 weekday × hour
        cells, in the window's zone) and ``clicks`` (``total`` and ``by_platform``:
        clicks, impressions and CTR over the posts that have a clicks count).

    Raises:
        ValidationError: both a campaign and an account were given, or a bad filter.
        NotFoundError: the campaign or account does not exist.
    """
    if filters.campaign is not None and filters.account is not None:
        raise ValidationError("give --campaign or --account, not both")
    data = overview(ctx, filters)
    ranked = top(ctx, filters, by="engagement", limit=top_posts)
    grid = best_times(ctx, Filters(**{**filters.__dict__,
                                      "since": filters.since or f"{DEFAULT_DAYS - 1}d"}),
                      best=5)
    return {"title": report_subject(filters), "generated_at": ctx.now(),
            "clicks": clicks_section(ctx, filters),
            "formula": data["formula"], "window": data["window"],
            "totals": data["totals"], "by_platform": data["by_platform"],
            "daily": data["daily"], "top": ranked["posts"],
            "best_times": {"zone": grid["zone"], "cells": grid["cells"],
                           "best": grid["best"]}}


@use_case(Permission.ANALYTICS_READ)
def clicks_section(ctx: Ctx, filters: Filters) -> dict[str, Any]:
    """Clicks and click-through rate in the report's window: ``by_platform`` rows
    (``db.queries.analytics.click_through``) and their ``total``."""
    rows = click_through(ctx.session, resolve(ctx, filters).scope)
    clicks = sum(r["clicks"] for r in rows)
    impressions = sum(r["impressions"] for r in rows)
    return {"by_platform": rows,
            "total": {"posts": sum(r["posts"] for r in rows), "clicks": clicks,
                      "impressions": impressions,
                      "ctr": clicks / impressions if impressions else None}}
