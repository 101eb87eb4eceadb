"""SQL for the evergreen queue: recurring posts (``recurrences``) and the slot instants
an account has already used."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from socialhub.core.status import PENDING_DELIVERY_STATES
from socialhub.db.models import Delivery, Post, Recurrence, Variant


def recurrences_in_order(session: Session, org_id: int) -> list[Recurrence]:
    """The organization's evergreen entries, by when they may go next (ended ones last),
    then post id; each with its post and the post's variants and accounts."""
    return list(session.scalars(
        select(Recurrence).join(Post, Post.id == Recurrence.post_id)
        .where(Post.org_id == org_id)
        .options(selectinload(Recurrence.post).selectinload(Post.variants)
                 .selectinload(Variant.account))
        .order_by(Recurrence.next_at.is_(None), Recurrence.next_at, Recurrence.post_id)))


def recurrence_of(session: Session, post_id: int) -> Recurrence | None:
    """The evergreen entry of a post, if it has one."""
    return session.scalar(select(Recurrence).where(Recurrence.post_id == post_id))


def used_instants(session: Session, account_id: int, since: datetime) -> set[datetime]:
    """The instants at or after ``since`` the account already has a delivery due at
    (anything but canceled): the slot occurrences a requeue must skip."""
    return set(session.scalars(
        select(Delivery.due_at).where(Delivery.account_id == account_id,
                                      Delivery.due_at >= since,
                                      Delivery.status != "canceled")))


def pending_of_post(session: Session, post_id: int) -> int:
    """How many of the post's deliveries still wait to go out."""
    return len(list(session.scalars(
        select(Delivery.id).join(Variant, Variant.id == Delivery.variant_id)
        .where(Variant.post_id == post_id, Delivery.status.in_(PENDING_DELIVERY_STATES)))))


def last_published(session: Session, post_id: int) -> datetime | None:
    """When the post last went out anywhere (None if never)."""
    return session.scalar(
        select(Delivery.published_at).join(Variant, Variant.id == Delivery.variant_id)
        .where(Variant.post_id == post_id, Delivery.status == "published")
        .order_by(Delivery.published_at.desc()).limit(1))
