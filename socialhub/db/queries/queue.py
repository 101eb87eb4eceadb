"""Reading the delivery queue: the organization's deliveries in some statuses (paged) and
their count, one delivery in an organization, its attempts, and deliveries by id (a
target's deliveries are in ``db.queries.delivery``)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from socialhub.db.models import Account, Attempt, Delivery, Post, Variant
from socialhub.db.queries.keyset import Key, after_position


def deliveries_in(session: Session, org_id: int, statuses: Collection[str], *,
                  offset: int = 0, limit: int | None = None,
                  after: Key | None = None) -> list[Delivery]:
    """The organization's deliveries in one of ``statuses``, soonest next attempt first
    (ties by id), after the position ``after`` (``(next_attempt_at, id)`` of the last
    one shown) when given, from ``offset`` on and at most ``limit`` (None: all); each
    with its target and post, and its account and the account's credential, loaded."""
    q = (select(Delivery).join(Variant).join(Post)
         .options(selectinload(Delivery.variant).selectinload(Variant.post),
                  selectinload(Delivery.account).selectinload(Account.credential))
         .where(Post.org_id == org_id, Delivery.status.in_(list(statuses))))
    if after is not None:
        q = q.where(after_position(
            [(Delivery.next_attempt_at, False), (Delivery.id, False)], after))
    return list(session.scalars(
        q.order_by(Delivery.next_attempt_at, Delivery.id).offset(offset).limit(limit)))


def count_deliveries_in(session: Session, org_id: int, statuses: Collection[str]) -> int:
    """How many of the organization's deliveries are in one of ``statuses``."""
    return session.scalar(
        select(func.count(Delivery.id)).join(Variant).join(Post)
        .where(Post.org_id == org_id, Delivery.status.in_(list(statuses)))) or 0


def delivery_in_org(session: Session, org_id: int, delivery_id: int) -> Delivery | None:
    """The delivery ``delivery_id`` if its post belongs to the organization, else None."""
    return session.scalar(select(Delivery).join(Variant).join(Post).where(
        Delivery.id == delivery_id, Post.org_id == org_id))


def attempts_of(session: Session, delivery_id: int) -> list[Attempt]:
    """Every attempt of the delivery, oldest first (by id)."""
    return list(session.scalars(select(Attempt).where(Attempt.delivery_id == delivery_id)
                                .order_by(Attempt.id)))


def deliveries_by_id(session: Session, ids: list[int]) -> list[Delivery]:
    """The deliveries with these ids (in no set order; unknown ids are left out)."""
    return list(session.scalars(select(Delivery).where(Delivery.id.in_(ids))))
