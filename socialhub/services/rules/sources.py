"""Where each trigger's events come from, and how far a rule has read them.

Every source reads the database (or, for a feed, the network) and returns the
events a rule has not seen yet together with the rule's new ``state``; the run
keeps the state, a replay (``rules test``) throws it away. Nothing before the
trigger was set (``state.since``) fires: a new rule never acts on the backlog.

==================  =====================================================================
trigger             events
==================  =====================================================================
``inbox``           inbox items stored after ``rules.last_item_id``
``post_published``  our posts (not inbox replies) published after ``published_after``
``metric_threshold``  posts published in the last 30 days (``subject: post``) or accounts
                    whose number is at or over ``value``, once each; those already over
                    when the rule started are remembered (``over``) and never fire
``cron``            the schedule's newest instant since ``last_tick`` (missed ones are
                    not made up: one tick per run at most)
``feed``            entries not in ``seen``; the first fetch only learns what is there
==================  =====================================================================

Metric thresholds are evaluated here, in the rules job, on the numbers the
metrics collection stored (docs/rules.md says why): one place decides "once per
subject", and a rule added later still sees the numbers as they stand.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from socialhub.core.policy import Permission
from socialhub.core.rules import RuleSpec, next_tick
from socialhub.db.models import Account, InboxItem, Rule
from socialhub.db.queries import rules as queries
from socialhub.db.queries.analytics import INTERACTIONS, Scope, post_rows
from socialhub.services.clock import display_zone
from socialhub.services.context import Ctx, use_case
from socialhub.services.rules.feeds import Feed, entry_key, fetch_feed

log = logging.getLogger(__name__)

#: Posts published this recently are watched by ``metric_threshold`` rules.
METRIC_WINDOW = timedelta(days=30)
#: Feed entry keys remembered per rule (a feed lists far fewer).
SEEN_MAX = 2000

Fetch = Callable[..., Feed]


@dataclass
class RuleEvent:
    """One thing a rule may act on: ``subject`` names it uniquely for the rule
    (``inbox:7``, ``delivery:3``…); ``fields`` are what conditions and templates see;
    ``item``/``account`` are set for an inbox item."""

    subject: str
    fields: dict[str, Any]
    item: InboxItem | None = None
    account: Account | None = None


def item_view(item: InboxItem, account: Account) -> dict[str, Any]:
    """What conditions match and templates see of an inbox item."""
    return {"id": item.id, "platform": item.platform, "account": account.ref,
            "kind": item.kind, "author": item.author_handle.lstrip("@"),
            "author_handle": item.author_handle, "author_name": item.author_name or "",
            "text": item.text, "url": item.url, "sentiment": item.sentiment,
            "language": item.language}


def since_of(rule: Rule) -> datetime:
    """When the rule's trigger was set: nothing before fires."""
    raw = (rule.state or {}).get("since")
    return datetime.fromisoformat(raw) if raw else rule.created_at


def inbox_events(session: Session, rule: Rule, replay: int | None = None,
                 cache: dict[int, list[RuleEvent]] | None = None
                 ) -> tuple[list[RuleEvent], int]:
    """Items after the rule's cursor (or the newest ``replay`` ones), and the new cursor.

    ``cache`` (cursor → events) lets the rules of one run that stand at the same
    cursor — usually all of them — read and convert the items once.
    """
    if replay is not None:
        rows = queries.recent_items(session, rule.org_id, replay)
        return [RuleEvent(f"inbox:{i.id}", item_view(i, a), i, a) for i, a in rows], \
            rule.last_item_id
    cache = {} if cache is None else cache
    events = cache.get(rule.last_item_id)
    if events is None:
        rows = queries.items_after(session, rule.org_id, rule.last_item_id)
        events = [RuleEvent(f"inbox:{i.id}", item_view(i, a), i, a) for i, a in rows]
        cache[rule.last_item_id] = events
    return events, max((e.item.id for e in events if e.item is not None),
                       default=rule.last_item_id)


def _published_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "published_at": row["published_at"].isoformat()}


def published_events(session: Session, rule: Rule, state: dict[str, Any],
                     replay: int | None = None) -> list[RuleEvent]:
    """Posts published since the cursor (``published_after``), oldest first."""
    if replay is not None:
        rows = queries.recent_published(session, rule.org_id, replay)
    else:
        after = state.get("published_after")
        rows = queries.published_since(session, rule.org_id,
                                       datetime.fromisoformat(after) if after
                                       else since_of(rule))
        if rows:
            state["published_after"] = rows[-1]["published_at"].isoformat()
    return [RuleEvent(f"delivery:{r['delivery_id']}", _published_fields(r)) for r in rows]


def _metric_value(row: dict[str, Any], metric: str) -> int | None:
    if metric == "interactions":
        present = [row[m] for m in INTERACTIONS if row.get(m) is not None]
        return sum(present) if present else None
    value = row.get(metric)
    return None if value is None else int(value)


@use_case(Permission.RULES_READ)
def metric_events(ctx: Ctx, rule: Rule, spec: RuleSpec, state: dict[str, Any],
                  replay: bool = False) -> list[RuleEvent]:
    """Posts or accounts at or over the value that were not already over when the
    rule started; the first look only remembers those (``over``)."""
    trigger = spec.trigger
    metric, threshold = str(trigger.metric), trigger.value or 0
    found: list[RuleEvent] = []
    if (trigger.subject or "post") == "post":
        now = ctx.now()
        for row in post_rows(ctx.session, Scope(org_id=ctx.org_id, since=now - METRIC_WINDOW,
                                                until=now + timedelta(seconds=1))):
            value = _metric_value(row, metric)
            if value is not None and value >= threshold:
                found.append(RuleEvent(
                    f"metric:post:{row['delivery_id']}:{metric}:{threshold:g}",
                    {"subject": "post", "metric": metric, "value": value,
                     "threshold": threshold, "post": row["post"], "account": row["account"],
                     "platform": row["platform"], "url": row["url"],
                     "delivery_id": row["delivery_id"]}))
    else:
        for row in queries.account_counts(ctx.session, ctx.org_id):
            value = row.get(metric)
            if value is not None and value >= threshold:
                found.append(RuleEvent(
                    f"metric:account:{row['account_id']}:{metric}:{threshold:g}",
                    {"subject": "account", "metric": metric, "value": value,
                     "threshold": threshold, "account": row["account"],
                     "platform": row["platform"]}))
    if replay:
        return found
    if "over" not in state:  # the first look: what is over already never fires
        state["over"] = sorted(e.subject for e in found)
        return []
    over = set(state["over"])
    return [e for e in found if e.subject not in over]


@use_case(Permission.RULES_READ)
def cron_events(ctx: Ctx, rule: Rule, spec: RuleSpec, state: dict[str, Any],
                replay: int | None = None) -> list[RuleEvent]:
    """The newest instant of the schedule since the last tick, if it has come."""
    trigger = spec.trigger
    zone = trigger.timezone or display_zone(ctx.settings)
    schedule = str(trigger.schedule)
    now = ctx.now()
    if replay is not None:  # the instants to come, to show when it would run
        ticks, at = [], now
        for _ in range(min(replay, 10)):
            at = next_tick(schedule, zone, at)
            ticks.append(at)
        return [_tick(schedule, at) for at in ticks]
    last_raw = state.get("last_tick")
    last = datetime.fromisoformat(last_raw) if last_raw else since_of(rule)
    due = next_tick(schedule, zone, last)
    if due > now:
        return []
    while True:  # the newest due instant; the missed ones before it are not made up
        following = next_tick(schedule, zone, due)
        if following > now:
            break
        due = following
    state["last_tick"] = due.isoformat()
    return [_tick(schedule, due)]


def _tick(schedule: str, at: datetime) -> RuleEvent:
    return RuleEvent(f"cron:{at.astimezone(UTC).isoformat()}",
                     {"schedule": schedule, "at": at.isoformat(),
                      "date": at.date().isoformat(), "weekday": at.strftime("%A")})


@use_case(Permission.RULES_READ)
def feed_events(ctx: Ctx, rule: Rule, spec: RuleSpec, state: dict[str, Any],
                fetch: Fetch = fetch_feed, replay: int | None = None) -> list[RuleEvent]:
    """The feed's entries the rule has not seen, fetched at most every ``every`` seconds.

    The first successful fetch only remembers the entries (no backlog); a failed
    fetch is kept in ``state.error`` and tried again next time.
    """
    trigger = spec.trigger
    url = str(trigger.url)
    now = ctx.now()
    if replay is None:
        fetched = state.get("fetched_at")
        if fetched and now - datetime.fromisoformat(fetched) < timedelta(
                seconds=trigger.interval_s):
            return []
        found = fetch(url, etag=state.get("etag"), modified=state.get("modified"))
        state["fetched_at"] = now.isoformat()
    else:
        found = fetch(url)
    if found.error:
        if replay is not None:
            raise FeedError(found.error)
        state["error"] = found.error
        log.warning("rule %s: feed %s: %s", rule.name, url.split("?", 1)[0], found.error,
                    extra={"event": "rule_feed_failed", "rule": rule.name})
        return []
    state.pop("error", None)
    if found.not_modified:
        return []
    events = [RuleEvent(f"feed:{entry_key(e)}", e) for e in found.entries]
    if replay is not None:
        return events[-replay:]
    state["etag"], state["modified"] = found.etag, found.modified
    first = "seen" not in state
    seen = list(state.get("seen", []))
    known = set(seen)
    new = [e for e in events if e.subject not in known]
    seen.extend(e.subject for e in new)
    state["seen"] = seen[-SEEN_MAX:]
    return [] if first else new


class FeedError(Exception):
    """A feed could not be read (``rules test`` says so)."""
