"""Reading organizations (by name, every name, the list with member counts) and adding
a new organization's first owner."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session

from socialhub.db.models import Membership, Organization
from socialhub.db.types import utcnow


def organization_id_named(session: Session, name: str) -> int | None:
    """The id of the organization called ``name``, or None."""
    return session.scalar(select(Organization.id).where(Organization.name == name))


def add_first_owner(session: Session, org_id: int, user_id: int) -> None:
    """Make ``user_id`` the owner of the new organization ``org_id``.

    A plain INSERT, without RETURNING: on PostgreSQL, RETURNING holds the new row to
    the memberships SELECT policy, whose look-up of the acting login's organizations
    runs on the statement's snapshot and so does not see this very row yet (the
    INSERT policy allows it; the SELECT policy would refuse the whole statement).
    """
    # Text, not insert(): SQLAlchemy adds RETURNING to fetch a single row's key.
    # The column's type binds the time (UTC, as every other write stores it).
    stmt = text("INSERT INTO memberships (org_id, user_id, role, created_at, updated_at) "
                "VALUES (:org, :user, 'owner', :now, :now)").bindparams(
        bindparam("now", type_=Membership.__table__.c.created_at.type))
    session.execute(stmt, {"org": org_id, "user": user_id, "now": utcnow()})


def organization_names(session: Session) -> list[str]:
    """Every organization's name, sorted."""
    return list(session.scalars(select(Organization.name).order_by(Organization.name)))


def organizations_with_member_counts(session: Session) -> list[tuple[str, int, datetime]]:
    """``(name, members, created_at)`` of every organization, by name; an organization
    without members counts 0."""
    members = (select(Membership.org_id, func.count().label("n"))
               .group_by(Membership.org_id).subquery())
    rows = session.execute(
        select(Organization.name, func.coalesce(members.c.n, 0), Organization.created_at)
        .outerjoin(members, members.c.org_id == Organization.id)
        .order_by(Organization.name))
    return [(name, int(n), created) for name, n, created in rows]
