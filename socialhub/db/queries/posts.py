"""Reading posts: lookups by name or id, the filtered list (paged) and its count, sent
checks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Text, case, cast, func, select
from sqlalchemy.orm import Session, selectinload

from socialhub.db.models import Account, Campaign, Delivery, Post, Variant, VoiceProfile
from socialhub.db.queries.keyset import Key, after_position
from socialhub.db.queries.post_rows import SummaryRows, json_reader

__all__ = ["SENT_STATUSES", "SummaryRows", "count_posts", "json_reader", "list_posts",
           "post_by_id", "post_conditions", "post_id_named", "post_named",
           "post_summary_rows", "sent_status"]

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


def _in_list_order(columns: Sequence[Any], where: list[Any],
                   after: Key | None = None) -> Select[Any]:
    """``columns`` of the posts matching ``where`` in the list order: earliest first
    scheduled target first, posts without a time last, ties by id; only those after the
    position ``after`` when given: ``(first_at, id)``, a post's earliest scheduled time
    (None: none) and its id."""
    first = (select(Variant.post_id, func.min(Variant.scheduled_at).label("first_at"))
             .group_by(Variant.post_id).subquery())
    keys = [(case((first.c.first_at.is_(None), 1), else_=0), False),
            (first.c.first_at, False), (Post.id, False)]
    q = select(*columns).outerjoin(first, first.c.post_id == Post.id).where(*where)
    if after is not None:
        first_at, post_id = after
        q = q.where(after_position(keys, (int(first_at is None), first_at, post_id)))
    return q.order_by(*(expr for expr, _ in keys))


def list_posts(session: Session, where: list[Any], *, offset: int = 0,
               limit: int | None = None, after: Key | None = None) -> list[Post]:
    """Posts matching ``where`` (see ``post_conditions``), earliest first scheduled target
    first, posts without a time last, ties by id; variants and their accounts, campaigns
    and voices loaded (a constant number of queries however many posts); after the
    position ``after`` (see ``_in_list_order``), ``offset`` skipped, at most ``limit``."""
    q = (_in_list_order([Post], where, after)
         .options(selectinload(Post.variants).selectinload(Variant.account),
                  selectinload(Post.campaign), selectinload(Post.voice))
         .offset(offset).limit(limit))
    return list(session.scalars(q))


def post_summary_rows(session: Session, where: list[Any], *, offset: int = 0,
                      limit: int | None = None, after: Key | None = None) -> SummaryRows:
    """The page of ``list_posts`` as rows, in three queries however many posts: the
    fast path for lists (``--json --all`` of 10,000 posts) that need no ORM objects.

    Run on the session's connection: plain Core rows, none of the ORM's per-row work;
    the JSON columns are read as text (see ``SummaryRows``), since most of them hold the
    same few values ('[]', '{}') that ``json_reader`` decodes once.
    """
    run = session.connection().execute
    posts = run(
        _in_list_order([Post.id, Post.name, Post.status, Post.body, cast(Post.tags, Text),
                        Post.paid, Post.created_at, Post.updated_at,
                        Campaign.name.label("campaign_name"),
                        VoiceProfile.name.label("voice_name")], where, after)
        .outerjoin(Campaign, Campaign.id == Post.campaign_id)
        .outerjoin(VoiceProfile, VoiceProfile.id == Post.voice_id)
        .offset(offset).limit(limit)).all()
    if not posts:
        return SummaryRows([], [], [])
    if offset == 0 and limit is None and after is None:
        ids: Any = select(Post.id).where(*where)
    else:  # the same page again, inside the database: no list of ids to send
        ids = select(_in_list_order([Post.id], where, after).offset(offset).limit(limit)
                     .subquery().c.id)
    targets = run(
        select(Variant.id, Variant.post_id, Variant.text, cast(Variant.thread, Text),
               cast(Variant.media, Text), Variant.first_comment, cast(Variant.options, Text),
               Variant.language, Variant.local_time, Variant.timezone, Variant.scheduled_at,
               Account.platform, Account.handle)
        .join(Account, Account.id == Variant.account_id)
        .where(Variant.post_id.in_(ids)).order_by(Variant.id)).all()
    deliveries = run(
        select(Delivery.id, Delivery.status, Delivery.attempts, Delivery.next_attempt_at,
               Delivery.remote_id, Delivery.remote_url, Delivery.last_error,
               Delivery.variant_id)
        .join(Variant, Variant.id == Delivery.variant_id)
        .where(Variant.post_id.in_(ids)).order_by(Delivery.id)).all()
    return SummaryRows(list(posts), list(targets), list(deliveries))


def count_posts(session: Session, where: list[Any]) -> int:
    """How many posts match ``where``."""
    return session.scalar(select(func.count(Post.id)).where(*where)) or 0
