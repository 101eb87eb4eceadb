"""Reading weekly posting slots and the times an account already has a post at."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialhub.db.models import Post, Slot, Variant


def slot_id_at(session: Session, account_id: int, weekday: int, clock: str) -> int | None:
    """The id of the account's slot on ``weekday`` at ``clock`` (``HH:MM``), or None."""
    return session.scalar(select(Slot.id).where(
        Slot.account_id == account_id, Slot.weekday == weekday, Slot.time == clock))


def slots_of(session: Session, account_id: int) -> list[Slot]:
    """Every slot of the account (in no set order)."""
    return list(session.scalars(select(Slot).where(Slot.account_id == account_id)))


def occupied_times(session: Session, account_id: int) -> set[datetime]:
    """The instants the account has a target scheduled at, canceled posts left out."""
    return set(session.scalars(
        select(Variant.scheduled_at).join(Post).where(
            Variant.account_id == account_id, Variant.scheduled_at.is_not(None),
            Post.status != "canceled")))
