"""Reading posts: lookups by name or id, the filtered list (paged) and its count, sent
checks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from socialhub.db.models import Delivery, Post, Variant

#: Delivery statuses that mean a target has gone out or may have.
SENT_STATUSES = ("published", "publishing", "unconfirmed")


def post_named(session: Session, org_id: int, name: str) -> Post | None:
    """The organization's post called ``name``, with its variants and their accounts
    loaded; or None."""
    return session.scalar(select(Post).options(
        selectinload(Post.variants).selectinload(Variant.account))
        .where(Post.org_id == org_id, Post.name == name))


def post_by_id(session: Session, org_id: int, post_id: int) -> Post | None:
    """The post ``post_id`` if the organization has it, with its variants and their
    accounts loaded; or None."""
    return session.scalar(select(Post).options(
        selectinload(Post.variants).selectinload(Variant.account))
        .where(Post.org_id == org_id, Post.id == post_id))


def post_id_named(session: Session, org_id: int, name: str) -> int | None:
    """The id of the organization's post called ``name``, or None."""
    return session.scalar(select(Post.id).where(Post.org_id == org_id, Post.name == name))


def sent_status(session: Session, variant_id: int) -> str | None:
    """A status of one of the target's deliveries that went out or may have, or None."""
    return session.scalar(select(Delivery.status).where(
        Delivery.variant_id == variant_id,
        Delivery.status.in_(list(SENT_STATUSES))).limit(1))


def post_conditions(org_id: int, *, status: str | None, campaign_id: int | None,
                    account_id: int | None, start: datetime | None,
                    end: datetime | None) -> list[Any]:
    """WHERE conditions for the organization's posts with this status, in this campaign,
    and with a target on this account and/or scheduled in [start, end) (None: any)."""
    where: list[Any] = [Post.org_id == org_id]
    if status:
        where.append(Post.status == status)
    if campaign_id is not None:
        where.append(Post.campaign_id == campaign_id)
    if account_id is not None or start or end:
        vq = select(Variant.post_id)
        if account_id is not None:
            vq = vq.where(Variant.account_id == account_id)
        if start:
            vq = vq.where(Variant.scheduled_at >= start)
        if end:
            vq = vq.where(Variant.scheduled_at < end)
        where.append(Post.id.in_(vq))
    return where


def list_posts(session: Session, where: list[Any], *, offset: int = 0,
               limit: int | None = None) -> list[Post]:
    """Posts matching ``where`` (see ``post_conditions``), earliest first scheduled target
    first, posts without a time last, ties by id; variants and their accounts, campaigns
    and voices loaded (a constant number of queries however many posts)."""
    first = (select(Variant.post_id, func.min(Variant.scheduled_at).label("first_at"))
             .group_by(Variant.post_id).subquery())
    q = (select(Post).outerjoin(first, first.c.post_id == Post.id).where(*where)
         .options(selectinload(Post.variants).selectinload(Variant.account),
                  selectinload(Post.campaign), selectinload(Post.voice))
         .order_by(case((first.c.first_at.is_(None), 1), else_=0), first.c.first_at, Post.id)
         .offset(offset).limit(limit))
    return list(session.scalars(q))


def count_posts(session: Session, where: list[Any]) -> int:
    """How many posts match ``where``."""
    return session.scalar(select(func.count(Post.id)).where(*where)) or 0
