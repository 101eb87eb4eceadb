"""Reading accounts: the organization's list, lookups by platform and handle (or platform
id, or instance), an account's settings, and the deliveries waiting on one."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

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


def accounts_of(session: Session, org_id: int, platform: str | None = None, *,
                with_credentials: bool = False) -> list[Account]:
    """The organization's accounts (on ``platform`` only, if given), by platform then handle;
    ``with_credentials`` loads every account's credential too, in one more query."""
    q = select(Account).where(Account.org_id == org_id)
    if with_credentials:
        q = q.options(selectinload(Account.credential))
    if platform:
        q = q.where(Account.platform == platform)
    return list(session.scalars(q.order_by(Account.platform, Account.handle)))


def account_refs(session: Session, account_ids: Collection[int]) -> dict[int, str]:
    """``platform:@handle`` of each of these accounts that exists, in one query."""
    if not account_ids:
        return {}
    return {i: f"{platform}:@{handle}" for i, platform, handle in session.execute(
        select(Account.id, Account.platform, Account.handle)
        .where(Account.id.in_(list(account_ids))))}


def account_by_external_id(session: Session, org_id: int, platform: str,
                           external_id: str) -> Account | None:
    """The organization's account on ``platform`` whose platform id is ``external_id``, or
    None."""
    return session.scalar(select(Account).where(
        Account.org_id == org_id, Account.platform == platform,
        Account.external_id == external_id))


def accounts_on_instance(session: Session, org_id: int, platform: str,
                         base_url: str) -> list[Account]:
    """The organization's accounts on ``platform`` at the server ``base_url`` (in no set
    order)."""
    return list(session.scalars(select(Account).where(
        Account.org_id == org_id, Account.platform == platform,
        Account.base_url == base_url)))


def account_settings(session: Session, org_id: int, platform: str,
                     handle: str) -> dict[str, Any] | None:
    """The settings of the organization's account on ``platform`` called ``handle``; None
    when there is no such account (or its settings are NULL)."""
    return session.scalar(select(Account.settings).where(
        Account.org_id == org_id, Account.platform == platform, Account.handle == handle))


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
