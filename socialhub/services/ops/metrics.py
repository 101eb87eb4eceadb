"""Collecting engagement metrics into MetricSnapshot rows, and the daily digest.

A published delivery is measured hourly while younger than 7 days, then
daily until it is 90 days old (after that, numbers barely move and the calls
would only spend rate limit). Each capture is one row, normalised to the
MetricSnapshot columns, with the platform's raw answer kept beside them.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from socialhub.db.models import MetricSnapshot
from socialhub.db.queries import metrics as queries
from socialhub.services.accounts.tokens import TokenManager
from socialhub.services.clock import now_utc
from socialhub.services.hub import Hub

log = logging.getLogger(__name__)

YOUNG = timedelta(days=7)
MAX_AGE = timedelta(days=90)
HOURLY = timedelta(hours=1)
DAILY = timedelta(days=1)
BATCH = 25


def due_for_metrics(session: Session, now: datetime, *, limit: int = 500
                    ) -> list[tuple[int, int, str]]:
    """(delivery id, account id, remote id) of published deliveries whose capture is due."""
    rows = queries.published_with_last_capture(session, now - MAX_AGE, limit=limit * 4)
    due = []
    for d_id, account_id, remote_id, published_at, last_at in rows:
        every = HOURLY if now - published_at < YOUNG else DAILY
        if last_at is None or now - last_at >= every:
            due.append((d_id, account_id, str(remote_id)))
        if len(due) >= limit:
            break
    return due


def collect_metrics(hub: Hub, tokens: TokenManager, *, now: datetime | None = None
                    ) -> dict[str, int]:
    """Capture metrics for every delivery that is due; returns counts (captured, failed)."""
    now = now or now_utc()
    with hub.transaction() as session:
        due = due_for_metrics(session, now)
    by_account: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for d_id, account_id, remote_id in due:
        by_account[account_id].append((d_id, remote_id))
    counts = {"captured": 0, "failed": 0, "accounts": len(by_account)}
    for account_id, items in by_account.items():
        try:
            adapter = tokens.adapter_for(account_id)
            if not adapter.account_capabilities().metrics:
                continue
            tokens.ensure_fresh(account_id, adapter)
            for start in range(0, len(items), BATCH):
                chunk = items[start:start + BATCH]
                found = adapter.fetch_metrics([remote for _, remote in chunk])
                with hub.transaction() as session:
                    for d_id, remote in chunk:
                        m = found.get(remote)
                        if m is None:
                            continue
                        data = asdict(m)
                        raw = data.pop("raw") or {}
                        session.add(MetricSnapshot(delivery_id=d_id, captured_at=now, raw=raw,
                                                   **data))
                        counts["captured"] += 1
        except Exception as exc:  # one account's failure must not stop the others
            counts["failed"] += len(items)
            log.warning("collecting metrics for account %s failed: %s", account_id, exc)
    return counts


def digest(session: Session, *, now: datetime | None = None,
           window: timedelta = DAILY) -> dict[str, Any]:
    """What happened in the last ``window``: published, dead, unconfirmed, waiting, top posts."""
    now = now or now_utc()
    since = now - window
    published = queries.published_since(session, since)
    dead = queries.dead_since(session, since)
    unconfirmed = queries.count_unconfirmed(session)
    upcoming = queries.count_due_before(session, now + window)
    return {
        "since": since, "until": now,
        "published": [{"delivery_id": r.id, "post": r.name, "account": f"{r.platform}:@{r.handle}",
                       "url": r.remote_url} for r in published],
        "dead": [{"delivery_id": r.id, "post": r.name, "reason": r.last_error} for r in dead],
        "unconfirmed": int(unconfirmed),
        "due_next_24h": int(upcoming),
    }
