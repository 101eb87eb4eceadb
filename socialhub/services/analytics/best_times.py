"""Best times to post, from an account's own history, and posting slots made from them.

The grid is weekday × hour in a zone (the display zone unless told): each cell holds
how many posts went out then (``posts``, its sample size), their mean interactions
(``mean_interactions``: likes + replies + reposts + quotes + saves + clicks per post,
absent counts adding nothing; None when no post there was measured) and their mean
engagement rate where impressions exist. Cells are ranked by mean interactions, since
many networks give no impressions; a cell needs ``min_posts`` posts to be suggested.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any

from socialhub.core.policy import Permission
from socialhub.core.when import load_zone
from socialhub.db.queries import analytics as queries
from socialhub.db.queries.analytics import ENGAGEMENT_FORMULA, INTERACTIONS
from socialhub.errors import ValidationError
from socialhub.services.analytics.filters import Filters, resolve
from socialhub.services.authoring.slots import WEEKDAYS, add_slot, list_slots
from socialhub.services.context import Ctx, use_case

DEFAULT_MIN_POSTS = 3
#: How far back best-times looks without --since.
DEFAULT_SINCE = "26w"


def _interactions(row: dict[str, Any]) -> int | None:
    present = [row[m] for m in INTERACTIONS if row[m] is not None]
    return sum(present) if present else None


@use_case(Permission.ANALYTICS_READ)
def best_times(ctx: Ctx, filters: Filters, *, min_posts: int = DEFAULT_MIN_POSTS,
               best: int = 5) -> dict[str, Any]:
    """The weekday × hour grid of ``filters``' posts in the zone, and the ``best`` cells
    with at least ``min_posts`` posts, highest mean interactions first.

    Returns:
        ``formula``, ``window``, ``zone``, ``min_posts``, ``cells`` (all 168, Monday
        00:00 first: ``weekday`` 0–6, ``day`` name, ``hour``, ``posts``,
        ``mean_interactions``, ``mean_engagement_rate``) and ``best`` (a few of them).
    """
    if min_posts < 1:
        raise ValidationError("--min-posts must be at least 1")
    if filters.since is None:
        filters = replace(filters, since=DEFAULT_SINCE)
    window = resolve(ctx, filters)
    zone = load_zone(window.zone)
    posts_in: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for row in queries.post_metrics(ctx.session, window.scope):
        local = row["published_at"].astimezone(zone)
        posts_in[(local.weekday(), local.hour)].append(row)
    cells: list[dict[str, Any]] = []
    for weekday in range(7):
        for hour in range(24):
            rows = posts_in.get((weekday, hour), [])
            counts = [c for c in map(_interactions, rows) if c is not None]
            rates = [r["engagement_rate"] for r in rows if r["engagement_rate"] is not None]
            cells.append({"weekday": weekday, "day": WEEKDAYS[weekday], "hour": hour,
                          "posts": len(rows),
                          "mean_interactions": sum(counts) / len(counts) if counts else None,
                          "mean_engagement_rate": sum(rates) / len(rates) if rates else None})
    ranked = sorted((c for c in cells if c["posts"] >= min_posts
                     and c["mean_interactions"] is not None),
                    key=lambda c: (-c["mean_interactions"], -c["posts"], c["weekday"],
                                   c["hour"]))
    return {"formula": ENGAGEMENT_FORMULA, "window": window.describe(), "zone": window.zone,
            "min_posts": min_posts, "cells": cells, "best": ranked[:best]}


@use_case(Permission.ANALYTICS_READ)
def suggest_slots(ctx: Ctx, account: str, *, count: int = 3, zone: str | None = None,
                  since: str | None = None, min_posts: int = DEFAULT_MIN_POSTS,
                  apply: bool = False) -> dict[str, Any]:
    """Posting slots for ``account`` at its ``count`` best hours (at most one per
    weekday, best first), from its own history; with ``apply``, add the ones it does
    not have yet (that needs the slots.write permission).

    Returns:
        ``account``, ``zone``, ``suggestions`` (``weekday``, ``day``, ``time``,
        ``posts``, ``mean_interactions``, ``exists``, ``added``).
    """
    if not 1 <= count <= 7:
        raise ValidationError("--count must be between 1 and 7 (one slot per weekday)")
    grid = best_times(ctx, Filters(account=account, zone=zone, since=since),
                      min_posts=min_posts, best=7 * 24)
    have = {(s.weekday, s.time) for s in list_slots(ctx, account)}
    chosen: list[dict[str, Any]] = []
    for cell in grid["best"]:
        if len(chosen) == count:
            break
        if any(c["weekday"] == cell["weekday"] for c in chosen):
            continue
        clock = f"{cell['hour']:02d}:00"
        chosen.append({"weekday": cell["weekday"], "day": cell["day"], "time": clock,
                       "posts": cell["posts"], "mean_interactions": cell["mean_interactions"],
                       "exists": (cell["weekday"], clock) in have, "added": False})
    if apply:
        for slot in chosen:
            if not slot["exists"]:
                add_slot(ctx, account, weekday=slot["weekday"], time=slot["time"],
                         zone=grid["zone"])
                slot["added"] = True
    return {"account": account, "zone": grid["zone"], "min_posts": min_posts,
            "suggestions": chosen}
