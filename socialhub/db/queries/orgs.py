"""Reading organizations: by name, every name, and the list with member counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from socialhub.db.models import Membership, Organization


def organization_id_named(session: Session, name: str) -> int | None:
    """The id of the organization called ``name``, or None."""
    return session.scalar(select(Organization.id).where(Organization.name == name))


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
