"""Applying the people kinds: ``Organization`` (its settings) and ``Member`` (login, role).

Planned like every other kind (created, changed, unchanged; nothing written
until the whole set checks out), and written through the teams use cases, so
the same rules hold as on the command line: changing settings needs
``settings.manage``, changing members ``members.manage``, and nobody grants a
role above their own. Members not named are left alone, never removed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from sqlalchemy.orm import Session

from socialhub.core.manifests import Issue, Manifest
from socialhub.core.policy import Permission, may_grant
from socialhub.db.queries import teams as queries
from socialhub.services.context import Ctx, check
from socialhub.services.teams.members import add_member, set_member_role
from socialhub.services.teams.organizations import set_approvals


class Plan(Protocol):
    """What these planners need of ``apply``'s planner."""

    s: Session
    org_id: int
    issues: list[Issue]
    writes: list[Callable[[], None]]

    def change(self, m: Manifest, action: str, fields: list[str] | None = None) -> None:
        """Note what applying ``m`` does."""


def plan_organization(plan: Plan, ctx: Ctx, m: Manifest) -> None:
    """Plan the organization's settings; a manifest naming another organization is an issue.

    Raises:
        PermissionDeniedError: the settings change and the actor may not manage settings.
    """
    org = queries.organization(plan.s, plan.org_id)
    assert org is not None  # the context resolved it
    if m.name != org.name:
        plan.issues.append(m.issue(("metadata", "name"), (
            f"this is organization {org.name!r}, not {m.name!r}: apply it there "
            f"(`socialhub orgs use {m.name}`)")))
        return
    wanted = str(m.model.spec.settings.approvals)
    if dict(org.settings or {}).get("approvals", "off") == wanted:
        plan.change(m, "unchanged")
        return
    check(ctx, Permission.SETTINGS_MANAGE)

    def write() -> None:
        set_approvals(ctx, wanted)
    plan.writes.append(write)
    plan.change(m, "changed", ["approvals"])


def plan_member(plan: Plan, ctx: Ctx, m: Manifest) -> None:
    """Plan one member: added, given another role, or unchanged.

    Raises:
        PermissionDeniedError: a change and the actor may not manage members.
    """
    login, role = m.name, str(m.model.spec.role)
    current = queries.membership_of(plan.s, plan.org_id, login)
    if current is not None and current.role == role:
        plan.change(m, "unchanged")
        return
    check(ctx, Permission.MEMBERS_MANAGE)
    if not may_grant(ctx.actor.role, role) or (
            current is not None and not may_grant(ctx.actor.role, current.role)):
        plan.issues.append(m.issue(("spec", "role"), (
            f"{ctx.actor.name} ({ctx.actor.role.value}) may not change {login} to {role}: "
            "nobody grants or changes a role above their own")))
        return

    def write() -> None:
        if current is None:
            add_member(ctx, login, role)
        else:
            set_member_role(ctx, login, role)
    plan.writes.append(write)
    plan.change(m, "created" if current is None else "changed",
                None if current is None else ["role"])
