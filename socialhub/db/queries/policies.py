"""SQL for content policies (``kind: Policy``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from socialhub.db.models import Campaign, Policy


def policies_in_order(session: Session, org_id: int) -> list[Policy]:
    """The organization's policies by name, their campaigns loaded."""
    return list(session.scalars(
        select(Policy).where(Policy.org_id == org_id).options(selectinload(Policy.campaign))
        .order_by(Policy.name)))


def paid_campaign_names(session: Session, org_id: int) -> set[str]:
    """The names of the organization's campaigns whose brief says ``paid: true``."""
    rows = session.execute(select(Campaign.name, Campaign.brief)
                           .where(Campaign.org_id == org_id, Campaign.brief.is_not(None)))
    return {name for name, brief in rows if isinstance(brief, dict) and brief.get("paid")}
