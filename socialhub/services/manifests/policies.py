"""Applying ``kind: Policy`` and holding the applied posts to the content policies.

A policy is planned like every other kind (created, changed, unchanged; nothing
written until the whole set checks out). Its campaign must exist in the database
or in the set. Then every ``Post`` of the set is checked against the policies it
will be held to — the stored ones, replaced by name by those of the set — and a
finding of severity ``error`` is an issue at the text's ``file:line``, so the
apply refuses and writes nothing; warnings ride along on the post's change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sqlalchemy.orm import Session

from socialhub.core.manifest_policies import check_post_policies
from socialhub.core.manifests import Issue, Manifest
from socialhub.db.models import Campaign, Policy
from socialhub.services.audit import changes, created, record_event
from socialhub.services.authoring.content_policies import paid_campaigns, policy_of


class Plan(Protocol):
    """What this planner needs of ``apply``'s planner."""

    s: Session
    org_id: int
    issues: list[Issue]
    writes: list[Callable[[], None]]
    campaigns: dict[str, Campaign]
    policies: dict[str, Policy]

    def change(self, m: Manifest, action: str, fields: list[str] | None = None) -> None:
        """Note what applying ``m`` does."""

    def via(self, base: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
        """The audit ``change`` of an apply."""


def policy_spec(m: Manifest) -> dict[str, Any]:
    """The spec as stored: as written, defaults left out (so export gives it back)."""
    spec: dict[str, Any] = m.model.spec.model_dump(mode="json", exclude_defaults=True)
    return spec


def plan_policy(plan: Plan, m: Manifest) -> None:
    """Plan creating or changing one policy."""
    campaign_name = m.model.metadata.campaign
    campaign = plan.campaigns.get(campaign_name) if campaign_name else None
    if campaign_name and campaign is None:
        plan.issues.append(m.issue(("metadata", "campaign"), (
            f"unknown campaign {campaign_name!r} (not in the database or in these manifests)")))
        return
    spec = policy_spec(m)
    existing = plan.policies.get(m.name)
    after = {"campaign": campaign_name, "spec": spec}
    if existing is None:
        row = Policy(org_id=plan.org_id, name=m.name, spec=spec)
        plan.policies[m.name] = row

        def create() -> None:
            row.campaign = campaign
            plan.s.add(row)
            plan.s.flush()
            record_event(plan.s, plan.org_id, "create", "Policy", record_id=row.id,
                         name=m.name, change=plan.via(created(after)))
        plan.writes.append(create)
        plan.change(m, "created")
        return
    before = {"campaign": existing.campaign.name if existing.campaign else None,
              "spec": existing.spec}
    fields = [f for f in ("campaign", "spec") if before[f] != after[f]]
    if not fields:
        plan.change(m, "unchanged")
        return

    def update() -> None:
        existing.campaign, existing.spec = campaign, spec
        record_event(plan.s, plan.org_id, "update", "Policy", record_id=existing.id,
                     name=m.name, change=plan.via(changes(before, after)))
    plan.writes.append(update)
    plan.change(m, "changed", fields)


def check_policies(plan: Plan, manifests: Sequence[Manifest]) -> list[tuple[str, Issue]]:
    """Hold the set's posts to the policies; errors go to ``plan.issues``, the warnings
    are returned with their post's name."""
    stored = [policy_of(p) for p in plan.policies.values() if p.id is not None]
    found = check_post_policies(manifests, stored=stored,
                                stored_paid=paid_campaigns(plan.s, plan.org_id))
    plan.issues += [i for _name, i in found if i.severity == "error"]
    return [(name, i) for name, i in found if i.severity != "error"]
