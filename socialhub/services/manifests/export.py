"""Exporting the database as manifests that apply back to the same state.

Each record becomes the smallest manifest that ``apply`` turns back into it:
fields at their default are left out, a target's text is written only when it
differs from the post's body, and secrets never appear (accounts carry only
their ``keyring:``/``env:`` references). Output order is stable (by name), so
two exports of the same state are byte-for-byte identical and diff well in git.
"""

from __future__ import annotations

from typing import Any

from socialhub.core.manifests import API_VERSION, KINDS, PEOPLE_KINDS, WEEKDAYS
from socialhub.core.policy import Permission
from socialhub.db.models import (
    Account,
    Campaign,
    Experiment,
    Organization,
    Policy,
    Post,
    Rule,
    Slot,
    Variant,
    VoiceProfile,
)
from socialhub.db.queries import experiments as experiment_queries
from socialhub.db.queries import manifests as queries
from socialhub.db.queries import policies as policies_queries
from socialhub.db.queries import rules as rules_queries
from socialhub.db.queries import teams as teams_queries
from socialhub.db.queries.manifests import published_targets
from socialhub.errors import ValidationError
from socialhub.services.context import Ctx, check, use_case
from socialhub.services.manifests.registry import Registry

#: File written for each kind by ``socialhub export -o DIR``.
FILE_NAMES = {"Organization": "organization.yaml", "Member": "members.yaml",
              "Account": "accounts.yaml", "VoiceProfile": "voices.yaml",
              "Campaign": "campaigns.yaml", "Policy": "policies.yaml", "Slot": "slots.yaml",
              "Post": "posts.yaml", "Rule": "rules.yaml", "Experiment": "experiments.yaml"}
_ALIASES = {"account": "Account", "accounts": "Account", "voice": "VoiceProfile",
            "voices": "VoiceProfile", "voiceprofile": "VoiceProfile",
            "voiceprofiles": "VoiceProfile", "campaign": "Campaign", "campaigns": "Campaign",
            "slot": "Slot", "slots": "Slot", "post": "Post", "posts": "Post",
            "organization": "Organization", "organizations": "Organization",
            "org": "Organization", "member": "Member", "members": "Member",
            "rule": "Rule", "rules": "Rule", "policy": "Policy", "policies": "Policy",
            "experiment": "Experiment", "experiments": "Experiment"}


def parse_kind(text: str) -> str:
    """``posts``/``Post``/``post`` → ``Post``.

    Raises:
        ValidationError: not a manifest kind.
    """
    kind = _ALIASES.get(text.strip().lower())
    if kind is None:
        raise ValidationError(f"unknown kind {text!r} (use one of {', '.join(KINDS)})")
    return kind


def _doc(kind: str, metadata: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {"apiVersion": API_VERSION, "kind": kind, "metadata": metadata}
    if spec:
        doc["spec"] = spec
    return doc


def _present(**fields: Any) -> dict[str, Any]:
    """Only the fields that differ from the manifest defaults (None, empty, False)."""
    return {k: v for k, v in fields.items() if v not in (None, "", [], {}, False)}


def account_manifest(a: Account) -> dict[str, Any]:
    """An Account manifest: profile fields, settings and credential references (no secrets)."""
    settings = dict(a.settings or {})
    refs = settings.pop("credential_refs", None) or {}
    return _doc("Account", {"name": a.ref}, _present(
        display_name=a.display_name, external_id=a.external_id, base_url=a.base_url,
        settings=settings, credentials=dict(refs)))


def voice_manifest(v: VoiceProfile) -> dict[str, Any]:
    """A VoiceProfile manifest (learned statistics are not authored, so not exported)."""
    return _doc("VoiceProfile", {"name": v.name}, _present(
        default=v.is_default, description=v.description, tone=list(v.tone or []),
        formality=v.formality, emoji_use=v.emoji_use, phrases_use=list(v.phrases_use or []),
        phrases_avoid=list(v.phrases_avoid or []), samples=list(v.samples or [])))


def campaign_manifest(c: Campaign) -> dict[str, Any]:
    """A Campaign manifest; the budget is a string with two decimals, so it stays exact."""
    spec = _present(description=c.description,
                    status=None if c.status == "planned" else c.status,
                    starts_on=c.starts_on, ends_on=c.ends_on,
                    budget=None if c.budget is None else f"{c.budget:.2f}", currency=c.currency,
                    approvals=c.approvals, brief=dict(c.brief) if c.brief else None,
                    utm=None if c.utm is None else dict(c.utm))
    if c.utm == {}:  # tagging turned off for this campaign, unlike the default
        spec["utm"] = {}
    return _doc("Campaign", {"name": c.name}, spec)


def rule_manifest(r: Rule) -> dict[str, Any]:
    """A Rule manifest: trigger, conditions, actions, rate limit (defaults left out)."""
    spec: dict[str, Any] = {}
    if not r.enabled:
        spec["enabled"] = False
    if r.dry_run:
        spec["dry_run"] = True
    spec["trigger"] = dict(r.trigger or {})
    if r.conditions:
        spec["conditions"] = dict(r.conditions)
    spec["actions"] = [dict(a) for a in r.actions or []]
    if r.per_hour != 20:
        spec["rate_limit"] = {"per_hour": r.per_hour}
    return _doc("Rule", {"name": r.name}, spec)


def policy_manifest(p: Policy) -> dict[str, Any]:
    """A Policy manifest: its campaign (when not organization-wide) and its spec as applied."""
    metadata: dict[str, Any] = {"name": p.name}
    if p.campaign is not None:
        metadata["campaign"] = p.campaign.name
    return _doc("Policy", metadata, dict(p.spec or {}))


def slot_manifest(s: Slot) -> dict[str, Any]:
    """A Slot manifest: account, weekday, local time and zone."""
    return {"apiVersion": API_VERSION, "kind": "Slot",
            "spec": {"account": s.account.ref, "day": WEEKDAYS[s.weekday], "time": s.time,
                     "zone": s.timezone}}


def _target(post: Post, v: Variant) -> dict[str, Any]:
    target: dict[str, Any] = {"account": v.account.ref}
    if v.thread:
        target["thread"] = [str(p) for p in v.thread]
    elif v.text != post.body:
        target["text"] = v.text
    target.update(_present(media=list(v.media or []), first_comment=v.first_comment,
                           options=dict(v.options or {})))
    if v.local_time:
        target["at"] = f"{v.local_time} {v.timezone}"
    if v.language:
        target["language"] = v.language
    return target


def post_manifest(p: Post) -> dict[str, Any]:
    """A Post manifest with one target per variant, in the order they were added."""
    metadata: dict[str, Any] = {"name": p.name}
    if p.campaign is not None:
        metadata["campaign"] = p.campaign.name
    spec = _present(body=p.body, voice=p.voice.name if p.voice else None,
                    tags=list(p.tags or []), paid=p.paid)
    if p.variants:
        spec["targets"] = [_target(p, v) for v in p.variants]
    return _doc("Post", metadata, spec)


def experiment_manifest(e: Experiment) -> dict[str, Any]:
    """An Experiment manifest: its settings and each arm's account, text and time (taken
    from the arm's post; those posts are not exported as posts of their own)."""
    metadata: dict[str, Any] = {"name": e.name}
    if e.campaign is not None:
        metadata["campaign"] = e.campaign.name
    spec: dict[str, Any] = {"metric": e.metric}
    if e.split != "accounts":
        spec["split"] = e.split
    spec["min_sample"] = e.min_sample
    if e.confidence != 0.95:
        spec["confidence"] = e.confidence
    arms = []
    for arm in e.arms:
        out: dict[str, Any] = {"name": arm.name}
        variant = arm.post.variants[0] if arm.post.variants else None
        if variant is not None:
            out["account"] = variant.account.ref
            if variant.thread:
                out["thread"] = [str(p) for p in variant.thread]
            else:
                out["text"] = variant.text
            out.update(_present(media=list(variant.media or [])))
            if variant.local_time:
                out["at"] = f"{variant.local_time} {variant.timezone}"
        arms.append(out)
    spec["arms"] = arms
    return _doc("Experiment", metadata, spec)


def organization_manifest(org: Organization) -> dict[str, Any]:
    """An Organization manifest: its name and settings (approvals when not ``off``)."""
    approvals = dict(org.settings or {}).get("approvals", "off")
    spec = {"settings": {"approvals": approvals}} if approvals != "off" else {}
    return _doc("Organization", {"name": org.name}, spec)


def member_manifest(login: str, role: str) -> dict[str, Any]:
    """A Member manifest: the login and its role (never a password)."""
    return _doc("Member", {"name": login}, {"role": role})


@use_case(Permission.MANIFESTS_EXPORT)
def export_manifests(ctx: Ctx,
                     kinds: set[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every authored record of the organization as manifests, grouped by kind.

    Canceled posts are left out: applying them again would bring them back. Without
    ``kinds`` the organization and its members are left out too (``PEOPLE_KINDS``);
    members who never acted (no login) are never exported.

    Raises:
        PermissionDeniedError: ``Organization`` without ``org.read``, ``Member``
            without ``members.read``.
    """
    session, org_id = ctx.session, ctx.org_id
    wanted = kinds if kinds else set(KINDS) - set(PEOPLE_KINDS)
    # The people kinds are the organization's settings and its members: asked for by
    # name, and read only with the permissions that read them elsewhere.
    if "Organization" in wanted:
        check(ctx, Permission.ORG_READ)
    if "Member" in wanted:
        check(ctx, Permission.MEMBERS_READ)
    out: dict[str, list[dict[str, Any]]] = {}
    if "Organization" in wanted:
        org = teams_queries.organization(session, org_id)
        out["Organization"] = [] if org is None else [organization_manifest(org)]
    if "Member" in wanted:
        out["Member"] = [member_manifest(u.login, m.role)
                         for m, u in teams_queries.memberships(session, org_id) if u.login]
    if "Account" in wanted:
        out["Account"] = [account_manifest(a)
                          for a in queries.accounts_in_order(session, org_id)]
    if "VoiceProfile" in wanted:
        out["VoiceProfile"] = [voice_manifest(v)
                               for v in queries.voices_in_order(session, org_id)]
    if "Campaign" in wanted:
        out["Campaign"] = [campaign_manifest(c)
                           for c in queries.campaigns_in_order(session, org_id)]
    if "Policy" in wanted:
        out["Policy"] = [policy_manifest(p)
                         for p in policies_queries.policies_in_order(session, org_id)]
    if "Slot" in wanted:
        out["Slot"] = [slot_manifest(s) for s in queries.slots_in_order(session, org_id)]
    if "Post" in wanted:
        arms = experiment_queries.arm_post_ids(session, org_id)  # exported as experiments
        out["Post"] = [post_manifest(p) for p in queries.live_posts_in_order(session, org_id)
                       if p.id not in arms]
    if "Rule" in wanted:
        out["Rule"] = [rule_manifest(r) for r in rules_queries.rules_in_order(session, org_id)]
    if "Experiment" in wanted:
        out["Experiment"] = [experiment_manifest(e) for e in
                             experiment_queries.experiments_in_order(session, org_id)]
    return {k: v for k, v in out.items() if v}


@use_case(Permission.MANIFESTS_EXPORT)
def export_registry(ctx: Ctx, source: str | None = None) -> Registry:
    """The publication registry of the organization (of the posts ``source`` owns, when
    given): every published target with its remote id, URL and time."""
    registry: Registry = {}
    for row in published_targets(ctx.session, ctx.org_id, source):
        at = row["published_at"]
        registry.setdefault(row["post"], {})[row["account"]] = {
            "remote_id": row["remote_id"], "url": row["remote_url"],
            "at": at.isoformat() if at is not None else None}
    return registry
