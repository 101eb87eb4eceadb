"""Running workflow rules on what happened (docs/rules.md).

The daemon's ``rules`` job calls :func:`run_rules`: for each enabled rule it
reads the events its trigger has not seen yet (``services/rules/sources.py``:
new inbox items, posts published, metrics reaching a value, cron ticks, feed
entries), and for each event the trigger and conditions match it records one
``rule_runs`` row — unique per rule, subject and mode, so a rule never acts on
the same thing twice — and, unless the rule is a dry run, performs the actions
through the use cases of the contexts they belong to: a reply goes through the
delivery engine like any other, a draft is created by ``authoring`` (and
scheduled into the account's next free slot, approvals permitting).

Safety: an inbox item written by one of the organization's own accounts is
never acted on (the account itself, and the loop guard: a rule's reply that
another of our accounts receives does not set off that account's rules), and
a ``post_published`` rule never sees inbox replies (a rule's answers are not
posts); the actions of a rule never run rules again in the same transaction
(``session.info``); past ``rate_limit.per_hour`` actions in the last hour an
event is logged ``rate_limited`` and left alone. Every run is audited
(``rule.ran``, and ``rule.acted`` per action, with the rule's name in the change
data) through the caller's channel (``daemon``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from socialhub.config import WebhookConfig
from socialhub.core.policy import Permission
from socialhub.core.rules import RuleSpec, matches, render
from socialhub.db.models import Post, Rule, RuleRun
from socialhub.db.queries import manifests as manifest_queries
from socialhub.db.queries import rules as queries
from socialhub.errors import NotFoundError, SocialhubError
from socialhub.services.ai.generation import write_targets
from socialhub.services.audit import record_event
from socialhub.services.authoring.posts import TargetSpec, create_post
from socialhub.services.authoring.scheduling import schedule_post
from socialhub.services.context import Ctx, use_case
from socialhub.services.events import Event, publish
from socialhub.services.inbox.items import archive_item, assign_item
from socialhub.services.inbox.reply import reply_to_item
from socialhub.services.paging import RULE_RUNS, Page, Window, fetch_size, keyed_page
from socialhub.services.rules import sources
from socialhub.services.rules.feeds import fetch_feed
from socialhub.services.rules.sources import FeedError, RuleEvent, item_view
from socialhub.services.teams.approvals import is_approved, required_for
from socialhub.services.webhooks import post_event

__all__ = ["item_view", "list_rules", "replay_rule", "rule_log", "run_rules"]

log = logging.getLogger(__name__)

#: ``session.info`` key set while a rule's actions run: rules never run inside it.
_CHAIN = "socialhub_rule_chain"
#: The tag every post a rule drafted carries (``posts list --tag rule-draft``).
DRAFT_TAG = "rule-draft"


def spec_of(rule: Rule) -> RuleSpec:
    """The stored rule as its validated spec."""
    return RuleSpec.model_validate({
        "enabled": rule.enabled, "dry_run": rule.dry_run, "trigger": rule.trigger,
        "conditions": rule.conditions, "actions": rule.actions,
        "rate_limit": {"per_hour": rule.per_hour}})


def _handle(text: str) -> str:
    return text.strip().lstrip("@").lower()


def _ours(session: Session, org_id: int) -> set[tuple[str, str]]:
    return {(a.platform, _handle(a.handle))
            for a in manifest_queries.accounts_in_order(session, org_id)}


def _guard(event: RuleEvent, ours: set[tuple[str, str]]) -> str | None:
    """Why an inbox item must not be acted on: written by the account, or by another of
    ours (None for the other triggers' events)."""
    item, account = event.item, event.account
    if item is None or account is None:
        return None
    author = _handle(item.author_handle)
    if item.platform == account.platform and author == _handle(account.handle):
        return "own account"
    if (item.platform, author) in ours:
        return "loop guard: written by another of our accounts"
    return None


def plan_actions(spec: RuleSpec, view: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    """The actions with their templates rendered (what a dry run logs).

    Raises:
        ValueError: a template does not render for this event.
    """
    trigger = spec.trigger.type
    out: list[dict[str, Any]] = []
    for action in spec.actions:
        value: Any = action.value
        if action.kind in ("reply", "notify"):
            value = render(str(value), view, rule, trigger)
        elif action.kind == "draft":
            assert action.draft is not None
            value = {"text": render(action.draft.text, view, rule, trigger),
                     "accounts": list(action.draft.accounts), "ai": action.draft.ai,
                     "tags": list(action.draft.tags)}
        out.append({"action": action.kind, "value": value})
    return out


def _draft(ctx: Ctx, rule: Rule, value: dict[str, Any]) -> Post:
    text = str(value["text"])
    if value.get("ai"):
        targets = write_targets(ctx, text, list(value["accounts"]))
    else:
        targets = [TargetSpec(account=a) for a in value["accounts"]]
    tags = list(dict.fromkeys([DRAFT_TAG, *value.get("tags", [])]))
    return create_post(ctx, body=text, targets=targets, tags=tags, split=True)


def _schedule(ctx: Ctx, post: Post | None) -> str:
    if post is None:
        return "no draft to schedule"
    if required_for(ctx.session, post) and not is_approved(post):
        # Approvals apply to the daemon like to anyone: the draft waits for review.
        return f"{post.name} needs approval before it is scheduled"
    schedule_post(ctx, post.name, next_slot=True, now=ctx.now())
    times = sorted(v.scheduled_at for v in post.variants if v.scheduled_at is not None)
    return f"{post.name} at {times[0].isoformat()}" if times else post.name


def _perform(ctx: Ctx, rule: Rule, event: RuleEvent, planned: list[dict[str, Any]]) -> None:
    item = event.item
    drafted: Post | None = None
    for step in planned:
        kind, value = step["action"], step["value"]
        if kind in ("reply", "assign", "archive", "tag") and item is None:
            raise NotFoundError(f"{kind} needs an inbox item")  # refused at lint already
        if kind == "reply":
            assert item is not None
            step["result"] = reply_to_item(ctx, item.id, value)["delivery_id"]
        elif kind == "assign":
            assert item is not None
            assign_item(ctx, item.id, value)
        elif kind == "archive":
            assert item is not None
            archive_item(ctx, item.id, archived=bool(value))
        elif kind == "tag":
            assert item is not None
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
                                       data={"rule": rule.name, "subject": event.subject,
                                             "message": value},
                                       actor=ctx.actor.name, channel=ctx.channel))
        elif kind == "webhook":
            step["result"] = post_event(WebhookConfig(url=value), "rule.webhook",
                                        {"rule": rule.name, "subject": event.subject,
                                         "trigger": rule.trigger.get("type", "inbox"),
                                         "event": event.fields,
                                         # The first version's name for an inbox item.
                                         **({"item": event.fields} if item else {})})
        elif kind == "draft":
            drafted = _draft(ctx, rule, value)
            step["result"] = drafted.name
        elif kind == "schedule":
            step["result"] = _schedule(ctx, drafted)
        record_event(ctx.session, ctx.org_id, "acted", "Rule", record_id=rule.id,
                     name=rule.name, change={"rule": rule.name, "subject": event.subject,
                                             "item_id": item.id if item else None,
                                             "action": kind, "value": value,
                                             "result": step.get("result")})


def _record(ctx: Ctx, rule: Rule, subject: str, outcome: str, dry_run: bool,
            detail: dict[str, Any]) -> dict[str, Any]:
    run = RuleRun(org_id=ctx.org_id, rule_id=rule.id, rule_name=rule.name, subject=subject,
                  trigger=str((rule.trigger or {}).get("type", "inbox")), outcome=outcome,
                  dry_run=dry_run, detail=detail, ran_at=ctx.now())
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


def _run_one(ctx: Ctx, rule: Rule, spec: RuleSpec, event: RuleEvent,
             ours: set[tuple[str, str]]) -> dict[str, Any] | None:
    if matches(spec, event.fields) is not None:
        return None
    subject = event.subject
    if queries.has_run(ctx.session, rule.id, subject, spec.dry_run):
        return None
    why = _guard(event, ours)
    if why is not None:
        return _record(ctx, rule, subject, "skipped", spec.dry_run, {"reason": why})
    try:
        planned = plan_actions(spec, event.fields, rule.name)
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
            _perform(ctx, rule, event, planned)
    except SocialhubError as exc:
        return _record(ctx, rule, subject, "failed", False, {"error": str(exc)})
    finally:
        ctx.session.info.pop(_CHAIN, None)
    return _record(ctx, rule, subject, "done", False, {"actions": planned})


@use_case(Permission.RULES_READ)
def events_for(ctx: Ctx, rule: Rule, spec: RuleSpec, *, fetch: Any = fetch_feed,
               replay: int | None = None,
               cache: dict[int, list[RuleEvent]] | None = None) -> list[RuleEvent]:
    """The events of ``rule``'s trigger it has not seen (advancing its cursors), or,
    with ``replay``, the newest recorded ones (cursors untouched).

    Raises:
        FeedError: a replayed feed could not be read.
    """
    kind = spec.trigger.type
    state = dict(rule.state or {})
    if kind == "inbox":
        events, cursor = sources.inbox_events(ctx.session, rule, replay, cache)
        if replay is None:
            rule.last_item_id = cursor
        return events
    if kind == "post_published":
        events = sources.published_events(ctx.session, rule, state, replay)
    elif kind == "metric_threshold":
        events = sources.metric_events(ctx, rule, spec, state, replay is not None)
    elif kind == "cron":
        events = sources.cron_events(ctx, rule, spec, state, replay)
    else:
        events = sources.feed_events(ctx, rule, spec, state, fetch, replay)
    if replay is None and state != (rule.state or {}):
        rule.state = state
    return events


@use_case(Permission.RULES_READ)
def feeds_due(ctx: Ctx) -> list[tuple[str, str | None, str | None]]:
    """The feeds the enabled ``feed`` rules will read on their next run, as ``(url,
    etag, last-modified)``: fetch them with no transaction open and hand the results
    to :func:`run_rules` (:func:`prefetched`)."""
    out: list[tuple[str, str | None, str | None]] = []
    for rule in queries.rules_in_order(ctx.session, ctx.org_id):
        trigger = rule.trigger or {}
        if not rule.enabled or trigger.get("type") != "feed":
            continue
        state = rule.state or {}
        fetched = state.get("fetched_at")
        every = timedelta(seconds=int(trigger.get("every") or 300))
        if fetched and ctx.now() - datetime.fromisoformat(fetched) < every:
            continue
        out.append((str(trigger["url"]), state.get("etag"), state.get("modified")))
    return out


def prefetched(due: list[tuple[str, str | None, str | None]],
               fetch: Any = fetch_feed) -> Any:
    """Fetch ``due`` now (outside any transaction) and return a ``fetch`` for
    :func:`run_rules` that answers from those results (and fetches what it lacks)."""
    done = {(url, etag, modified): fetch(url, etag=etag, modified=modified)
            for url, etag, modified in dict.fromkeys(due)}

    def answer(url: str, *, etag: str | None = None, modified: str | None = None) -> Any:
        found = done.get((url, etag, modified))
        return found if found is not None else fetch(url, etag=etag, modified=modified)
    return answer


@use_case(Permission.RULES_MANAGE)
def run_rules(ctx: Ctx, *, fetch: Any = fetch_feed) -> list[dict[str, Any]]:
    """Run every enabled rule on what its trigger saw since it last looked.

    Returns the executions recorded now. Inside a rule's own actions it does
    nothing (the loop guard). ``fetch`` reads a feed (tests pass their own).
    """
    if ctx.session.info.get(_CHAIN):
        return []
    done: list[dict[str, Any]] = []
    ours = _ours(ctx.session, ctx.org_id)
    items: dict[int, list[RuleEvent]] = {}  # the inbox read once per cursor
    for rule in queries.rules_in_order(ctx.session, ctx.org_id):
        if not rule.enabled:
            continue
        spec = spec_of(rule)
        for event in events_for(ctx, rule, spec, fetch=fetch, cache=items):
            row = _run_one(ctx, rule, spec, event, ours)
            if row is not None:
                done.append(row)
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
def rule_log(ctx: Ctx, rule: str | None = None, *, limit: int | None = 100,
             offset: int = 0) -> list[dict[str, Any]]:
    """Every execution, newest first (of one rule when named); ``offset`` skipped, at
    most ``limit`` (None: every one).

    Raises:
        NotFoundError: no rule ``rule``.
    """
    return rule_log_page(ctx, Window(limit, offset), rule).items


@use_case(Permission.RULES_READ)
def rule_log_page(ctx: Ctx, window: Window, rule: str | None = None) -> Page[dict[str, Any]]:
    """The page ``window`` of :func:`rule_log` (older than the cursor's execution), with
    the cursor of the next page when there is one; not counted.

    Raises:
        NotFoundError: no rule ``rule``.
    """
    if rule is not None:
        _rule(ctx, rule)
    rows = queries.runs(ctx.session, ctx.org_id, rule, fetch_size(window), window.offset,
                        after=None if window.after is None else window.after[0])
    return keyed_page(rows, window, RULE_RUNS, lambda r: (r.id,),
                      lambda shown: [run_row(r) for r in shown], None)


@use_case(Permission.RULES_READ)
def count_rule_log(ctx: Ctx, rule: str | None = None) -> int:
    """How many executions ``rule_log`` would list with no limit."""
    return queries.count_runs(ctx.session, ctx.org_id, rule)


def _label(event: RuleEvent) -> str:
    f = event.fields
    for key in ("text", "title", "post", "at"):
        if f.get(key):
            return str(f[key])[:80]
    return event.subject


@use_case(Permission.RULES_READ)
def replay_rule(ctx: Ctx, name: str, *, limit: int = 100,
                fetch: Any = fetch_feed) -> list[dict[str, Any]]:
    """Replay the newest ``limit`` recorded events of rule ``name``'s trigger against it;
    writes nothing, sends nothing.

    The events: the newest inbox items, the newest published posts, the posts or
    accounts over the metric now, the schedule's next instants (at most 10), the
    feed's current entries (fetched, nothing remembered). Returns one row per
    event: ``subject``, ``would`` (``act``, ``skip``, ``fail`` or ``no match``), why,
    and the actions with their templates rendered.

    Raises:
        NotFoundError: no such rule.
        ValidationError: the rule's feed cannot be read.
    """
    from socialhub.errors import ValidationError

    rule = _rule(ctx, name)
    spec = spec_of(rule)
    ours = _ours(ctx.session, ctx.org_id)
    try:
        events = events_for(ctx, rule, spec, fetch=fetch, replay=limit)
    except FeedError as exc:
        raise ValidationError(f"rule {name}: {exc}") from exc
    out: list[dict[str, Any]] = []
    for event in events:
        row: dict[str, Any] = {"subject": event.subject, "text": _label(event)}
        if event.item is not None:
            row.update(item_id=event.item.id, author=event.fields["author"])
        miss = matches(spec, event.fields)
        guard = _guard(event, ours)
        if miss is not None:
            row.update(would="no match", why=miss)
        elif guard is not None:
            row.update(would="skip", why=guard)
        else:
            try:
                row.update(would="act", actions=plan_actions(spec, event.fields, rule.name))
            except ValueError as exc:
                row.update(would="fail", why=str(exc))
        out.append(row)
    return out
