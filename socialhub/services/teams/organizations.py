"""Organizations as a member sees them: the ones they belong to, a new one, the settings.

``services.orgs`` finds and creates organization rows; this module holds the
use cases the ``orgs`` commands call, each checked and recorded like any other.
"""

from __future__ import annotations

from typing import Any

from socialhub.core.approvals import APPROVAL_MODES
from socialhub.core.policy import Permission
from socialhub.db.models import Organization
from socialhub.db.queries import teams as queries
from socialhub.errors import ValidationError
from socialhub.services.audit import record_event
from socialhub.services.context import Ctx, use_case
from socialhub.services.orgs import add_organization


@use_case(Permission.ORG_READ)
def my_organizations(ctx: Ctx) -> list[dict[str, Any]]:
    """The organizations the acting login belongs to: ``{"name", "role", "members"}``."""
    return [{"name": name, "role": role, "members": n}
            for name, role, n in queries.organizations_of(ctx.session, ctx.actor.name)]


@use_case(Permission.ORG_MANAGE)
def create_organization(ctx: Ctx, name: str) -> dict[str, Any]:
    """Create the organization ``name`` with the acting login as its owner.

    Raises:
        ValidationError: the name cannot name an organization.
        ConflictError: it exists already.
    """
    org = add_organization(ctx.session, name, owner=ctx.actor.name, login=ctx.actor.name)
    record_event(ctx.session, org.id, "create", "Organization", record_id=org.id, name=name,
                 change={"owner": ctx.actor.name})
    return {"name": org.name, "settings": dict(org.settings or {})}


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
