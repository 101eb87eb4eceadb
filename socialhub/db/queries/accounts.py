"""Reading accounts: lookups by platform and handle, and the deliveries waiting on one."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from socialhub.db.models import Account, Delivery

#: Delivery statuses that still have to go out (or be confirmed).
WAITING_STATUSES = ("scheduled", "retry_scheduled", "claimed", "publishing", "unconfirmed")


def account_by_handle(session: Session, org_id: int, platform: str,
                      handle: str) -> Account | None:
    """The organization's account on ``platform`` called ``handle``, or None."""
    return session.scalar(
        select(Account).where(Account.org_id == org_id, Account.platform == platform,
                              Account.handle == handle)
    )


def account_id_by_handle(session: Session, org_id: int, platform: str,
                         handle: str) -> int | None:
    """The id of the organization's account on ``platform`` called ``handle``, or None."""
    return session.scalar(select(Account.id).where(
        Account.org_id == org_id, Account.platform == platform, Account.handle == handle))


def a_waiting_delivery(session: Session, account_id: int) -> int | None:
    """The id of one delivery of the account that still has to go out, or None."""
    return session.scalar(select(Delivery.id).where(
        Delivery.account_id == account_id,
        Delivery.status.in_(list(WAITING_STATUSES)),
    ).limit(1))


def count_waiting(session: Session, account_id: int) -> int:
    """How many deliveries of the account still have to go out."""
    return int(session.scalar(select(func.count(Delivery.id)).where(
        Delivery.account_id == account_id,
        Delivery.status.in_(list(WAITING_STATUSES)))) or 0)
