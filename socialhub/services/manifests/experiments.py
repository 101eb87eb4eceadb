"""Applying ``kind: Experiment``: the experiment row and its arms, linked to the arm posts.

Each arm's text is a post of its own (``experiment.arm``, planned with the other
posts, so its text is checked against the real account and its time against the
clock); this module plans the experiment itself: metric, split, minimum sample,
confidence, campaign and which post each arm is. It is written after the posts,
since a new arm's post gets its id only then. Applying twice changes nothing; a
running experiment keeps its status and winner.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy.orm import Session

from socialhub.core.manifests import Manifest, arm_post_name
from socialhub.db.models import Campaign, Experiment, ExperimentArm
from socialhub.db.queries import experiments as queries
from socialhub.db.queries import manifests as manifest_queries
from socialhub.services.audit import changes, created, record_event

#: The fields an apply compares and an export writes, in order.
FIELDS = ("campaign", "metric", "split", "min_sample", "confidence", "arms")


class Plan(Protocol):
    """What this planner needs of ``apply``'s planner."""

    s: Session
    org_id: int
    campaigns: dict[str, Campaign]
    late_writes: list[Callable[[], None]]
    writes: list[Callable[[], None]]

    @property
    def source(self) -> str | None:
        """The directory or repository the apply labels what it writes with, if any."""

    def change(self, m: Manifest, action: str, fields: list[str] | None = None) -> None:
        """Note what applying ``m`` does."""

    def via(self, base: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
        """The ``change`` data of an audit event written by this apply."""


def experiment_state(e: Experiment) -> dict[str, Any]:
    """An experiment as apply compares it and the audit trail records it."""
    return {"campaign": e.campaign.name if e.campaign is not None else None,
            "metric": e.metric, "split": e.split, "min_sample": e.min_sample,
            "confidence": e.confidence,
            "arms": [[a.name, a.post.name] for a in e.arms]}


def _desired(m: Manifest) -> dict[str, Any]:
    spec, meta = m.model.spec, m.model.metadata
    return {"campaign": meta.campaign, "metric": spec.metric, "split": spec.split,
            "min_sample": spec.min_sample, "confidence": float(spec.confidence),
            "arms": [[a.name, arm_post_name(m.name, a.name)] for a in spec.arms]}


def plan_experiments(plan: Plan, manifests: list[Manifest]) -> None:
    """Plan each experiment: created, changed (with the fields) or unchanged."""
    if not manifests:
        return
    existing = {e.name: e for e in queries.experiments_in_order(plan.s, plan.org_id)}
    for m in manifests:
        desired = _desired(m)
        row = existing.get(m.name)
        if row is None:
            plan.late_writes.append(_writer(plan, m, None, desired))
            plan.change(m, "created")
            continue
        before = experiment_state(row)
        diff = [f for f in FIELDS if before[f] != desired[f]]
        if plan.source is not None and row.source != plan.source:
            diff.append("source")  # applied from this directory now: a prune may end it
        if not diff:
            plan.change(m, "unchanged")
            continue
        plan.late_writes.append(_writer(plan, m, row, desired))
        plan.change(m, "changed", diff)


def _writer(plan: Plan, m: Manifest, row: Experiment | None,
            desired: dict[str, Any]) -> Callable[[], None]:
    def write() -> None:
        s = plan.s
        before = experiment_state(row) if row is not None else None
        target = row or Experiment(org_id=plan.org_id, name=m.name)
        campaign = plan.campaigns.get(desired["campaign"]) if desired["campaign"] else None
        target.campaign = campaign
        target.metric, target.split = desired["metric"], desired["split"]
        target.min_sample, target.confidence = desired["min_sample"], desired["confidence"]
        if plan.source is not None:
            target.source = plan.source
        posts = queries.posts_by_name(s, plan.org_id, [p for _a, p in desired["arms"]])
        keep = {a.name: a for a in target.arms}
        arms = []
        for position, (arm, post_name) in enumerate(desired["arms"]):
            link = keep.get(arm) or ExperimentArm(name=arm)
            link.post, link.position = posts[post_name], position
            arms.append(link)
        target.arms = arms
        if row is None:
            s.add(target)
        s.flush()
        after = experiment_state(target)
        record_event(s, plan.org_id, "create" if before is None else "update", "Experiment",
                     record_id=target.id, name=m.name,
                     change={"via": "apply", **(created(after) if before is None
                                                else changes(before, after))})
    return write


def prune_experiments(plan: Plan, listed: set[str]) -> list[str]:
    """Plan the removal of every experiment ``plan.source`` owns but no longer lists;
    returns their names (the caller notes them as ``removed``).

    The row and its arm links go (its arm posts are pruned like any unlisted post:
    canceled, or kept when already published); an evergreen entry a promotion made
    stays. Experiments owned by another directory, or by none, are never touched.
    """
    if plan.source is None:
        return []
    removed = []
    for row in manifest_queries.owned_experiments(plan.s, plan.org_id, plan.source):
        if row.name not in listed:
            plan.writes.append(_remover(plan, row))
            removed.append(row.name)
    return removed


def _remover(plan: Plan, row: Experiment) -> Callable[[], None]:
    def remove() -> None:
        before, row_id, name = experiment_state(row), row.id, row.name
        plan.s.delete(row)
        record_event(plan.s, plan.org_id, "delete", "Experiment", record_id=row_id, name=name,
                     change=plan.via(pruned=True, before=before))
    return remove
