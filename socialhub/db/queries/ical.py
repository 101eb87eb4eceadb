"""SQL for the calendar feed (``services/authoring/ical.py``): every target with a time,
with what the feed needs to say when it last changed."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialhub.db.models import Account, Delivery, Organization, Post, Variant


class FeedRow(NamedTuple):
    """One post × target with a time, and its newest delivery (None before scheduling)."""

    post_id: int
    post_name: str
    post_status: str
    post_created_at: datetime
    post_updated_at: datetime
    account_id: int
    platform: str
    handle: str
    text: str
    scheduled_at: datetime
    variant_updated_at: datetime
    delivery_status: str | None
    remote_url: str | None
    delivery_updated_at: datetime | None


def feed_rows(session: Session, org_id: int, since: datetime | None,
              until: datetime | None) -> list[FeedRow]:
    """The organization's targets with a time in [since, until) (either end open when
    None), by time, each with its newest delivery."""
    q = (select(Variant.id, Post.id, Post.name, Post.status, Post.created_at, Post.updated_at,
                Account.id, Account.platform, Account.handle, Variant.text,
                Variant.scheduled_at, Variant.updated_at)
         .join(Post, Variant.post_id == Post.id)
         .join(Account, Variant.account_id == Account.id)
         .where(Post.org_id == org_id, Variant.scheduled_at.is_not(None))
         .order_by(Variant.scheduled_at, Variant.id))
    if since is not None:
        q = q.where(Variant.scheduled_at >= since)
    if until is not None:
        q = q.where(Variant.scheduled_at < until)
    targets = session.execute(q).all()
    newest: dict[int, tuple[str | None, str | None, datetime | None]] = {}
    ids = [row[0] for row in targets]
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        deliveries = session.execute(
            select(Delivery.variant_id, Delivery.status, Delivery.remote_url,
                   Delivery.updated_at)
            .where(Delivery.variant_id.in_(chunk)).order_by(Delivery.id))
        for variant_id, status, url, updated in deliveries:
            newest[variant_id] = (status, url, updated)  # the last one wins: the newest
    rows = []
    for (variant_id, post_id, name, pstatus, pcreated, pupdated, account_id, platform,
         handle, text, at, vupdated) in targets:
        dstatus, url, dupdated = newest.get(variant_id, (None, None, None))
        rows.append(FeedRow(post_id, name, pstatus, pcreated, pupdated, account_id, platform,
                            handle, text, at, vupdated, dstatus, url, dupdated))
    return rows


def calendar_name(session: Session, org_id: int) -> str | None:
    """The name of organization ``org_id`` (the feed's title)."""
    return session.scalar(select(Organization.name).where(Organization.id == org_id))
