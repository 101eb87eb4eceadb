"""Running workflow rules on new inbox items (docs/rules.md).

The daemon's ``rules`` job calls :func:`run_rules`: for each enabled rule it reads
the inbox items that arrived after the rule last looked (``rules.last_item_id``),
and for each item the trigger matches it records one ``rule_runs`` row —
unique per rule, item and mode, so a rule never acts on an item twice — and,
unless the rule is a dry run, performs the actions through the inbox's use
cases (a reply goes through the delivery engine like any other).

Safety: an item written by one of the organization's own accounts is never
answered (the account itself, and the loop guard: a rule's reply that another
of our accounts receives does not set off that account's rules); the actions
of a rule never run rules again in the same transaction (``session.info``);
past ``rate_limit.per_hour`` actions in the last hour an item is logged
``rate_limited`` and left alone. Every run is audited (``rule.ran``, with the
rule's name in the change data) through the caller's channel (``daemon``).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from socialhub.config import WebhookConfig
from socialhub.core.policy import Permission
from socialhub.core.rules import RuleSpec, matches, render
from socialhub.db.models import Account, InboxItem, Rule, RuleRun
from socialhub.db.queries import manifests as manifest_queries
from socialhub.db.queries import rules as queries
from socialhub.errors import NotFoundError, SocialhubError
from socialhub.services.audit import record_event
from socialhub.services.context import Ctx, use_case
from socialhub.services.events import Event, publish
from socialhub.services.inbox.items import archive_item, assign_item
from socialhub.services.inbox.reply import reply_to_item
from socialhub.services.webhooks import post_event

log = logging.getLogger(__name__)

#: ``session.info`` key set while a rule's actions run: rules never run inside it.
_CHAIN = "socialhub_rule_chain"


def spec_of(rule: Rule) -> RuleSpec:
    """The stored rule as its validated spec."""
    return RuleSpec.model_validate({
        "enabled": rule.enabled, "dry_run": rule.dry_run, "trigger": rule.trigger,
        "conditions": rule.conditions, "actions": rule.actions,
        "rate_limit": {"per_hour": rule.per_hour}})


def item_view(item: InboxItem, account: Account) -> dict[str, Any]:
    """What conditions match and templates see of an item."""
    return {"id": item.id, "platform": item.platform, "account": account.ref,
            "kind": item.kind, "author": item.author_handle.lstrip("@"),
            "author_handle": item.author_handle, "author_name": item.author_name or "",
            "text": item.text, "url": item.url, "sentiment": item.sentiment,
            "language": item.language}


def _handle(text: str) -> str:
    return text.strip().lstrip("@").lower()


def _ours(session: Session, org_id: int) -> set[tuple[str, str]]:
    return {(a.platform, _handle(a.handle))
            for a in manifest_queries.accounts_in_order(session, org_id)}


def _guard(item: InboxItem, account: Account, ours: set[tuple[str, str]]) -> str | None:
    """Why the item must not be acted on: written by the account, or by another of ours."""
    author = _handle(item.author_handle)
    if item.platform == account.platform and author == _handle(account.handle):
        return "own account"
    if (item.platform, author) in ours:
        return "loop guard: written by another of our accounts"
    return None


def plan_actions(spec: RuleSpec, view: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    """The actions with their templates rendered (what a dry run logs)."""
    out: list[dict[str, Any]] = []
    for action in spec.actions:
        value: Any = action.value
        if action.kind in ("reply", "notify"):
            value = render(str(value), view, rule)
        out.append({"action": action.kind, "value": value})
    return out


def _perform(ctx: Ctx, rule: Rule, item: InboxItem, planned: list[dict[str, Any]]) -> None:
    for step in planned:
        kind, value = step["action"], step["value"]
        if kind == "reply":
            step["result"] = reply_to_item(ctx, item.id, value)["delivery_id"]
        elif kind == "assign":
            assign_item(ctx, item.id, value)
        elif kind == "archive":
            archive_item(ctx, item.id, archived=bool(value))
        elif kind == "tag":
            context = dict(item.context or {})
            tags = list(context.get("tags", []))
            if value not in tags:
                context["tags"] = [*tags, value]
                item.context = context
        elif kind == "notify":
            log.info("rule %s: %s", rule.name, value,
                     extra={"event": "rule_notify", "rule": rule.name})
            publish(ctx.session, Event(name="rule.notified", org_id=ctx.org_id,
                                       subject=rule.name,
                                       data={"rule": rule.name, "item_id": item.id,
                                             "message": value},
                                       actor=ctx.actor.name, channel=ctx.channel))
        elif kind == "webhook":
            step["result"] = post_event(WebhookConfig(url=value), "rule.webhook",
                                        {"rule": rule.name,
                                         "item": item_view(item, _account(ctx, item))})
        record_event(ctx.session, ctx.org_id, "acted", "Rule", record_id=rule.id,
                     name=rule.name, change={"rule": rule.name, "item_id": item.id,
                                             "action": kind, "value": value,
                                             "result": step.get("result")})


def _account(ctx: Ctx, item: InboxItem) -> Account:
    account = ctx.session.get(Account, item.account_id)
    assert account is not None  # the foreign key cascades
    return account


def _record(ctx: Ctx, rule: Rule, subject: str, outcome: str, dry_run: bool,
            detail: dict[str, Any]) -> dict[str, Any]:
    run = RuleRun(org_id=ctx.org_id, rule_id=rule.id, rule_name=rule.name, subject=subject,
                  trigger="inbox", outcome=outcome, dry_run=dry_run, detail=detail,
                  ran_at=ctx.now())
    ctx.session.add(run)
    ctx.session.flush()
    record_event(ctx.session, ctx.org_id, "ran", "Rule", record_id=rule.id, name=rule.name,
                 change={"rule": rule.name, "subject": subject, "outcome": outcome,
                         "dry_run": dry_run, **detail})
    return run_row(run)


def run_row(run: RuleRun) -> dict[str, Any]:
    """One execution as the log shows it."""
    return {"id": run.id, "rule": run.rule_name, "subject": run.subject,
            "trigger": run.trigger, "outcome": run.outcome, "dry_run": run.dry_run,
            "detail": dict(run.detail or {}), "ran_at": run.ran_at.isoformat()}


def _run_one(ctx: Ctx, rule: Rule, spec: RuleSpec, item: InboxItem, account: Account,
             ours: set[tuple[str, str]]) -> dict[str, Any] | None:
    view = item_view(item, account)
    if matches(spec, view) is not None:
        return None
    subject = f"inbox:{item.id}"
    if queries.has_run(ctx.session, rule.id, subject, spec.dry_run):
        return None
    why = _guard(item, account, ours)
    if why is not None:
        return _record(ctx, rule, subject, "skipped", spec.dry_run, {"reason": why})
    try:
        planned = plan_actions(spec, view, rule.name)
    except ValueError as exc:
        return _record(ctx, rule, subject, "failed", spec.dry_run, {"error": str(exc)})
    if spec.dry_run:
        return _record(ctx, rule, subject, "dry_run", True, {"actions": planned})
    since = ctx.now() - timedelta(hours=1)
    if queries.acted_since(ctx.session, rule.id, since) >= rule.per_hour:
        return _record(ctx, rule, subject, "rate_limited", False,
                       {"reason": f"over {rule.per_hour} per hour"})
    ctx.session.info[_CHAIN] = rule.name
    try:
        with ctx.session.begin_nested():
            _perform(ctx, rule, item, planned)
    except SocialhubError as exc:
        return _record(ctx, rule, subject, "failed", False, {"error": str(exc)})
    finally:
        ctx.session.info.pop(_CHAIN, None)
    return _record(ctx, rule, subject, "done", False, {"actions": planned})


@use_case(Permission.RULES_MANAGE)
def run_rules(ctx: Ctx) -> list[dict[str, Any]]:
    """Run every enabled rule on the inbox items that arrived since it last looked.

    Returns the executions recorded now. Inside a rule's own actions it does nothing
    (the loop guard).
    """
    if ctx.session.info.get(_CHAIN):
        return []
    done: list[dict[str, Any]] = []
    ours = _ours(ctx.session, ctx.org_id)
    for rule in queries.rules_in_order(ctx.session, ctx.org_id):
        if not rule.enabled:
            continue
        spec = spec_of(rule)
        for item, account in queries.items_after(ctx.session, ctx.org_id, rule.last_item_id):
            row = _run_one(ctx, rule, spec, item, account, ours)
            if row is not None:
                done.append(row)
            rule.last_item_id = item.id
    return done


def _rule(ctx: Ctx, name: str) -> Rule:
    rule = queries.rule_named(ctx.session, ctx.org_id, name)
    if rule is None:
        raise NotFoundError(f"no rule named {name!r}", hint="socialhub rules list")
    return rule


def rule_row(rule: Rule) -> dict[str, Any]:
    """A rule as ``rules list`` shows it."""
    return {"name": rule.name, "enabled": rule.enabled, "dry_run": rule.dry_run,
            "trigger": dict(rule.trigger or {}), "conditions": dict(rule.conditions or {}),
            "actions": [dict(a) for a in rule.actions or []], "per_hour": rule.per_hour}


@use_case(Permission.RULES_READ)
def list_rules(ctx: Ctx) -> list[dict[str, Any]]:
    """The organization's rules by name."""
    return [rule_row(r) for r in queries.rules_in_order(ctx.session, ctx.org_id)]


@use_case(Permission.RULES_READ)
def rule_log(ctx: Ctx, rule: str | None = None, *, limit: int = 100) -> list[dict[str, Any]]:
    """Every execution, newest first (of one rule when named)."""
    if rule is not None:
        _rule(ctx, rule)
    return [run_row(r) for r in queries.runs(ctx.session, ctx.org_id, rule, limit)]


@use_case(Permission.RULES_READ)
def replay_rule(ctx: Ctx, name: str, *, limit: int = 100) -> list[dict[str, Any]]:
    """Replay the newest ``limit`` stored inbox items against rule ``name``; writes nothing.

    Returns one row per item: ``would`` (``act``, ``skip`` or ``no match``), why,
    and the actions with their templates rendered.
    """
    rule = _rule(ctx, name)
    spec = spec_of(rule)
    ours = _ours(ctx.session, ctx.org_id)
    out: list[dict[str, Any]] = []
    for item, account in queries.recent_items(ctx.session, ctx.org_id, limit):
        view = item_view(item, account)
        row: dict[str, Any] = {"item_id": item.id, "author": view["author"],
                               "text": item.text[:80]}
        miss = matches(spec, view)
        guard = _guard(item, account, ours)
        if miss is not None:
            row.update(would="no match", why=miss)
        elif guard is not None:
            row.update(would="skip", why=guard)
        else:
            try:
                row.update(would="act", actions=plan_actions(spec, view, rule.name))
            except ValueError as exc:
                row.update(would="fail", why=str(exc))
        out.append(row)
    return out
