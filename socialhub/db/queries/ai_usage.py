"""Reading the AI usage log: spend since an instant, and calls per provider and model."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from socialhub.db.models import AIUsage


def usage_by_model(session: Session, org_id: int, since: datetime) -> list[tuple[Any, ...]]:
    """Per provider and model (sorted by both), the organization's AI calls at or after
    ``since``: ``(provider, model, calls, input tokens, output tokens, cost, average
    latency in ms, failed calls)``; sums of no rows are None."""
    q = (select(AIUsage.provider, AIUsage.model, func.count(), func.sum(AIUsage.input_tokens),
                func.sum(AIUsage.output_tokens), func.sum(AIUsage.cost_usd),
                func.avg(AIUsage.latency_ms),
                func.sum(case((AIUsage.ok.is_(False), 1), else_=0)))
         .where(AIUsage.org_id == org_id, AIUsage.at >= since)
         .group_by(AIUsage.provider, AIUsage.model).order_by(AIUsage.provider, AIUsage.model))
    return [tuple(row) for row in session.execute(q)]


def spend_since(session: Session, org_id: int, since: datetime) -> float:
    """US dollars the organization's AI calls at or after ``since`` cost (0.0 for none)."""
    total = session.scalar(select(func.coalesce(func.sum(AIUsage.cost_usd), 0.0)).where(
        AIUsage.org_id == org_id, AIUsage.at >= since))
    return float(total or 0.0)
