"""SQL for experiments (``kind: Experiment``) and the counts their verdicts are made of.

Written once for SQLite and PostgreSQL. An arm's counts come from the analytics
context's ``metric_latest`` (each published delivery's newest capture, never a
sum over snapshots), summed over the arm post's published deliveries; only
deliveries with impressions count, since every experiment metric is a rate per
impression (docs/campaigns.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session, selectinload

from socialhub.db.models import (
    Account,
    Delivery,
    Experiment,
    ExperimentArm,
    MetricLatest,
    Post,
    Variant,
)
from socialhub.db.queries.analytics import (
    interactions_column,
    metric_column,
    with_first_party_clicks,
)


def experiments_in_order(session: Session, org_id: int, *,
                         campaign_id: int | None = None) -> list[Experiment]:
    """The organization's experiments by name (only ``campaign_id``'s when given), with
    their arms and the arms' posts loaded."""
    query = (select(Experiment).where(Experiment.org_id == org_id)
             .options(selectinload(Experiment.arms).selectinload(ExperimentArm.post),
                      selectinload(Experiment.campaign))
             .order_by(Experiment.name))
    if campaign_id is not None:
        query = query.where(Experiment.campaign_id == campaign_id)
    return list(session.scalars(query))


def experiment_named(session: Session, org_id: int, name: str) -> Experiment | None:
    """The experiment called ``name``, with its arms, if any."""
    return session.scalar(
        select(Experiment).where(Experiment.org_id == org_id, Experiment.name == name)
        .options(selectinload(Experiment.arms).selectinload(ExperimentArm.post)))


def arm_post_ids(session: Session, org_id: int) -> set[int]:
    """The ids of the organization's posts that carry an experiment arm."""
    return set(session.scalars(
        select(ExperimentArm.post_id).join(Experiment, Experiment.id == ExperimentArm.experiment_id)
        .where(Experiment.org_id == org_id)))


def _rated(column: Any) -> Any:
    """Sum of ``column`` over the deliveries that have impressions (0 for absent)."""
    return func.coalesce(func.sum(func.coalesce(column, 0)).filter(
        MetricLatest.impressions > 0), 0)


def arm_counts(session: Session, arm_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Per arm id: ``published`` (deliveries out), ``measured`` (with impressions),
    ``impressions``, ``likes``, ``clicks``, ``interactions`` (the engagement formula's
    sum) and ``accounts`` (``platform:@handle`` it went out on, sorted).

    Arms with nothing published yet are present with zeros.
    """
    ids = list(arm_ids)
    out: dict[int, dict[str, Any]] = {
        i: {"published": 0, "measured": 0, "impressions": 0, "likes": 0, "clicks": 0,
            "interactions": 0, "accounts": []} for i in ids}
    if not ids:
        return out
    interactions = interactions_column()
    base = (select(ExperimentArm.id.label("arm_id"))
            .select_from(ExperimentArm)
            .join(Variant, Variant.post_id == ExperimentArm.post_id)
            .join(Delivery, Delivery.variant_id == Variant.id)
            .join(Account, Account.id == Delivery.account_id)
            .outerjoin(MetricLatest, MetricLatest.delivery_id == Delivery.id)
            .where(ExperimentArm.id.in_(ids), Delivery.status == "published"))
    # Clicks as analytics counts them: first-party where the variant has short links.
    counted = with_first_party_clicks(base)
    rows = session.execute(
        counted.add_columns(
            func.count(Delivery.id).label("published"),
            func.count(Delivery.id).filter(MetricLatest.impressions > 0).label("measured"),
            _rated(MetricLatest.impressions).label("impressions"),
            _rated(MetricLatest.likes).label("likes"),
            _rated(metric_column("clicks")).label("clicks"),
            func.coalesce(func.sum(interactions).filter(MetricLatest.impressions > 0), 0)
            .label("interactions"))
        .group_by(ExperimentArm.id))
    for row in rows:
        out[row.arm_id].update(published=int(row.published), measured=int(row.measured),
                               impressions=int(row.impressions), likes=int(row.likes),
                               clicks=int(row.clicks), interactions=int(row.interactions))
    refs = session.execute(
        base.add_columns((Account.platform + literal(":@") + Account.handle).label("ref"))
        .distinct().order_by("arm_id", "ref"))
    for row in refs:
        out[row.arm_id]["accounts"].append(row.ref)
    return out


def arm_targets(session: Session, post_ids: Iterable[int]) -> dict[int, list[Variant]]:
    """Each post's variants (with their accounts), by post id."""
    ids = list(post_ids)
    out: dict[int, list[Variant]] = {i: [] for i in ids}
    if ids:
        for v in session.scalars(select(Variant).where(Variant.post_id.in_(ids))
                                 .options(selectinload(Variant.account))
                                 .order_by(Variant.id)):
            out[v.post_id].append(v)
    return out


def posts_by_name(session: Session, org_id: int, names: Iterable[str]) -> dict[str, Post]:
    """The organization's posts among ``names``, by name."""
    wanted = list(names)
    if not wanted:
        return {}
    return {p.name: p for p in session.scalars(
        select(Post).where(Post.org_id == org_id, Post.name.in_(wanted)))}
