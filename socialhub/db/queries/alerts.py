"""What the alert rules read (failed deliveries, accounts to sign in again) and the log
of alerts sent, so each occurrence is told once. Written once for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialhub.db.models import Account, AlertSent, Delivery, Post, Variant

#: Delivery statuses a publish-failure alert is about.
FAILED_STATUSES = ("failed", "dead")


def sent_occurrences(session: Session, org_id: int, rule: str, occurrences: Iterable[str]
                     ) -> set[str]:
    """Which of ``occurrences`` of ``rule`` were already alerted in the organization."""
    wanted = list(occurrences)
    if not wanted:
        return set()
    return set(session.scalars(select(AlertSent.occurrence).where(
        AlertSent.org_id == org_id, AlertSent.rule == rule,
        AlertSent.occurrence.in_(wanted))))


def record_alert(session: Session, org_id: int, rule: str, occurrence: str, message: str,
                 raised_at: datetime) -> None:
    """Remember that ``occurrence`` of ``rule`` was alerted (unique per organization)."""
    session.add(AlertSent(org_id=org_id, rule=rule, occurrence=occurrence[:200],
                          message=message, raised_at=raised_at))
    session.flush()


def alerts_between(session: Session, org_id: int, since: datetime, until: datetime
                   ) -> list[dict[str, Any]]:
    """The alerts raised in ``[since, until)``, oldest first: ``rule``, ``message``,
    ``raised_at``."""
    return [{"rule": r.rule, "message": r.message, "raised_at": r.raised_at}
            for r in session.scalars(select(AlertSent).where(
                AlertSent.org_id == org_id, AlertSent.raised_at >= since,
                AlertSent.raised_at < until).order_by(AlertSent.raised_at, AlertSent.id))]


def failed_deliveries(session: Session, org_id: int, since: datetime,
                      until: datetime | None = None) -> list[dict[str, Any]]:
    """Deliveries that failed or died, last changed in ``[since, until)``: ``delivery_id``,
    ``post``, ``account``, ``status``, ``error``, ``at``; oldest first."""
    query = (select(Delivery.id, Delivery.status, Delivery.last_error, Delivery.updated_at,
                    Post.name, Account.platform, Account.handle)
             .join(Variant, Variant.id == Delivery.variant_id)
             .join(Post, Post.id == Variant.post_id)
             .join(Account, Account.id == Delivery.account_id)
             .where(Account.org_id == org_id, Delivery.status.in_(FAILED_STATUSES),
                    Delivery.updated_at >= since))
    if until is not None:
        query = query.where(Delivery.updated_at < until)
    return [{"delivery_id": r.id, "post": r.name, "account": f"{r.platform}:@{r.handle}",
             "status": r.status, "error": r.last_error, "at": r.updated_at}
            for r in session.execute(query.order_by(Delivery.updated_at, Delivery.id))]


def accounts_needing_reauth(session: Session, org_id: int) -> list[dict[str, Any]]:
    """Accounts whose status is ``needs_reauth``: ``account_id``, ``account``,
    ``reason``, ``since`` (when the account last changed)."""
    return [{"account_id": a.id, "account": f"{a.platform}:@{a.handle}",
             "reason": a.status_reason, "since": a.updated_at}
            for a in session.scalars(select(Account).where(
                Account.org_id == org_id, Account.status == "needs_reauth")
                .order_by(Account.platform, Account.handle))]
