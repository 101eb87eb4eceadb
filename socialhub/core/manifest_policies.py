"""Checking the posts of a manifest set against content policies, as located issues.

Pure, like ``core.manifests``: ``socialhub lint`` passes only the set (its
``Policy`` and ``Campaign`` documents); ``apply`` also passes the policies and
paid campaigns stored in the database, which a document of the same name in the
set replaces. Each finding becomes an ``Issue`` at the text it is about, with
its severity: only ``error`` findings make lint fail and apply refuse.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from socialhub.core.content_policy import Finding, NamedPolicy, TextContext, applicable, check_text
from socialhub.core.manifests import Issue, Manifest, with_experiment_posts
from socialhub.core.yaml_locate import Path


def set_policies(manifests: Iterable[Manifest],
                 stored: Sequence[NamedPolicy] = ()) -> list[NamedPolicy]:
    """``stored`` policies with those of the set in place of any of the same name."""
    given = [NamedPolicy(m.name, m.model.spec, m.model.metadata.campaign)
             for m in manifests if m.kind == "Policy"]
    names = {p.name for p in given}
    return [p for p in stored if p.name not in names] + given


def paid_campaigns(manifests: Iterable[Manifest], stored: Collection[str] = ()) -> set[str]:
    """Campaigns whose brief says ``paid: true``: the set's documents decide for the
    campaigns they define, ``stored`` (from the database) for the others."""
    defined = {m.name: m for m in manifests if m.kind == "Campaign"}
    out = {name for name in stored if name not in defined}
    return out | {name for name, m in defined.items()
                  if m.model.spec.brief is not None and m.model.spec.brief.paid}


def finding_message(finding: Finding) -> str:
    """One line: what, which rule, where in the text, and how to fix it."""
    where = f", characters {finding.start}-{finding.end}" if finding.end > finding.start else ""
    return (f"{finding.severity}: {finding.message} ({finding.policy}/{finding.rule}{where}); "
            f"fix: {finding.hint}")


def check_post_policies(manifests: Sequence[Manifest], *,
                        stored: Sequence[NamedPolicy] = (),
                        stored_paid: Collection[str] = ()) -> list[tuple[str, Issue]]:
    """Every policy finding on the texts of the set's ``Post`` documents and of its
    experiments' arms (each arm is a post; a finding points at the arm's text).

    A post is held to the organization's policies and those of its campaign;
    disclosure rules apply when the post or its campaign is paid. Each target's
    text (each thread part, and the first comment for the rules about it) is
    checked as its platform sees it. Returns ``(post name, issue)`` pairs.
    """
    policies = set_policies(manifests, stored)
    if not policies:
        return []
    paid = paid_campaigns(manifests, stored_paid)
    issues: list[tuple[str, Issue]] = []
    for m in with_experiment_posts(manifests):
        if m.kind != "Post":
            continue
        spec, campaign = m.model.spec, m.model.metadata.campaign
        rules = applicable(policies, campaign)
        if not rules:
            continue
        is_paid = bool(spec.paid or (campaign and campaign in paid))
        targets: list[Any] = list(spec.targets) or [None]
        for i, t in enumerate(targets):
            platform = t.account.split(":", 1)[0] if t is not None else None
            context = TextContext(platform=platform, paid=is_paid,
                                  first_comment=t.first_comment if t is not None else None)
            for path, text in _texts(spec, t, i):
                for finding in check_text(rules, text, context):
                    pos = m.doc.position(path)
                    issues.append((m.name, Issue(m.file, pos.line, pos.column,
                                                 finding_message(finding), finding.severity)))
    return _unique(issues)


def _texts(spec: Any, target: Any, i: int) -> list[tuple[Path, str]]:
    if target is None:
        return [(("spec", "body"), spec.body)]
    if target.thread:
        # The thread as one text for the rules about the whole post (a disclosure
        # anywhere in it counts), located at its first part.
        return [(("spec", "targets", i, "thread", 0), "\n\n".join(target.thread))]
    if target.text is not None:
        return [(("spec", "targets", i, "text"), target.text)]
    return [(("spec", "body"), spec.body)]


def _unique(issues: list[tuple[str, Issue]]) -> list[tuple[str, Issue]]:
    """The body checked for several targets of one platform says each finding once."""
    return list(dict.fromkeys(issues))


__all__ = ["check_post_policies", "finding_message", "paid_campaigns", "set_policies"]
