"""Organizations as a member sees them: the ones they belong to, a new one, the settings.

``services.orgs`` finds and creates organization rows; this module holds the
use cases the ``orgs`` commands call, each checked and recorded like any other.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from socialhub.core.approvals import APPROVAL_MODES
from socialhub.core.policy import Permission
from socialhub.db.models import Organization
from socialhub.db.queries import teams as queries
from socialhub.errors import ValidationError
from socialhub.services.audit import bind_acting, record_event
from socialhub.services.context import Ctx, use_case
from socialhub.services.orgs import add_organization, list_organizations
from socialhub.services.teams.acting import acting_login


def organizations_for_login(session: Session) -> list[dict[str, Any]]:
    """Every organization by name with its member count and the acting login's role in it
    (None where they are not a member): ``{"name", "members", "created_at", "role"}``.

    Read only, and outside any organization: it works before the configured one
    exists, and for someone who belongs to none yet.
    """
    login = acting_login(session)
    roles = queries.roles_of(session, login)
    ids = queries.organization_ids_by_name(session)
    return [{**row, "role": roles.get(ids[row["name"]])} for row in list_organizations(session)]


def start_organization(session: Session, name: str) -> dict[str, Any]:
    """Create the organization ``name`` with the acting login as its owner (recorded).

    Anyone may start an organization: they become its owner. It needs no
    organization of its own, so it runs on a plain session.

    Raises:
        ValidationError: the name cannot name an organization.
        ConflictError: it exists already.
    """
    login = acting_login(session)
    org = add_organization(session, name, owner=login, login=login)
    bind_acting(session, login, "cli")
    record_event(session, org.id, "create", "Organization", record_id=org.id, name=name,
                 change={"owner": login})
    return {"name": org.name, "owner": login}


@use_case(Permission.ORG_READ)
def organization_settings(ctx: Ctx) -> dict[str, Any]:
    """The context organization's name and settings (``approvals`` is ``off`` unless set)."""
    org = _org(ctx)
    settings = dict(org.settings or {})
    settings.setdefault("approvals", "off")
    return {"name": org.name, "settings": settings}


@use_case(Permission.SETTINGS_MANAGE)
def set_approvals(ctx: Ctx, approvals: str) -> dict[str, Any]:
    """Set the organization's ``approvals`` to ``off`` or ``required``.

    Raises:
        ValidationError: another value.
    """
    if approvals not in APPROVAL_MODES:
        raise ValidationError(f"approvals must be one of {', '.join(APPROVAL_MODES)}, "
                              f"not {approvals!r}")
    org = _org(ctx)
    old = dict(org.settings or {}).get("approvals", "off")
    if old != approvals:
        org.settings = {**dict(org.settings or {}), "approvals": approvals}
        ctx.session.flush()
        record_event(ctx.session, org.id, "update", "Organization", record_id=org.id,
                     name=org.name, change={"approvals": [old, approvals]})
    return organization_settings(ctx)


def _org(ctx: Ctx) -> Organization:
    org = queries.organization(ctx.session, ctx.org_id)
    assert org is not None  # the context resolved it
    return org
