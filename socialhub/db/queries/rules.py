"""SQL for workflow rules and their execution log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from socialhub.db.models import Account, InboxItem, Rule, RuleRun


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
         limit: int = 100) -> list[RuleRun]:
    """The newest executions first (of one rule when named)."""
    q = select(RuleRun).where(RuleRun.org_id == org_id)
    if rule is not None:
        q = q.where(RuleRun.rule_name == rule)
    return list(session.scalars(q.order_by(RuleRun.id.desc()).limit(limit)))
