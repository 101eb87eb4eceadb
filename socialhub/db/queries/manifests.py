"""Reading an organization's authored records in the order a manifest export lists them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from socialhub.db.models import Account, Campaign, Post, Slot, Variant, VoiceProfile


def accounts_in_order(session: Session, org_id: int) -> list[Account]:
    """The organization's accounts by platform then handle."""
    return list(session.scalars(
        select(Account).where(Account.org_id == org_id)
        .order_by(Account.platform, Account.handle)))


def voices_in_order(session: Session, org_id: int) -> list[VoiceProfile]:
    """The organization's voice profiles by name."""
    return list(session.scalars(
        select(VoiceProfile).where(VoiceProfile.org_id == org_id)
        .order_by(VoiceProfile.name)))


def campaigns_in_order(session: Session, org_id: int) -> list[Campaign]:
    """The organization's campaigns by name."""
    return list(session.scalars(
        select(Campaign).where(Campaign.org_id == org_id).order_by(Campaign.name)))


def slots_in_order(session: Session, org_id: int) -> list[Slot]:
    """The organization's slots (accounts loaded) by account, weekday and time."""
    return list(session.scalars(
        select(Slot).join(Account).where(Account.org_id == org_id)
        .options(selectinload(Slot.account))
        .order_by(Account.platform, Account.handle, Slot.weekday, Slot.time)))


def live_posts_in_order(session: Session, org_id: int) -> list[Post]:
    """The organization's posts that are not canceled, by name, with their variants and
    accounts, campaign and voice loaded."""
    return list(session.scalars(
        select(Post).where(Post.org_id == org_id, Post.status != "canceled")
        .options(selectinload(Post.variants).selectinload(Variant.account),
                 selectinload(Post.campaign), selectinload(Post.voice))
        .order_by(Post.name)))
