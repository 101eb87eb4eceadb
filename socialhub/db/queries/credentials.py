"""Reading and locking stored credentials: by account, in id order for key rotation,
the ones about to expire, the refresh lock (PostgreSQL) and the refresh lease's release."""

from __future__ import annotations

import zlib
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from socialhub.db.models import Account, Credential


def credential_of(session: Session, account_id: int) -> Credential | None:
    """The account's stored credential, or None."""
    return session.scalar(select(Credential).where(Credential.account_id == account_id))


def credential_ids(session: Session) -> list[int]:
    """Every credential's id, ascending."""
    return list(session.scalars(select(Credential.id).order_by(Credential.id)))


def lock_credentials(session: Session, ids: list[int]) -> list[Credential]:
    """The credentials with these ids, locked ``FOR UPDATE`` (on PostgreSQL) until the
    transaction ends."""
    return list(session.scalars(
        select(Credential).where(Credential.id.in_(ids)).with_for_update()
    ).all())


def counts_by_key(session: Session) -> dict[str, int]:
    """How many credentials each key id encrypts."""
    rows = session.execute(select(Credential.key_id, func.count()).group_by(Credential.key_id))
    return {key_id: int(n) for key_id, n in rows}


def expiring_refreshable(session: Session, until: datetime) -> list[int]:
    """Account ids of active accounts whose token expires at or before ``until`` and that
    have a refresh token."""
    return list(session.scalars(
        select(Credential.account_id).join(Account, Account.id == Credential.account_id)
        .where(Account.status == "active", Credential.expires_at.is_not(None),
               Credential.expires_at <= until, Credential.refresh_token_enc.is_not(None))))


def try_lock_refresh(session: Session, account_id: int) -> bool:
    """Take the PostgreSQL advisory lock on refreshing the account's tokens if no other
    transaction holds it (``pg_try_advisory_xact_lock``: it ends with the transaction);
    whether it was taken. PostgreSQL only."""
    key = zlib.crc32(f"socialhub-refresh:{account_id}".encode())
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key}))


def end_refresh_lease(session: Session, account_id: int, worker: str) -> None:
    """Give back ``worker``'s refresh lease on the account's credential, and mark a
    credential still ``refresh_pending`` valid again."""
    session.execute(update(Credential).where(
        Credential.account_id == account_id, Credential.refresh_owner == worker)
        .values(refresh_owner=None, refresh_lease_until=None))
    session.execute(update(Credential).where(
        Credential.account_id == account_id,
        Credential.status == "refresh_pending").values(status="valid"))


def active_accounts_with_credentials(session: Session, limit: int) -> list[int]:
    """Ids of up to ``limit`` active accounts that have a stored credential."""
    return list(session.scalars(
        select(Account.id).join(Credential, Credential.account_id == Account.id)
        .where(Account.status == "active").limit(limit)))
