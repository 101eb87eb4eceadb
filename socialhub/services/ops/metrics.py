"""The daily digest: what went out, died or waits (collection lives in
``services/analytics/collect.py``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from socialhub.db.queries import metrics as queries
from socialhub.services.clock import now_utc

DAILY = timedelta(days=1)


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
