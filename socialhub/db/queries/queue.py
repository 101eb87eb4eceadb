"""Reading the delivery queue: one delivery in an organization, its attempts, and
deliveries by id (a target's deliveries are in ``db.queries.delivery``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialhub.db.models import Attempt, Delivery, Post, Variant


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
