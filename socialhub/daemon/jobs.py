"""The daemon's periodic jobs besides publishing: what each one does, one function apiece.

``runner.py`` schedules them and records each run (``daemon_status``); here
is only the work. Each returns the details recorded with the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from socialhub.services.hub import Hub
from socialhub.services.inbox.sync import InboxSync
from socialhub.services.ops import daemon_status
from socialhub.services.ops.metrics import collect_metrics, digest
from socialhub.services.publishing.engine import PublishingEngine

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
    """Log the daily digest and send it to the ``digest`` webhook."""
    with hub.transaction() as session:
        report = digest(session)
    log.info("daily digest: %d published, %d dead, %d unconfirmed",
             len(report["published"]), len(report["dead"]), report["unconfirmed"],
             extra={"event": "digest"})
    engine.announce("digest", report)
    return {"published": len(report["published"]), "dead": len(report["dead"])}


def sync_inbox(syncer: InboxSync) -> dict[str, Any]:
    """Sync the inbox of every account that is due (``inbox.poll_interval_s`` apart)."""
    reports = syncer.run()
    new = sum(r.new for r in reports)
    if new:
        log.info("inbox: %d new item(s) from %d account(s)", new, len(reports),
                 extra={"event": "inbox_sync"})
    return {"accounts": len(reports), "new": new,
            "failed": [r.account for r in reports if r.error]}
