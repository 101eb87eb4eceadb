"""Reading weekly posting slots (an account's, the organization's in order, those of
several accounts) and the times an account already has a post at."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager

from socialhub.db.models import Account, Post, Slot, Variant


def slot_id_at(session: Session, account_id: int, weekday: int, clock: str) -> int | None:
    """The id of the account's slot on ``weekday`` at ``clock`` (``HH:MM``), or None."""
    return session.scalar(select(Slot.id).where(
        Slot.account_id == account_id, Slot.weekday == weekday, Slot.time == clock))


def slots_of(session: Session, account_id: int) -> list[Slot]:
    """Every slot of the account (in no set order)."""
    return list(session.scalars(select(Slot).where(Slot.account_id == account_id)))


def org_slots(session: Session, org_id: int, account_id: int | None = None) -> list[Slot]:
    """The organization's slots (of one account only, if given), by the account's platform
    and handle, then weekday and time."""
    q = (select(Slot).join(Account).where(Account.org_id == org_id)
         .options(contains_eager(Slot.account)))  # the account rides along: no query per slot
    if account_id is not None:
        q = q.where(Slot.account_id == account_id)
    return list(session.scalars(q.order_by(Account.platform, Account.handle, Slot.weekday,
                                           Slot.time)))


def slots_of_accounts(session: Session, account_ids: Collection[int]) -> list[Slot]:
    """Every slot of these accounts (in no set order)."""
    return list(session.scalars(select(Slot).where(Slot.account_id.in_(list(account_ids)))))


def occupied_times(session: Session, account_id: int) -> set[datetime]:
    """The instants the account has a target scheduled at, canceled posts left out."""
    return set(session.scalars(
        select(Variant.scheduled_at).join(Post).where(
            Variant.account_id == account_id, Variant.scheduled_at.is_not(None),
            Post.status != "canceled")))
