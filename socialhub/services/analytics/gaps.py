"""Days and networks with nothing planned: where the calendar has holes.

A day (in the display zone, or ``--zone``) has a gap on a network when none of the
organization's accounts there has a delivery due that day that is planned or went
out (scheduled, claimed, publishing, retrying, unconfirmed or published). The
networks checked are those with an active account (or ``--platform``; ``--account``
narrows to that account's network). Without ``--since``/``--until`` the window is
today and the 13 days after it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta
from typing import Any

from socialhub.core.policy import Permission
from socialhub.core.when import load_zone
from socialhub.db.queries import analytics as queries
from socialhub.services.analytics.filters import Filters, resolve
from socialhub.services.authoring.slots import WEEKDAYS
from socialhub.services.context import Ctx, use_case


@use_case(Permission.ANALYTICS_READ)
def planning_gaps(ctx: Ctx, filters: Filters) -> dict[str, Any]:
    """Per day of the window, how many deliveries each network has planned, and the
    (day, network) pairs with none.

    Returns:
        ``window``, ``zone``, ``platforms``, ``days`` (``day``, ``weekday``,
        ``planned`` {network: count}, ``empty`` [networks]) and ``gaps`` (``day``,
        ``weekday``, ``platform``), oldest first.
    """
    filters = replace(filters, since=filters.since or "today",
                      until=filters.until or "+13d")
    window = resolve(ctx, filters)
    zone = load_zone(window.zone)
    platform = window.scope.platform
    if filters.account is not None:
        platform = filters.account.split(":", 1)[0]
    platforms = queries.account_platforms(ctx.session, ctx.org_id, platform)
    planned: Counter[tuple[str, str]] = Counter()
    for due, network in queries.planned_deliveries(ctx.session, ctx.org_id, window.since,
                                                   window.until):
        planned[(due.astimezone(zone).date().isoformat(), network)] += 1
    days, gaps = [], []
    day = window.since.astimezone(zone).date()
    last = (window.until - timedelta(microseconds=1)).astimezone(zone).date()
    while day <= last:
        key = day.isoformat()
        counts = {p: planned[(key, p)] for p in platforms}
        empty = [p for p in platforms if counts[p] == 0]
        days.append({"day": key, "weekday": WEEKDAYS[day.weekday()], "planned": counts,
                     "empty": empty})
        gaps += [{"day": key, "weekday": WEEKDAYS[day.weekday()], "platform": p}
                 for p in empty]
        day += timedelta(days=1)
    return {"window": window.describe(), "zone": window.zone, "platforms": platforms,
            "days": days, "gaps": gaps}
