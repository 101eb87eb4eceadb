"""Reading campaigns: the organization's list (paged) and its count, lookups by name, post
counts and a campaign's posts."""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from socialhub.db.models import Campaign, Post, Variant
from socialhub.db.queries.keyset import Key, OrderKey, after_position


def campaign_named(session: Session, org_id: int, name: str) -> Campaign | None:
    """The organization's campaign called ``name``, or None."""
    return session.scalar(select(Campaign).where(Campaign.org_id == org_id,
                                                 Campaign.name == name))


def campaign_id_named(session: Session, org_id: int, name: str) -> int | None:
    """The id of the organization's campaign called ``name``, or None."""
    return session.scalar(select(Campaign.id).where(Campaign.org_id == org_id,
                                                    Campaign.name == name))


def post_counts_by_status(session: Session, campaign_id: int) -> dict[str, int]:
    """How many of the campaign's posts are in each status (statuses with none left out)."""
    return {status: n for status, n in session.execute(
        select(Post.status, func.count()).where(Post.campaign_id == campaign_id)
        .group_by(Post.status))}


def post_counts_by_campaign(session: Session,
                            campaign_ids: list[int]) -> dict[int, dict[str, int]]:
    """``post_counts_by_status`` of each of these campaigns, in one query (a campaign
    without posts maps to an empty dict)."""
    counts: dict[int, dict[str, int]] = {cid: {} for cid in campaign_ids}
    if campaign_ids:
        for cid, status, n in session.execute(
                select(Post.campaign_id, Post.status, func.count())
                .where(Post.campaign_id.in_(campaign_ids))
                .group_by(Post.campaign_id, Post.status)):
            if cid is not None:  # never: the IN excludes it
                counts[cid][status] = n
    return counts


#: The campaigns' order: by start date (those without one last, on both databases),
#: then name, then id.
_CAMPAIGN_ORDER: list[OrderKey] = [
    (case((Campaign.starts_on.is_(None), 1), else_=0), False), (Campaign.starts_on, False),
    (Campaign.name, False), (Campaign.id, False)]


def campaigns_of(session: Session, org_id: int, *, offset: int = 0,
                 limit: int | None = None, after: Key | None = None) -> list[Campaign]:
    """The organization's campaigns by start date (those without one last), then name,
    then id; after the position ``after`` (``(starts_on, name, id)`` of the last one
    shown) when given, from ``offset`` on and at most ``limit`` (None: all)."""
    q = (select(Campaign).where(Campaign.org_id == org_id)
         .order_by(*(expr for expr, _ in _CAMPAIGN_ORDER)))
    if after is not None:
        starts_on, name, campaign_id = after
        q = q.where(after_position(_CAMPAIGN_ORDER,
                                   (int(starts_on is None), starts_on, name, campaign_id)))
    return list(session.scalars(q.offset(offset).limit(limit)))


def count_campaigns(session: Session, org_id: int) -> int:
    """How many campaigns the organization has."""
    return session.scalar(select(func.count(Campaign.id))
                          .where(Campaign.org_id == org_id)) or 0


def posts_of_campaign(session: Session, org_id: int, campaign_id: int) -> list[Post]:
    """The campaign's posts (not canceled), oldest first, with their variants and accounts
    loaded (for checking each target's text)."""
    return list(session.scalars(
        select(Post).where(Post.org_id == org_id, Post.campaign_id == campaign_id,
                           Post.status != "canceled")
        .options(selectinload(Post.variants).selectinload(Variant.account),
                 selectinload(Post.campaign))
        .order_by(Post.created_at, Post.id)))
