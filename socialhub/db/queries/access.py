"""Reads for the HTTP API's access records: tokens, their members, idempotent answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, select
from sqlalchemy.orm import Session

from socialhub.db.models import ApiIdempotency, ApiToken, Membership, User


def token_with_hash(session: Session, token_hash: str) -> ApiToken | None:
    """The token whose SHA-256 is ``token_hash`` (any organization the login sees)."""
    return session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))


def token_named(session: Session, org_id: int, name: str) -> ApiToken | None:
    """The organization's token called ``name``, or None."""
    return session.scalar(select(ApiToken).where(ApiToken.org_id == org_id,
                                                 ApiToken.name == name))


def token_by_id(session: Session, org_id: int, token_id: int) -> ApiToken | None:
    """The organization's token with id ``token_id``, or None."""
    return session.scalar(select(ApiToken).where(ApiToken.org_id == org_id,
                                                 ApiToken.id == token_id))


def tokens(session: Session, org_id: int, user_id: int | None) -> list[tuple[ApiToken, str]]:
    """The organization's tokens with their member's login, newest first; only
    ``user_id``'s when given."""
    stmt = (select(ApiToken, User.login, User.name).join(User, User.id == ApiToken.user_id)
            .where(ApiToken.org_id == org_id).order_by(ApiToken.id.desc()))
    if user_id is not None:
        stmt = stmt.where(ApiToken.user_id == user_id)
    return [(t, login or name) for t, login, name in session.execute(stmt).all()]


def member_of(session: Session, org_id: int, user_id: int) -> tuple[str, str] | None:
    """``(login or name, role)`` of the user in the organization, or None if not a member."""
    row = session.execute(
        select(User.login, User.name, Membership.role)
        .join(Membership, and_(Membership.user_id == User.id, Membership.org_id == org_id))
        .where(User.id == user_id)).first()
    if row is None:
        return None
    return str(row[0] or row[1]), str(row[2])


def idempotent_answer(session: Session, token_id: int, key: str) -> ApiIdempotency | None:
    """The answer kept for ``key`` of the token, or None."""
    return session.scalar(select(ApiIdempotency).where(ApiIdempotency.token_id == token_id,
                                                       ApiIdempotency.key == key))


def forget_answers_before(session: Session, token_id: int, before: datetime) -> None:
    """Delete the token's kept answers older than ``before``."""
    session.execute(delete(ApiIdempotency).where(ApiIdempotency.token_id == token_id,
                                                 ApiIdempotency.created_at < before))
