"""The daemon's ``/metrics`` in the Prometheus text format (``prometheus_client``).

Two kinds of figures, in one registry per daemon (never the global one, so two
daemons in a test process do not mix):

- counted in this process as things happen: publish lateness (a histogram of
  seconds from due to published), attempts by outcome, token refreshes by result,
  and each job's last run (timestamp and status);
- read from the database at scrape time: deliveries by status, queue depth and
  due-now, and metrics ingest lag (published → first capture) over the last 7 days.

| metric | type | labels |
|---|---|---|
| ``socialhub_deliveries`` | gauge | ``status`` |
| ``socialhub_queue_depth``, ``socialhub_queue_due_now`` | gauge | |
| ``socialhub_publish_lateness_seconds`` | histogram | |
| ``socialhub_attempts_total`` | counter | ``outcome`` (published, failed, dead, unconfirmed) |
| ``socialhub_token_refreshes_total`` | counter | ``result`` (ok, failed) |
| ``socialhub_job_last_run_timestamp_seconds``, ``socialhub_job_last_run_ok`` | gauge | ``job`` |
| ``socialhub_metrics_ingest_lag_seconds`` | gauge | ``quantile`` (0.5, 0.95, 1) |
| ``socialhub_metrics_waiting_posts`` | gauge | |
| ``socialhub_scrape_database_up`` | gauge | |
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

from socialhub.db.queries import status as status_queries
from socialhub.services.clock import now_utc
from socialhub.services.hub import Hub
from socialhub.services.ops.daemon_status import ingest_lag, queue_depth

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
OUTCOMES = ("published", "failed", "dead", "unconfirmed")
DELIVERY_STATUSES = ("scheduled", "claimed", "publishing", "published", "retry_scheduled",
                     "unconfirmed", "dead", "canceled")
#: Lateness buckets in seconds: on time is well under a second; minutes mean trouble.
LATENESS_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600)


class DaemonMetrics:
    """The registry one daemon serves, and the hooks that feed it."""

    def __init__(self, hub: Hub, *, attempts: Callable[[], dict[str, int]],
                 refreshes: Callable[[], dict[str, int]]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.lateness = Histogram(
            "socialhub_publish_lateness_seconds",
            "Seconds from a delivery's due time to its publication.",
            buckets=LATENESS_BUCKETS, registry=self.registry)
        self.job_last_run = Gauge(
            "socialhub_job_last_run_timestamp_seconds",
            "When each daemon job last finished (Unix time).", ["job"],
            registry=self.registry)
        self.job_last_ok = Gauge(
            "socialhub_job_last_run_ok", "1 when the job's last run succeeded, else 0.",
            ["job"], registry=self.registry)
        self.registry.register(_Counted(attempts, refreshes))
        self.registry.register(_FromDatabase(hub))

    def observe_event(self, name: str, data: dict[str, Any]) -> None:
        """The engine's event hook: a publication's lateness into the histogram."""
        due = data.get("due_at")
        if name == "published" and isinstance(due, datetime):
            self.lateness.observe(max(0.0, (now_utc() - due).total_seconds()))

    def job_ran(self, job: str, status: str, finished: datetime) -> None:
        """Record that ``job`` finished with ``status`` (``ok`` or ``error``)."""
        self.job_last_run.labels(job).set(finished.timestamp())
        self.job_last_ok.labels(job).set(1 if status == "ok" else 0)

    def render(self) -> bytes:
        """The exposition text of everything above."""
        return generate_latest(self.registry)


class _Counted(Collector):
    """Counters the engine and the token manager keep, read at scrape time."""

    def __init__(self, attempts: Callable[[], dict[str, int]],
                 refreshes: Callable[[], dict[str, int]]) -> None:
        self.attempts, self.refreshes = attempts, refreshes

    def collect(self) -> Iterator[Metric]:
        counts = self.attempts()
        family = CounterMetricFamily("socialhub_attempts", "Delivery attempts by outcome.",
                                     labels=["outcome"])
        for outcome in OUTCOMES:
            family.add_metric([outcome], counts.get(outcome, 0))
        yield family
        refreshed = self.refreshes()
        family = CounterMetricFamily("socialhub_token_refreshes", "Token refreshes by result.",
                                     labels=["result"])
        for result in ("ok", "failed"):
            family.add_metric([result], refreshed.get(result, 0))
        yield family


class _FromDatabase(Collector):
    """Gauges read from the database when scraped (deliveries, queue, ingest lag)."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def describe(self) -> Iterator[Metric]:
        return iter(())  # read at scrape time only; never at registration

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("socialhub_scrape_database_up",
                               "1 when this scrape could read the database.")
        try:
            now = now_utc()
            with self.hub.transaction() as session:
                statuses = status_queries.count_by_status(session, DELIVERY_STATUSES)
                queue = queue_depth(session, now)
                lag = ingest_lag(session, now)
        except Exception as exc:  # a scrape must answer even while the database is away
            log.warning("metrics scrape cannot read the database: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        deliveries = GaugeMetricFamily("socialhub_deliveries", "Deliveries by status.",
                                       labels=["status"])
        for status in DELIVERY_STATUSES:
            deliveries.add_metric([status], statuses.get(status, 0))
        yield deliveries
        yield GaugeMetricFamily("socialhub_queue_depth", "Deliveries waiting to go out.",
                                value=queue["depth"])
        yield GaugeMetricFamily("socialhub_queue_due_now", "Waiting deliveries already due.",
                                value=queue["due_now"])
        lag_family = GaugeMetricFamily(
            "socialhub_metrics_ingest_lag_seconds",
            "Seconds from publication to first metrics capture, posts of the last 7 days.",
            labels=["quantile"])
        for quantile, key in (("0.5", "p50_s"), ("0.95", "p95_s"), ("1", "max_s")):
            if lag[key] is not None:
                lag_family.add_metric([quantile], lag[key])
        yield lag_family
        yield GaugeMetricFamily("socialhub_metrics_waiting_posts",
                                "Posts of the last 7 days published but not measured yet.",
                                value=lag["waiting"])
