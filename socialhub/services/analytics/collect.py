"""Collecting metrics from the networks: per-post snapshots and daily account counts.

A published delivery is measured hourly while younger than ``analytics.hourly_days``,
then daily, and no more once ``analytics.max_age_days`` old (after that numbers barely
move and the calls would only spend rate limit). Each run spends at most
``analytics.requests_per_run`` API requests per network; what does not fit waits for
the next run, the longest-waiting first. A count the network does not give is stored
as NULL (absent), never 0. Account counts are captured once per UTC day.

Tokens are handled as the inbox sync handles them (``TokenManager.call``): an expired
one is refreshed once, a refused one replaced once by tokens stored since (the account
was reconnected while the daemon ran). A token refused with nothing newer stored is a
failure logged and tried again next run; collection does not flag the account
``needs_reauth`` itself (a metrics endpoint may refuse for a missing analytics scope
while publishing works), only a refresh refused for good does.

This is the daemon's job, not a use case: it runs for every organization at once.
``analytics collect`` runs it now for one organization's accounts
(``accounts_to_collect`` is the use case that says which).
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Collection
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from socialhub.core.policy import Permission
from socialhub.db.queries import metrics as queries
from socialhub.db.queries.accounts import accounts_of
from socialhub.platforms.base import PlatformAdapter
from socialhub.services.accounts.tokens import TokenManager
from socialhub.services.analytics.captures import record_account_snapshot, record_capture
from socialhub.services.clock import now_utc
from socialhub.services.context import Ctx, use_case
from socialhub.services.hub import Hub

log = logging.getLogger(__name__)

#: The metric columns a capture fills (absent ones stay None).
POST_METRICS = ("impressions", "likes", "replies", "reposts", "quotes", "clicks", "saves",
                "video_views")
BATCH = 25


@use_case(Permission.ANALYTICS_IMPORT)
def accounts_to_collect(ctx: Ctx) -> list[int]:
    """The accounts ``analytics collect`` measures now: every account of the organization
    (``collect_metrics`` then skips those with nothing due or no metrics)."""
    return [a.id for a in accounts_of(ctx.session, ctx.org_id)]


def collect_now(hub: Hub, account_ids: Collection[int]) -> dict[str, int]:
    """``analytics collect``: ``collect_metrics`` for these accounts now, with a token
    manager of its own (closed before it returns); the same counts."""
    import os
    import socket

    # A lease owner unique to this process, as the daemon's workers name themselves.
    worker = f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}"
    tokens = TokenManager(hub, worker=worker,
                          timeout_s=hub.config.settings.daemon.request_timeout_s)
    try:
        return collect_metrics(hub, tokens, accounts=set(account_ids))
    finally:
        tokens.close()


def ids_per_request(adapter: PlatformAdapter) -> int:
    """How many posts one ``fetch_metrics`` request covers for this network (1 unless
    the adapter says ``metrics_ids_per_request``)."""
    return max(1, int(getattr(adapter, "metrics_ids_per_request", 1)))


def collect_metrics(hub: Hub, tokens: TokenManager, *, now: datetime | None = None,
                    accounts: Collection[int] | None = None) -> dict[str, int]:
    """Capture every post whose capture is due (within each network's request budget),
    then each account's counts if not yet captured today; only ``accounts`` when given
    (``analytics collect`` passes its organization's).

    Returns counts: ``captured``, ``failed``, ``deferred`` (over budget, next run),
    ``accounts`` (with posts captured), ``profiles`` (account snapshots stored).
    """
    now = now or now_utc()
    opts = hub.config.settings.analytics
    with hub.transaction() as session:
        due = queries.due_for_capture(
            session, now, young=timedelta(days=opts.hourly_days),
            max_age=timedelta(days=opts.max_age_days), limit=opts.requests_per_run * 50)
    by_account: dict[int, list[tuple[int, str]]] = defaultdict(list)
    platform_of: dict[int, str] = {}
    for d_id, account_id, platform, remote_id in due:
        if accounts is not None and account_id not in accounts:
            continue
        by_account[account_id].append((d_id, remote_id))
        platform_of[account_id] = platform
    budget: dict[str, int] = defaultdict(lambda: opts.requests_per_run)
    counts = {"captured": 0, "failed": 0, "deferred": 0, "accounts": len(by_account),
              "profiles": 0}
    for account_id, items in by_account.items():
        platform = platform_of[account_id]
        try:
            adapter = tokens.adapter_for(account_id)
            if not adapter.account_capabilities().metrics:
                continue
            per = ids_per_request(adapter)
            affordable = budget[platform] * per
            if affordable < len(items):
                counts["deferred"] += len(items) - affordable
                items = items[:affordable]
            if not items:
                continue
            budget[platform] -= math.ceil(len(items) / per)
            tokens.ensure_fresh(account_id, adapter)
            for start in range(0, len(items), BATCH):
                counts["captured"] += _capture(hub, tokens, account_id, adapter,
                                               items[start:start + BATCH], now)
        except Exception as exc:  # one account's failure must not stop the others
            counts["failed"] += len(items)
            log.warning("collecting metrics for account %s failed: %s", account_id, exc)
    counts["profiles"] = collect_account_metrics(hub, tokens, now=now, accounts=accounts)
    return counts


def _capture(hub: Hub, tokens: TokenManager, account_id: int, adapter: PlatformAdapter,
             chunk: list[tuple[int, str]], now: datetime) -> int:
    remote_ids = [remote for _, remote in chunk]
    found = tokens.call(account_id, adapter, lambda: adapter.fetch_metrics(remote_ids))
    stored = 0
    with hub.transaction() as session:
        for d_id, remote in chunk:
            m = found.get(remote)
            if m is None:
                continue
            data = asdict(m)
            raw = data.pop("raw") or {}
            record_capture(session, d_id, now, {k: data.get(k) for k in POST_METRICS},
                                   raw)
            stored += 1
    return stored


def collect_account_metrics(hub: Hub, tokens: TokenManager, *, now: datetime | None = None,
                            accounts: Collection[int] | None = None) -> int:
    """Store today's followers, following and posts for every active account not yet
    captured today whose network gives them; returns how many were stored."""
    now = now or now_utc()
    with hub.transaction() as session:
        due = queries.accounts_due_for_profile(session, now.date())
    stored = 0
    for account_id, _platform in due:
        if accounts is not None and account_id not in accounts:
            continue
        try:
            adapter = tokens.adapter_for(account_id)
            if type(adapter).fetch_account_metrics is PlatformAdapter.fetch_account_metrics:
                continue  # the network gives no account counts (docs/analytics.md)
            tokens.ensure_fresh(account_id, adapter)
            found = tokens.call(account_id, adapter, adapter.fetch_account_metrics)
        except Exception as exc:
            log.warning("collecting account counts for account %s failed: %s",
                        account_id, exc)
            continue
        if found is None:
            continue
        counts: dict[str, Any] = asdict(found)
        raw = counts.pop("raw") or {}
        with hub.transaction() as session:
            record_account_snapshot(session, account_id, now, counts, raw)
        stored += 1
    return stored
