"""The campaign report: the analytics report plus what a campaign adds to it.

``socialhub report --campaign C`` renders what ``build_campaign_report`` returns:
the analytics report of the campaign's posts (totals, trend, networks, top posts,
best times, clicks and CTR) with two more sections — the campaign's experiments,
each judged now (arms, P(best), verdict), and the policy findings on its posts.
It lives in the experiments context because that context sits above analytics
(it may use both); without a campaign it is the plain analytics report.
"""

from __future__ import annotations

from typing import Any

from socialhub.core.policy import Permission
from socialhub.db.queries import campaigns as campaign_queries
from socialhub.errors import NotFoundError
from socialhub.services.analytics.filters import Filters
from socialhub.services.analytics.report import build_report
from socialhub.services.authoring.content_policies import post_findings
from socialhub.services.context import Ctx, use_case
from socialhub.services.experiments.experiments import campaign_experiments

#: The report's line when there is nothing in the policy section.
NO_POLICY_FINDINGS = "no policy findings recorded"


@use_case(Permission.ANALYTICS_READ)
def policy_findings(ctx: Ctx, campaign_id: int) -> list[dict[str, Any]]:
    """The content-policy findings on a campaign's posts (not canceled), for the report's
    "Policy findings": each a dict with ``post``, ``account``, ``rule``
    (``policy/rule``), ``severity`` (``error``/``warning``) and ``message``, checked
    now against the organization's and the campaign's ``kind: Policy`` documents."""
    out: list[dict[str, Any]] = []
    for post in campaign_queries.posts_of_campaign(ctx.session, ctx.org_id, campaign_id):
        for found in post_findings(ctx.session, post):
            f = found.finding
            out.append({"post": post.name, "account": found.target,
                        "rule": f"{f.policy}/{f.rule}", "severity": f.severity,
                        "message": f.message})
    return out


@use_case(Permission.ANALYTICS_READ)
def build_campaign_report(ctx: Ctx, filters: Filters) -> dict[str, Any]:
    """The figures of ``socialhub report``: ``build_report``'s, and for a campaign also
    ``experiments`` (each judged now, as ``experiments report`` gives it) and
    ``policy_findings`` (with ``policy_note``, the line shown when there are none).

    Raises:
        ValidationError, NotFoundError: as ``build_report``.
    """
    data = build_report(ctx, filters)
    if filters.campaign is None:
        return data
    campaign = campaign_queries.campaign_named(ctx.session, ctx.org_id, filters.campaign)
    if campaign is None:  # build_report found it: only a race could get here
        raise NotFoundError(f"no campaign {filters.campaign!r}")
    data["experiments"] = campaign_experiments(ctx, campaign.id)
    data["policy_findings"] = policy_findings(ctx, campaign.id)
    data["policy_note"] = NO_POLICY_FINDINGS
    return data
