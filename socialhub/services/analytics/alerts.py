"""Alerts: the rules in config (``alerts:``) checked against what happened, each
occurrence raised once.

Rules (``ALERT_RULES``): ``milestone`` (a post published in the last week passes a
like count), ``drop`` (a post one to three days old earns under ``drop_percent`` % of
its account's median interactions over the trailing ``baseline_days``),
``publish_failure`` (a delivery failed or died), ``needs_reauth`` (an account must be
signed in again) and ``stale_scheduler`` (a periodic daemon job has not run for
``stale_scheduler_minutes``). What was raised is remembered (``alerts_sent``), so the
next run stays quiet about it. Each new alert is an ``alert.raised`` event (milestones
also ``metric.threshold_crossed``); the webhook and email subscribers deliver it
after commit, so nothing is told of a run that rolled back.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from socialhub.config import AlertsConfig
from socialhub.core.policy import Permission
from socialhub.db.queries import alerts as queries
from socialhub.db.queries import status as status_queries
from socialhub.db.queries.analytics import INTERACTIONS, Scope, post_rows
from socialhub.services.context import Ctx, use_case
from socialhub.services.events import Event, publish

ALERT_RULES: tuple[str, ...] = ("milestone", "drop", "publish_failure", "needs_reauth",
                                "stale_scheduler")
ALERT_RAISED = "alert.raised"
THRESHOLD_CROSSED = "metric.threshold_crossed"
#: Milestones are checked for posts published this recently.
MILESTONE_WINDOW = timedelta(days=7)
#: Failures are looked for this far back (a first run does not dig up old history).
FAILURE_WINDOW = timedelta(days=2)
#: The daemon jobs that run every minute or so; one of them late means the scheduler is.
PERIODIC_JOBS: tuple[str, ...] = ("reconcile", "refresh_tokens")


@dataclass(frozen=True)
class Alert:
    """One occurrence of a rule: ``occurrence`` names it uniquely within the rule."""

    rule: str
    occurrence: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)


def interactions(row: dict[str, Any]) -> int | None:
    """likes + replies + reposts + quotes + saves + clicks of a post row; None when none
    of them is measured."""
    present = [row[m] for m in INTERACTIONS if row.get(m) is not None]
    return sum(present) if present else None


def _milestones(ctx: Ctx, rules: AlertsConfig, now: datetime) -> Iterator[Alert]:
    scope = Scope(org_id=ctx.org_id, since=now - MILESTONE_WINDOW, until=now)
    for row in post_rows(ctx.session, scope):
        for likes in sorted(rules.milestone_likes):
            if row["likes"] is not None and row["likes"] >= likes:
                yield Alert("milestone", f"{row['delivery_id']}:likes:{likes}",
                            f"{row['post']} on {row['account']} passed {likes:,} likes "
                            f"({row['likes']:,})",
                            {"delivery_id": row["delivery_id"], "post": row["post"],
                             "account": row["account"], "metric": "likes",
                             "threshold": likes, "value": row["likes"], "url": row["url"]})


def _drops(ctx: Ctx, rules: AlertsConfig, now: datetime) -> Iterator[Alert]:
    if rules.drop_percent == 0:
        return
    newest = now - timedelta(days=1)
    oldest = now - timedelta(days=3)
    scope = Scope(org_id=ctx.org_id, since=oldest - timedelta(days=rules.baseline_days),
                  until=newest)
    per_account: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in post_rows(ctx.session, scope):
        if interactions(row) is not None:
            per_account[row["account"]].append(row)
    for rows in per_account.values():
        for row in rows:
            if row["published_at"] < oldest:
                continue
            start = row["published_at"] - timedelta(days=rules.baseline_days)
            baseline = [interactions(r) or 0 for r in rows
                        if start <= r["published_at"] < row["published_at"]]
            if len(baseline) < rules.baseline_min_posts:
                continue
            median = statistics.median(baseline)
            value = interactions(row) or 0
            if median > 0 and value < median * rules.drop_percent / 100:
                yield Alert("drop", str(row["delivery_id"]),
                            f"{row['post']} on {row['account']} earned {value:,} interactions, "
                            f"under {rules.drop_percent}% of the account's "
                            f"{rules.baseline_days}-day median ({median:,.0f})",
                            {"delivery_id": row["delivery_id"], "post": row["post"],
                             "account": row["account"], "value": value, "median": median,
                             "percent": rules.drop_percent, "url": row["url"]})


def _failures(ctx: Ctx, now: datetime) -> Iterator[Alert]:
    for row in queries.failed_deliveries(ctx.session, ctx.org_id, now - FAILURE_WINDOW):
        yield Alert("publish_failure", f"{row['delivery_id']}:{row['status']}",
                    f"{row['post']} to {row['account']} {row['status']}: "
                    f"{row['error'] or 'no error recorded'}", row)


def _reauth(ctx: Ctx) -> Iterator[Alert]:
    for row in queries.accounts_needing_reauth(ctx.session, ctx.org_id):
        yield Alert("needs_reauth", f"{row['account_id']}:{row['since'].isoformat()}",
                    f"{row['account']} needs signing in again: "
                    f"{row['reason'] or 'the network refused its token'}", row)


def _stale(ctx: Ctx, rules: AlertsConfig, now: datetime) -> Iterator[Alert]:
    if rules.stale_scheduler_minutes == 0:
        return
    limit = timedelta(minutes=rules.stale_scheduler_minutes)
    for run in status_queries.job_runs(ctx.session):
        if run.name in PERIODIC_JOBS and run.last_started_at is not None \
                and now - run.last_started_at > limit:
            minutes = int((now - run.last_started_at).total_seconds() // 60)
            yield Alert("stale_scheduler", f"{run.name}:{run.last_started_at.isoformat()}",
                        f"the daemon's {run.name} job has not run for {minutes} minutes",
                        {"job": run.name, "last_started_at": run.last_started_at,
                         "owner": run.owner, "minutes": minutes})


def _candidates(ctx: Ctx, rules: AlertsConfig) -> list[Alert]:
    """Every occurrence the rules see now, sent before or not."""
    now = ctx.now()
    found: list[Alert] = []
    if rules.milestone_likes:
        found += _milestones(ctx, rules, now)
    found += _drops(ctx, rules, now)
    if rules.publish_failure:
        found += _failures(ctx, now)
    if rules.needs_reauth:
        found += _reauth(ctx)
    found += _stale(ctx, rules, now)
    return found


@use_case(Permission.ANALYTICS_READ)
def raise_alerts(ctx: Ctx, rules: AlertsConfig | None = None) -> list[dict[str, Any]]:
    """Check the rules (``ctx.settings.alerts`` unless given) and raise each occurrence
    not raised before: remember it and publish ``alert.raised`` (and
    ``metric.threshold_crossed`` for a milestone). Running it again raises nothing new.

    Returns:
        The alerts raised now: ``rule``, ``occurrence``, ``message``, ``data``.
    """
    rules = rules or ctx.settings.alerts
    if not rules.enabled:
        return []
    now = ctx.now()
    found = _candidates(ctx, rules)
    raised: list[dict[str, Any]] = []
    for rule in ALERT_RULES:
        mine = {a.occurrence: a for a in found if a.rule == rule}
        sent = queries.sent_occurrences(ctx.session, ctx.org_id, rule, mine)
        for occurrence, alert in mine.items():
            if occurrence in sent:
                continue
            queries.record_alert(ctx.session, ctx.org_id, rule, occurrence, alert.message, now)
            data = {"rule": rule, "occurrence": occurrence, "message": alert.message,
                    "raised_at": now, **alert.data}
            if rule == "milestone":
                publish(ctx.session, Event(THRESHOLD_CROSSED, org_id=ctx.org_id,
                                           subject=alert.data["post"], data=data,
                                           actor=ctx.actor.name, channel=ctx.channel))
            publish(ctx.session, Event(ALERT_RAISED, org_id=ctx.org_id, subject=occurrence,
                                       data=data, actor=ctx.actor.name, channel=ctx.channel))
            raised.append({"rule": rule, "occurrence": occurrence, "message": alert.message,
                           "data": alert.data})
    return raised
