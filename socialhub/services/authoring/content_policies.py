"""Content policies against stored posts: what scheduling refuses and the editor shows.

The rules and the checking are ``core.content_policy`` (pure; ``lint`` uses it with
no database). Here they meet the database: the organization's stored policies,
which campaigns are paid (the brief's ``paid``, or the post's own flag), and
each variant's platform, text and first comment. ``require_policies`` is the
scheduling gate: ``error`` findings refuse with every finding listed, warnings
are returned for the front end to show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from socialhub.core.content_policy import (
    Finding,
    NamedPolicy,
    PolicySpec,
    TextContext,
    applicable,
    check_text,
)
from socialhub.db.models import Campaign, Policy, Post
from socialhub.db.queries import policies as queries
from socialhub.errors import ValidationError

__all__ = ["PolicyError", "TargetFinding", "draft_findings", "post_findings",
           "require_policies", "stored_policies"]


@dataclass(frozen=True)
class TargetFinding:
    """A finding on one target's text (``target``: ``platform:@handle``)."""

    target: str
    finding: Finding

    def __str__(self) -> str:
        return f"{self.target}: {self.finding}"

    def as_dict(self) -> dict[str, object]:
        """Plain data for --json."""
        return {"target": self.target, **self.finding.as_dict()}


class PolicyError(ValidationError):
    """A post breaks a policy rule of severity ``error``; ``findings`` lists them all."""

    def __init__(self, post: str, findings: Sequence[TargetFinding]) -> None:
        errors = [f for f in findings if f.finding.blocks]
        n = len(errors)
        listed = "; ".join(str(f) for f in errors[:5]) + ("; …" if n > 5 else "")
        super().__init__(f"post {post} breaks {n} content policy rule{'s' if n != 1 else ''}: "
                         f"{listed}",
                         hint=f"fix the text (`socialhub posts edit {post}`) and schedule again")
        self.findings = list(findings)


def policy_of(row: Policy) -> NamedPolicy:
    """A stored policy as core checks it."""
    return NamedPolicy(row.name, PolicySpec.model_validate(row.spec or {}),
                       row.campaign.name if row.campaign is not None else None)


def stored_policies(session: Session, org_id: int) -> list[NamedPolicy]:
    """The organization's policies, by name."""
    return [policy_of(p) for p in queries.policies_in_order(session, org_id)]


def paid_campaigns(session: Session, org_id: int) -> set[str]:
    """The campaigns whose brief says ``paid: true``."""
    return queries.paid_campaign_names(session, org_id)


def campaign_is_paid(campaign: Campaign | None) -> bool:
    """Whether ``campaign``'s brief says it is paid."""
    return bool(campaign is not None and isinstance(campaign.brief, dict)
                and campaign.brief.get("paid"))


def post_findings(session: Session, post: Post) -> list[TargetFinding]:
    """Every finding of the organization's and the post's campaign's policies on each of
    its variants (thread parts checked together, as readers see the post)."""
    rules = applicable(stored_policies(session, post.org_id),
                       post.campaign.name if post.campaign else None)
    if not rules:
        return []
    paid = bool(post.paid or campaign_is_paid(post.campaign))
    out: list[TargetFinding] = []
    for variant in post.variants:
        context = TextContext(platform=variant.account.platform, paid=paid,
                              first_comment=variant.first_comment)
        text = "\n\n".join(variant.parts)
        out += [TargetFinding(variant.account.ref, f) for f in check_text(rules, text, context)]
    return out


def require_policies(session: Session, post: Post) -> list[TargetFinding]:
    """The scheduling gate: the warnings when the post passes.

    Raises:
        PolicyError: a finding of severity ``error``; it lists every error.
    """
    findings = post_findings(session, post)
    if any(f.finding.blocks for f in findings):
        raise PolicyError(post.name, findings)
    return [f for f in findings if not f.finding.blocks]


def draft_findings(session: Session, org_id: int, text: str, *, platform: str | None,
                   campaign: str | None = None, paid: bool = False,
                   first_comment: str | None = None) -> list[Finding]:
    """Findings on a text being written (the editor's live panel): the organization's
    policies and ``campaign``'s, paid when ``paid`` or the campaign's brief says so."""
    policies = stored_policies(session, org_id)
    rules = applicable(policies, campaign)
    if not rules:
        return []
    is_paid = paid or (campaign is not None and campaign in paid_campaigns(session, org_id))
    return check_text(rules, text, TextContext(platform=platform, paid=is_paid,
                                               first_comment=first_comment))
