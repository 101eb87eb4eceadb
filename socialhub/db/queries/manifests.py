"""Manifests: an organization's authored records in the order an export lists them, what
an apply plans against (posts by name, their targets' live deliveries), and the bulk
INSERTs that write an apply's new posts.

An apply of thousands of new posts writes them with a few multi-row INSERTs rather than
the unit of work (``services.manifests.posts`` builds the rows).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from socialhub.db.models import (
    Account,
    Campaign,
    Delivery,
    Experiment,
    Post,
    Slot,
    Variant,
    VoiceProfile,
)


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


def posts_named(session: Session, org_id: int, names: Collection[str]) -> list[Post]:
    """The organization's posts called one of ``names`` (in no set order), with their
    variants loaded."""
    return list(session.scalars(
        select(Post).where(Post.org_id == org_id, Post.name.in_(list(names)))
        .options(selectinload(Post.variants))))


def owned_posts(session: Session, org_id: int, source: str) -> list[Post]:
    """The organization's posts owned by ``source`` that are not canceled, by name."""
    return list(session.scalars(
        select(Post).where(Post.org_id == org_id, Post.source == source,
                           Post.status != "canceled").order_by(Post.name)))


def owned_experiments(session: Session, org_id: int, source: str) -> list[Experiment]:
    """The organization's experiments owned by ``source``, by name."""
    return list(session.scalars(
        select(Experiment).where(Experiment.org_id == org_id, Experiment.source == source)
        .order_by(Experiment.name)))


def owned_slots(session: Session, org_id: int, source: str) -> list[Slot]:
    """The organization's slots owned by ``source`` (accounts loaded), in export order."""
    return list(session.scalars(
        select(Slot).join(Account).where(Account.org_id == org_id, Slot.source == source)
        .options(selectinload(Slot.account))
        .order_by(Account.platform, Account.handle, Slot.weekday, Slot.time)))


def latest_live_statuses(session: Session, variant_ids: Collection[int]) -> dict[int, str]:
    """For each of these targets that has one, the status of its newest (highest id)
    delivery that is neither canceled nor dead."""
    return {variant_id: status for variant_id, status in session.execute(
        select(Delivery.variant_id, Delivery.status)
        .where(Delivery.variant_id.in_(list(variant_ids)),
               Delivery.status.not_in(["canceled", "dead"]))
        .order_by(Delivery.id))}


def published_targets(session: Session, org_id: int,
                      source: str | None = None) -> list[dict[str, Any]]:
    """Every published delivery of the organization's posts (those ``source`` owns, when
    given): post name, account ref, remote id and URL, when it went out; by post name
    and account."""
    query = (
        select(Post.name, Account.platform, Account.handle, Delivery.remote_id,
               Delivery.remote_url, Delivery.updated_at)
        .join(Variant, Variant.post_id == Post.id)
        .join(Delivery, Delivery.variant_id == Variant.id)
        .join(Account, Account.id == Variant.account_id)
        .where(Post.org_id == org_id, Delivery.status == "published")
        .order_by(Post.name, Account.platform, Account.handle, Delivery.id))
    if source is not None:
        query = query.where(Post.source == source)
    rows = session.execute(query)
    return [{"post": r[0], "account": f"{r[1]}:@{r[2]}", "remote_id": r[3],
             "remote_url": r[4], "published_at": r[5]} for r in rows]


def insert_posts(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert these posts (one multi-row INSERT); their ids, in the order of ``rows``."""
    return _insert_returning_ids(session, Post, rows)


def insert_variants(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert these targets (one multi-row INSERT); their ids, in the order of ``rows``."""
    return _insert_returning_ids(session, Variant, rows)


def insert_deliveries(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert these deliveries (one multi-row INSERT; none if ``rows`` is empty)."""
    if rows:
        session.execute(insert(Delivery), list(rows))


def _insert_returning_ids(session: Session, model: Any,
                          rows: Sequence[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    result = session.execute(insert(model).returning(model.id, sort_by_parameter_order=True),
                             list(rows))
    return [int(r[0]) for r in result]
