"""What the TUI's analytics screen shows, in one read: the overview, the best-time grid
and the accounts to filter by."""

from __future__ import annotations

from typing import Any

from socialhub.core.policy import Permission
from socialhub.services.accounts.accounts import list_accounts
from socialhub.services.analytics.best_times import best_times
from socialhub.services.analytics.filters import Filters
from socialhub.services.analytics.reports import overview
from socialhub.services.context import Ctx, use_case

#: The periods the screen cycles through, in days.
PERIODS: tuple[int, ...] = (7, 30, 90)


@use_case(Permission.ANALYTICS_READ)
def dashboard(ctx: Ctx, *, days: int = 30, account: str | None = None) -> dict[str, Any]:
    """The last ``days`` days (today included), for one account or all.

    Returns:
        ``days``, ``account``, ``accounts`` (every ref, for the filter), ``overview``
        (``reports.overview``) and ``best_times`` (``best_times.best_times``).
    """
    filters = Filters(since=f"{days - 1}d", account=account)
    refs = [f"{a.platform}:@{a.handle}" for a in list_accounts(ctx.session, ctx.org_id)]
    return {"days": days, "account": account, "accounts": refs,
            "overview": overview(ctx, filters), "best_times": best_times(ctx, filters)}
