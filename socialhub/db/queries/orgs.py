"""Reading organizations: by name, every name, and the list with member counts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialhub.db.models import Organization


def organization_id_named(session: Session, name: str) -> int | None:
    """The id of the organization called ``name``, or None."""
    return session.scalar(select(Organization.id).where(Organization.name == name))


def organization_names(session: Session) -> list[str]:
    """Every organization's name, sorted."""
    return list(session.scalars(select(Organization.name).order_by(Organization.name)))
