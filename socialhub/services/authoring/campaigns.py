"""Campaigns: named groups of posts with dates and a budget."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from socialhub.core.policy import Permission
from socialhub.core.status import CampaignStatus
from socialhub.db.models import Campaign
from socialhub.db.queries import campaigns as queries
from socialhub.errors import ConflictError, NotFoundError, ValidationError
from socialhub.services.audit import created, record_event, snapshot
from socialhub.services.authoring.posts import check_name
from socialhub.services.context import Ctx, use_case
from socialhub.services.paging import CAMPAIGNS, Page, Window, fetch_size, keyed_page

#: The fields of a campaign the audit trail records.
CAMPAIGN_FIELDS = ("name", "description", "status", "starts_on", "ends_on", "budget", "currency")


def parse_date(text: str | None, what: str) -> date | None:
    """``YYYY-MM-DD`` → date (None passes through).

    Raises:
        ValidationError: not a calendar date.
    """
    if text is None or text == "":
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{what} {text!r} is not a date (use YYYY-MM-DD)") from None


def parse_budget(text: str | None) -> Decimal | None:
    """A non-negative amount with at most two decimals (None passes through).

    Raises:
        ValidationError: not such an amount.
    """
    if text is None or text == "":
        return None
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        raise ValidationError(f"budget {text!r} is not a number") from None
    if value < 0 or value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationError(f"budget {text!r} must be ≥ 0 with at most two decimals")
    return value


def check_campaign_fields(status: str | None, starts_on: date | None, ends_on: date | None) -> None:
    """Validate a status name and that the dates are in order.

    Raises:
        ValidationError: unknown status or end before start.
    """
    if status is not None and status not in {s.value for s in CampaignStatus}:
        raise ValidationError(f"unknown campaign status {status!r} "
                              f"(use one of {', '.join(s.value for s in CampaignStatus)})")
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError(f"campaign ends ({ends_on}) before it starts ({starts_on})")


@use_case(Permission.CAMPAIGNS_WRITE)
def add_campaign(ctx: Ctx, name: str, *, description: str | None = None,
                 status: str = "planned", starts_on: date | None = None,
                 ends_on: date | None = None, budget: Decimal | None = None,
                 currency: str | None = None) -> Campaign:
    """Create a campaign.

    Raises:
        ConflictError: the name is taken.
    """
    session, org_id = ctx.session, ctx.org_id
    check_name(name)
    check_campaign_fields(status, starts_on, ends_on)
    if queries.campaign_id_named(session, org_id, name):
        raise ConflictError(f"a campaign named {name!r} exists already")
    campaign = Campaign(org_id=org_id, name=name, description=description, status=status,
                        starts_on=starts_on, ends_on=ends_on, budget=budget,
                        currency=currency.upper() if currency else None)
    session.add(campaign)
    session.flush()
    record_event(session, org_id, "create", "Campaign", record_id=campaign.id, name=name,
                 change=created(snapshot(campaign, CAMPAIGN_FIELDS)))
    return campaign


@use_case(Permission.CAMPAIGNS_READ)
def get_campaign(ctx: Ctx, name: str) -> Campaign:
    """The campaign called ``name``.

    Raises:
        NotFoundError: no such campaign.
    """
    campaign = queries.campaign_named(ctx.session, ctx.org_id, name)
    if campaign is None:
        raise NotFoundError(f"no campaign named {name!r} (see `socialhub campaigns list`)")
    return campaign


@use_case(Permission.CAMPAIGNS_READ)
def list_campaigns(ctx: Ctx, *, limit: int | None = None,
                   offset: int = 0) -> list[Campaign]:
    """Every campaign (or one page of them, in SQL), by start date then name."""
    return queries.campaigns_of(ctx.session, ctx.org_id, offset=offset, limit=limit)


@use_case(Permission.CAMPAIGNS_READ)
def campaigns_page(ctx: Ctx, window: Window) -> Page[dict[str, Any]]:
    """The page ``window`` of :func:`list_campaigns` as ``campaign_summaries`` (after the
    cursor's campaign), with the cursor of the next page when there is one; not counted."""
    rows = queries.campaigns_of(ctx.session, ctx.org_id, offset=window.offset,
                                limit=fetch_size(window), after=window.after)
    return keyed_page(rows, window, CAMPAIGNS, lambda c: (c.starts_on, c.name, c.id),
                      lambda shown: campaign_summaries(ctx.session, shown), None)


@use_case(Permission.CAMPAIGNS_READ)
def count_campaigns(ctx: Ctx) -> int:
    """How many campaigns the organization has."""
    return queries.count_campaigns(ctx.session, ctx.org_id)


def campaign_summary(session: Session, campaign: Campaign) -> dict[str, Any]:
    """Plain data for --json and tables, with post counts by status."""
    return campaign_summaries(session, [campaign])[0]


def campaign_summaries(session: Session, campaigns: list[Campaign]) -> list[dict[str, Any]]:
    """``campaign_summary`` of each campaign, in order; the post counts of all of them
    in one query."""
    counts = queries.post_counts_by_campaign(session, [c.id for c in campaigns])
    return [{
        "id": c.id, "name": c.name, "description": c.description,
        "status": c.status, "starts_on": c.starts_on, "ends_on": c.ends_on,
        "budget": str(c.budget) if c.budget is not None else None,
        "currency": c.currency, "posts": counts[c.id],
    } for c in campaigns]
