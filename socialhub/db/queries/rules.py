"""SQL for workflow rules and their execution log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from socialhub.db.models import (
    Account,
    AccountSnapshot,
    Delivery,
    InboxItem,
    Post,
    Rule,
    RuleRun,
    Variant,
)


def rules_in_order(session: Session, org_id: int) -> list[Rule]:
    """The organization's rules by name."""
    return list(session.scalars(select(Rule).where(Rule.org_id == org_id).order_by(Rule.name)))


def rule_named(session: Session, org_id: int, name: str) -> Rule | None:
    """The rule called ``name``, if any."""
    return session.scalar(select(Rule).where(Rule.org_id == org_id, Rule.name == name))


def newest_item_id(session: Session, org_id: int) -> int:
    """The id of the organization's newest inbox item (0 when empty)."""
    return int(session.scalar(select(func.coalesce(func.max(InboxItem.id), 0))
                              .where(InboxItem.org_id == org_id)) or 0)


def items_after(session: Session, org_id: int, after_id: int,
                limit: int = 500) -> Sequence[tuple[InboxItem, Account]]:
    """Inbox items with an id above ``after_id``, oldest first, with their accounts."""
    rows = session.execute(
        select(InboxItem, Account).join(Account, Account.id == InboxItem.account_id)
        .where(InboxItem.org_id == org_id, InboxItem.id > after_id)
        .order_by(InboxItem.id).limit(limit))
    return [(i, a) for i, a in rows.all()]


def recent_items(session: Session, org_id: int,
                 limit: int) -> Sequence[tuple[InboxItem, Account]]:
    """The newest ``limit`` inbox items, oldest first (what ``rules test`` replays)."""
    rows = session.execute(
        select(InboxItem, Account).join(Account, Account.id == InboxItem.account_id)
        .where(InboxItem.org_id == org_id).order_by(InboxItem.id.desc()).limit(limit))
    return list(reversed([(i, a) for i, a in rows.all()]))


def has_run(session: Session, rule_id: int, subject: str, dry_run: bool) -> bool:
    """Whether the rule already ran on ``subject`` (in that mode)."""
    return session.scalar(select(RuleRun.id).where(
        RuleRun.rule_id == rule_id, RuleRun.subject == subject,
        RuleRun.dry_run == dry_run)) is not None


def acted_since(session: Session, rule_id: int, since: datetime) -> int:
    """How many times the rule acted (live, ``done``) since ``since``."""
    return int(session.scalar(select(func.count(RuleRun.id)).where(
        RuleRun.rule_id == rule_id, RuleRun.outcome == "done",
        RuleRun.ran_at >= since)) or 0)


def runs(session: Session, org_id: int, rule: str | None = None,
         limit: int | None = 100, offset: int = 0, after: int | None = None) -> list[RuleRun]:
    """The newest executions first (of one rule when named), only those older than the
    execution ``after`` (an id) when given, ``offset`` skipped, at most ``limit`` (None:
    every one)."""
    q = select(RuleRun).where(RuleRun.org_id == org_id)
    if after is not None:
        q = q.where(RuleRun.id < after)
    if rule is not None:
        q = q.where(RuleRun.rule_name == rule)
    return list(session.scalars(q.order_by(RuleRun.id.desc()).offset(offset).limit(limit)))


def count_runs(session: Session, org_id: int, rule: str | None = None) -> int:
    """How many executions ``runs`` would list with no limit."""
    q = select(func.count(RuleRun.id)).where(RuleRun.org_id == org_id)
    if rule is not None:
        q = q.where(RuleRun.rule_name == rule)
    return session.scalar(q) or 0


def _published(org_id: int) -> Any:
    return (select(Delivery.id, Delivery.remote_id, Delivery.remote_url,
                   Delivery.published_at, Post.name, Variant.text, Account.platform,
                   Account.handle)
            .join(Variant, Variant.id == Delivery.variant_id)
            .join(Post, Post.id == Variant.post_id)
            .join(Account, Account.id == Delivery.account_id)
            .where(Account.org_id == org_id, Delivery.status == "published",
                   Delivery.published_at.is_not(None),
                   # Replies from the inbox are answers, not posts (and a rule's own).
                   Delivery.inbox_item_id.is_(None)))


def _published_row(row: Any) -> dict[str, Any]:
    return {"delivery_id": row.id, "post": row.name, "text": row.text,
            "account": f"{row.platform}:@{row.handle}", "platform": row.platform,
            "url": row.remote_url, "remote_id": row.remote_id,
            "published_at": row.published_at}


def published_since(session: Session, org_id: int, since: datetime,
                    limit: int = 500) -> list[dict[str, Any]]:
    """Posts (not inbox replies) published at or after ``since``, oldest first: one row
    per delivery with ``delivery_id``, ``post``, ``text``, ``account``, ``platform``,
    ``url``, ``remote_id``, ``published_at``."""
    rows = session.execute(_published(org_id).where(Delivery.published_at >= since)
                           .order_by(Delivery.published_at, Delivery.id).limit(limit))
    return [_published_row(r) for r in rows]


def recent_published(session: Session, org_id: int, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` published posts (as :func:`published_since`), oldest first."""
    rows = session.execute(_published(org_id).order_by(Delivery.published_at.desc(),
                                                       Delivery.id.desc()).limit(limit))
    return list(reversed([_published_row(r) for r in rows]))


def account_counts(session: Session, org_id: int) -> list[dict[str, Any]]:
    """Each account's newest counts (``followers``, ``following``, ``posts``; None where
    not given), with ``account_id``, ``account``, ``platform`` and ``captured_at``."""
    newest = (select(AccountSnapshot.account_id,
                     func.max(AccountSnapshot.captured_on).label("day"))
              .group_by(AccountSnapshot.account_id).subquery())
    rows = session.execute(
        select(AccountSnapshot, Account.platform, Account.handle)
        .join(newest, (newest.c.account_id == AccountSnapshot.account_id)
              & (newest.c.day == AccountSnapshot.captured_on))
        .join(Account, Account.id == AccountSnapshot.account_id)
        .where(Account.org_id == org_id).order_by(Account.id))
    return [{"account_id": snap.account_id, "account": f"{platform}:@{handle}",
             "platform": platform, "followers": snap.followers,
             "following": snap.following, "posts": snap.posts,
             "captured_at": snap.captured_at} for snap, platform, handle in rows]
