"""The daemon's periodic jobs besides publishing: what each one does, one function apiece.

``runner.py`` schedules them and records each run (``daemon_status``); here
is only the work. Each returns the details recorded with the run.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from socialhub.services.analytics.alerts import raise_alerts
from socialhub.services.analytics.collect import collect_metrics
from socialhub.services.analytics.digest import (
    daily_digest,
    digest_html,
    digest_subject,
    digest_text,
)
from socialhub.services.authoring.evergreen import requeue_evergreen
from socialhub.services.experiments.experiments import record_winners
from socialhub.services.gitsync.sync import sync_git
from socialhub.services.gitsync.writeback import write_back
from socialhub.services.hub import Hub
from socialhub.services.inbox.sync import InboxSync
from socialhub.services.mail import mail_enabled, send_mail
from socialhub.services.ops import daemon_status
from socialhub.services.ops.metrics import digest
from socialhub.services.publishing.engine import PublishingEngine
from socialhub.services.rules.engine import feeds_due, prefetched, run_rules
from socialhub.services.webhooks.use_cases import (
    deliver_webhooks,
    forget_old_deliveries,
    organizations_due,
)

log = logging.getLogger("socialhub.daemon")


def reconcile(hub: Hub, engine: PublishingEngine, wake: Callable[[], None]) -> dict[str, Any]:
    """Take over dead workers' leases, forget long-gone daemons, and wake the publish job.

    Unconfirmed deliveries are then claimed for lookup by the publish job.
    """
    taken = engine.expire_dead_leases()
    with hub.transaction() as session:
        daemon_status.forget_old_daemons(session)
    wake()
    return {"leases_taken_over": taken}


def refresh_tokens(engine: PublishingEngine) -> dict[str, Any]:
    """Refresh every account token that expires soon."""
    return dict(engine.tokens.refresh_expiring())


def collect(hub: Hub, engine: PublishingEngine) -> dict[str, Any]:
    """Collect the published posts' metrics from the platforms."""
    return dict(collect_metrics(hub, engine.tokens))


def send_digest(hub: Hub, engine: PublishingEngine) -> dict[str, Any]:
    """Log the daily digest, send it to the ``digest`` webhook, and mail yesterday's
    digest (text + HTML) when ``alerts.email`` is set."""
    with hub.transaction() as session:
        report = digest(session)
    log.info("daily digest: %d published, %d dead, %d unconfirmed",
             len(report["published"]), len(report["dead"]), report["unconfirmed"],
             extra={"event": "digest"})
    engine.announce("digest", report)
    mailed = mail_digest(hub)
    return {"published": len(report["published"]), "dead": len(report["dead"]),
            "mailed": mailed}


def mail_digest(hub: Hub, day: str | None = None) -> bool:
    """Mail the digest of ``day`` (yesterday) to ``alerts.email.to``; False when mail is
    not configured or the server refused it."""
    settings = hub.config.settings
    if not mail_enabled(settings):
        return False
    with hub.context("daemon") as ctx:
        data = daily_digest(ctx, day)
    return send_mail(settings, digest_subject(data), digest_text(data), digest_html(data))


def check_alerts(hub: Hub) -> dict[str, Any]:
    """Raise the alerts whose rules match now (each once); they go out after commit."""
    with hub.context("daemon") as ctx:
        raised = raise_alerts(ctx)
    for alert in raised:
        log.info("alert: %s", alert["message"], extra={"event": "alert", "rule": alert["rule"]})
    return {"raised": len(raised)}


def run_workflow_rules(hub: Hub, wake: Callable[[], None]) -> dict[str, Any]:
    """Run the workflow rules on what their triggers saw since they last looked
    (docs/rules.md); a reply or a post a rule queued wakes the publish job."""
    with hub.context("daemon") as ctx:
        due = feeds_due(ctx)
    fetch = prefetched(due)  # the feeds are read with no transaction open
    with hub.context("daemon") as ctx:
        runs = run_rules(ctx, fetch=fetch)
    for run in runs:
        log.info("rule %s on %s: %s", run["rule"], run["subject"], run["outcome"],
                 extra={"event": "rule_run", "rule": run["rule"]})
    if any(run["outcome"] == "done" for run in runs):
        wake()
    return {"runs": len(runs), "done": sum(1 for r in runs if r["outcome"] == "done")}


def experiments_and_evergreen(hub: Hub, wake: Callable[[], None]) -> dict[str, Any]:
    """Record the experiments that have a winner now (``experiment.winner_found``, once
    each), then put the evergreen posts whose cooldown is over into their next free
    slots (docs/campaigns.md); a requeue wakes the publish job."""
    with hub.context("daemon") as ctx:
        won = record_winners(ctx)
        rows = requeue_evergreen(ctx)
    for w in won:
        log.info("experiment %s: %s", w["name"], w["verdict"],
                 extra={"event": "experiment_winner", "experiment": w["name"]})
    queued = [r["post"] for r in rows if r["outcome"] == "queued"]
    if queued:
        wake()
    return {"winners": len(won), "requeued": len(queued),
            "no_slot": sum(1 for r in rows if r["outcome"] == "no_slot")}


def git_sync(hub: Hub, wake: Callable[[], None]) -> dict[str, Any]:
    """Fetch the ``sync.git`` repository and apply its newest commit with prune, then
    write back the publication registry of what its posts published.

    Safe to run in several daemons at once: a commit is applied once (see
    ``services.gitsync.sync``). A failure is alerted by the sync itself (a
    ``sync.failed`` event and a log line, once per problem, not a traceback per
    run) and is in the details recorded with the run; the publish job is woken
    when something was applied.
    """
    result = sync_git(hub, channel="daemon")
    if result.status == "applied":
        wake()
    back = write_back(hub, channel="daemon")
    return {"status": result.status, "commit": result.commit, "error": result.error,
            "changes": sum(1 for c in result.changes if c.action != "unchanged"),
            "registry": back.status, "registry_commit": back.commit,
            "registry_error": back.error}


def sync_inbox(syncer: InboxSync) -> dict[str, Any]:
    """Sync the inbox of every account that is due (``inbox.poll_interval_s`` apart)."""
    reports = syncer.run()
    new = sum(r.new for r in reports)
    if new:
        log.info("inbox: %d new item(s) from %d account(s)", new, len(reports),
                 extra={"event": "inbox_sync"})
    return {"accounts": len(reports), "new": new,
            "failed": [r.account for r in reports if r.error]}


def send_webhooks(hub: Hub) -> dict[str, Any]:
    """Send the webhook deliveries that are due, in every organization that has some:
    those whose first try (by the process that published the event) failed, again after
    their backoff (docs/webhooks.md). Delivered and dead ones older than 30 days are
    forgotten."""
    with hub.transaction() as session:
        forgotten = forget_old_deliveries(session)
        names = organizations_due(session)
    sent: list[dict[str, Any]] = []
    for name in names:
        sent += deliver_webhooks(functools.partial(hub.context, "daemon", organization=name),
                                 limit=100)
    return {"sent": len(sent), "delivered": sum(1 for d in sent if d["status"] == "delivered"),
            "failed": sum(1 for d in sent if d["status"] == "failed"),
            "dead": sum(1 for d in sent if d["status"] == "dead"), "forgotten": forgotten}
