"""``socialhub daemon run``: the scheduler loop, its jobs, and a clean shutdown.

The bodies of the jobs besides publishing are in ``jobs.py``.

APScheduler (3.11, ``BackgroundScheduler``) runs the periodic jobs with an
in-memory job store only: the database tables are the source of truth and
APScheduler's docs forbid sharing a persistent job store between schedulers.
Publishing has its own thread, the dispatcher: it sleeps until the next due
instant (armed after every run) or until it is woken, at once, by a finished
send, a PostgreSQL NOTIFY or the poll tick; a short interval job is the safety net
and the heartbeat. (It was an APScheduler date job re-armed on every wake: under
load each finished send paid for a re-arming, and the hop through the scheduler's
thread and executor left free send slots idle; docs/performance.md.) WATCHDOG
pings come from a scheduler job, so they stop if the scheduler stops. SIGTERM
sends STOPPING, drains in-flight sends, gives back leases and exits 0.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from socialhub import __version__
from socialhub.config import LoadedConfig
from socialhub.daemon import jobs, sdnotify
from socialhub.daemon.http import HttpServer, create_daemon_app
from socialhub.services.clock import display_zone, now_utc
from socialhub.services.gc_pause import keep_start_up_out_of_collections
from socialhub.services.hub import Hub
from socialhub.services.inbox.sync import InboxSync
from socialhub.services.links.redirects import LinkRedirects
from socialhub.services.ops import daemon_status
from socialhub.services.ops.db_watch import DatabaseWatch, describe_cause
from socialhub.services.ops.http_access import HttpAccess, daemon_access
from socialhub.services.ops.prometheus import DaemonMetrics
from socialhub.services.publishing.engine import EngineSettings, PublishingEngine

if TYPE_CHECKING:
    from socialhub.mcp_server.http import McpHttpAuth

log = logging.getLogger("socialhub.daemon")

PUBLISH_HEARTBEAT_S = 2.0
#: The dispatcher never sleeps longer than this at a time (a wall-clock jump is seen
#: within it, and so is the stop request).
DISPATCHER_NAP_S = 0.5
#: The GIL switch interval for dozens of I/O-bound send threads: a thread that wants the
#: GIL waits at most this long for one that keeps it (Python's default; measured with the
#: dispatcher thread, 5 ms gave ~6 % more sends/s than 20 ms and 1 ms: docs/performance.md).
SWITCH_INTERVAL_S = 0.005


class Daemon:
    """One daemon process: engine, scheduler, HTTP server, listener."""

    def __init__(self, config: LoadedConfig, *, engine_settings: EngineSettings | None = None
                 ) -> None:
        self.config = config
        self.opts = config.settings.daemon
        self.hub = Hub(config)
        self.engine_settings = engine_settings
        self.stop_event = threading.Event()
        self.started_at = now_utc()
        self.http_url: str | None = None
        self.access: HttpAccess | None = None
        self.db = DatabaseWatch(log)  # one line per outage, not one traceback per poll
        self.engine: PublishingEngine | None = None
        self.prometheus: DaemonMetrics | None = None
        self._inbox: InboxSync | None = None
        self.links: LinkRedirects | None = None
        self.scheduler: Any = None
        self._lock = threading.Lock()
        self._running = False
        self._again = False
        self._wakeup = threading.Condition(self._lock)
        self._woken = False
        self._armed_at: datetime | None = None
        self._dispatcher: threading.Thread | None = None
        self._last_tick = time.monotonic()
        self._last_publish_beat = 0.0

    # -- lifecycle ------------------------------------------------------------------------
    def run(self) -> int:
        """Run until SIGTERM/SIGINT; returns the exit code (0 after a clean drain).

        Raises:
            ConfigError: the HTTP address is reachable from the network and no
                token guards it (checked before anything starts).
        """
        access = self.access = daemon_access(self.config)
        self._install_signals()
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        self.hub.engine  # noqa: B018 - opening it verifies (or creates) the schema first
        engine = PublishingEngine(self.hub, self.engine_settings)
        self.engine = engine
        engine.on_done = self.wake
        self.prometheus = DaemonMetrics(
            self.hub, attempts=lambda: dict(engine.stats),
            refreshes=lambda: dict(engine.tokens.refresh_counts))
        engine.on_event = self.prometheus.observe_event
        mcp = self.mcp_auth()
        links = self.links = LinkRedirects(self.hub)
        app = create_daemon_app(self.config, self.health, self.metrics, access,
                                self.prometheus.render, mcp=mcp, hub=self.hub, links=links)
        http = HttpServer(app, access.host, access.port, lifespan=mcp is not None,
                          tls_cert=access.tls_cert, tls_key=access.tls_key)
        self.http_url = http.start()
        try:
            links.warm_up()
        except Exception as exc:  # a cold cache is slower, not wrong
            log.warning("short links not preloaded: %s", exc)
        links.start()
        engine.expire_dead_leases()
        engine.warm_up()
        keep_start_up_out_of_collections()
        self._start_scheduler()
        listener = self._start_listener()
        self._beat()
        sdnotify.notify(f"READY=1\nSTATUS=publishing; HTTP on {self.http_url}\n"
                        f"MAINPID={os.getpid()}")
        log.info("daemon ready: worker %s, HTTP on %s", engine.worker, self.http_url,
                 extra={"event": "ready", "http": self.http_url, "worker": engine.worker})
        while not self.stop_event.wait(1.0):
            pass
        sdnotify.notify("STOPPING=1\nSTATUS=draining in-flight sends")
        log.info("stopping: draining %d in-flight sends", engine.in_flight)
        self.scheduler.shutdown(wait=False)
        self._stop_dispatcher()
        if listener is not None:
            listener.stop()
        drained = engine.drain(timeout_s=engine.settings.request_timeout_s + 5)
        engine.close()
        http.stop()
        links.close()  # after the server stopped: every counted click is written
        try:
            with self.hub.transaction() as session:
                daemon_status.daemon_stopped(session, engine.worker)
        except Exception as exc:
            log.warning("could not record the shutdown: %s", exc)
        self.hub.dispose()
        log.info("daemon stopped%s", "" if drained else " (some sends did not finish in time)",
                 extra={"event": "stopped"})
        return 0

    def mcp_auth(self) -> McpHttpAuth | None:
        """Who may call the MCP server at ``/mcp``: the bearers of API tokens, each acting
        as the member the token belongs to, narrowed by its scopes (docs/agents.md).
        None (not mounted) when the API is disabled (``api.enabled: false``)."""
        if not self.config.settings.api.enabled:
            return None
        from socialhub.mcp_server.http import token_auth

        return token_auth(self.hub)

    def _install_signals(self) -> None:
        def handler(signum: int, _frame: Any) -> None:
            log.info("received %s", signal.Signals(signum).name)
            self.stop_event.set()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def _start_scheduler(self) -> None:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.triggers.cron import CronTrigger

        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        sched = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(8)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC)
        self.scheduler = sched
        poll = self.opts.poll_interval_s
        sched.add_job(self._tick, "interval", seconds=poll, id="tick")
        watchdog = sdnotify.watchdog_interval()
        if watchdog:
            sched.add_job(lambda: sdnotify.notify("WATCHDOG=1"), "interval", seconds=watchdog,
                          id="watchdog")
        sched.add_job(self._job("reconcile", self._reconcile), "interval",
                      seconds=max(poll, 10.0), id="reconcile")
        sched.add_job(self._job("refresh_tokens", self._refresh_tokens), "interval", seconds=60,
                      id="refresh_tokens", next_run_time=datetime.now(UTC))
        if self.opts.metrics_enabled:
            sched.add_job(self._job("collect_metrics", self._collect_metrics), "interval",
                          minutes=5, id="collect_metrics")
        sched.add_job(self._job("evergreen", lambda: jobs.experiments_and_evergreen(
            self.hub, self.wake)), "interval", minutes=5, id="evergreen")
        git = self.config.settings.sync.git
        if git is not None:
            sched.add_job(self._job("git_sync", self._git_sync), "interval",
                          seconds=git.interval, id="git_sync", next_run_time=datetime.now(UTC))
        if self.config.settings.alerts.enabled:
            sched.add_job(self._job("alerts", lambda: jobs.check_alerts(self.hub)), "interval",
                          seconds=60, id="alerts")
        inbox = self.config.settings.inbox
        if inbox.enabled:
            # Each account waits inbox.poll_interval_s between syncs (and longer after a rate
            # limit); the job only looks for the accounts that are due. The first run waits
            # for the start-up's token refresh and first sends to be on their way.
            sched.add_job(self._job("inbox_sync", self._sync_inbox), "interval",
                          seconds=min(inbox.poll_interval_s, 60.0), id="inbox_sync",
                          next_run_time=datetime.now(UTC) + timedelta(seconds=3))
        # The workflow rules act on new inbox items, published posts, metrics, their
        # schedules and feeds (docs/rules.md).
        sched.add_job(self._job("rules", lambda: jobs.run_workflow_rules(self.hub, self.wake)),
                      "interval", seconds=self.config.settings.daemon.rules_interval_s,
                      id="rules", next_run_time=datetime.now(UTC) + timedelta(seconds=5))
        if self.opts.webhooks:
            # Retries of webhook deliveries whose first try failed (the backoff decides
            # when each is due; this only looks).
            sched.add_job(self._job("webhooks", lambda: jobs.send_webhooks(self.hub)),
                          "interval", seconds=min(poll, 10.0), id="webhooks",
                          next_run_time=datetime.now(UTC) + timedelta(seconds=2))
        sched.add_job(self._job("digest", self._digest),
                      CronTrigger(hour=self.opts.digest_hour, minute=0,
                                  timezone=display_zone(self.config.settings)), id="digest")
        sched.start()
        self._arm(datetime.now(UTC))
        self._dispatcher = threading.Thread(target=self._dispatch_loop, name="dispatcher",
                                            daemon=True)
        self._dispatcher.start()

    def _start_listener(self) -> Any:
        if self.hub.engine.dialect.name != "postgresql":
            return None
        from socialhub.daemon.listener import ScheduleListener

        listener = ScheduleListener(self.config.database_url, self.wake)
        listener.start()
        return listener

    # -- the publish job ---------------------------------------------------------------------
    def _arm(self, when: datetime) -> None:
        """Have the dispatcher run no later than ``when`` (an earlier arming stands)."""
        with self._wakeup:
            if self._armed_at is not None and self._armed_at <= when:
                return
            self._armed_at = when
            self._wakeup.notify()

    def wake(self) -> None:
        """Dispatch as soon as possible (a send finished, a NOTIFY arrived, the poll ticked)."""
        with self._wakeup:
            if self._running:
                self._again = True  # the running dispatch goes round once more
                return
            self._woken = True
            self._wakeup.notify()

    def _dispatch_loop(self) -> None:
        """The dispatcher thread: run the publish job when woken or when the armed
        instant comes, until the daemon stops."""
        while not self.stop_event.is_set():
            with self._wakeup:
                while not self._woken and not self.stop_event.is_set():
                    if self._armed_at is not None:
                        left = (self._armed_at - datetime.now(UTC)).total_seconds()
                        if left <= 0:
                            break
                    else:
                        left = DISPATCHER_NAP_S
                    self._wakeup.wait(min(left, DISPATCHER_NAP_S))
                self._woken = False
            if self.stop_event.is_set():
                return
            try:
                self._publish()
            except Exception:  # never let the dispatcher die: the next wake retries
                log.exception("publish job failed")

    def _stop_dispatcher(self) -> None:
        with self._wakeup:
            self._wakeup.notify()
        if self._dispatcher is not None:
            self._dispatcher.join(timeout=DISPATCHER_NAP_S * 4)

    def _publish(self) -> None:
        """One run of the publish job (on the dispatcher thread only)."""
        with self._lock:
            self._armed_at = None
            self._running, self._again = True, False
        engine = self.engine
        assert engine is not None
        started = now_utc()
        error: str | None = None
        claimed = 0
        try:
            while not self.stop_event.is_set():
                claimed += engine.dispatch_due()
                with self._lock:
                    if not self._again:
                        break
                    self._again = False
        except Exception as exc:
            error = str(exc)
            if not self.db.failed(exc):
                log.exception("publish job failed")
        finally:
            with self._lock:
                self._running = False
        self._publish_beat(started, error, claimed)
        self._arm_next()

    def _arm_next(self) -> None:
        assert self.engine is not None
        now = datetime.now(UTC)
        latest = now + timedelta(seconds=self.opts.poll_interval_s)
        if self.engine.in_flight:
            # Busy: every finished send wakes us, and the idle pass reads the next due time.
            self._arm(latest)
            return
        try:
            nxt = self.engine.next_wakeup()
        except Exception as exc:
            if not self.db.failed(exc):
                log.warning("cannot read the next due time: %s", exc)
            nxt = None
        self._arm(min(nxt, latest) if nxt is not None else latest)

    def _publish_beat(self, started: datetime, error: str | None, claimed: int) -> None:
        if self.prometheus is not None:
            self.prometheus.job_ran("publish", "error" if error else "ok", now_utc())
        if error is None and time.monotonic() - self._last_publish_beat < PUBLISH_HEARTBEAT_S:
            return
        self._last_publish_beat = time.monotonic()
        assert self.engine is not None
        try:
            with self.hub.transaction() as session:
                daemon_status.record_job_run(
                    session, "publish", owner=self.engine.worker, started=started,
                    finished=now_utc(), status="error" if error else "ok", error=error,
                    details={"claimed": claimed, "in_flight": self.engine.in_flight})
        except Exception as exc:
            if not self.db.failed(exc):
                log.warning("cannot record the publish heartbeat: %s", exc)

    # -- other jobs --------------------------------------------------------------------------
    def _job(self, name: str, fn: Callable[[], dict[str, Any]]) -> Callable[[], None]:
        def run() -> None:
            assert self.engine is not None
            started = now_utc()
            details: dict[str, Any] = {}
            error = None
            try:
                details = fn() or {}
            except Exception as exc:
                error = str(exc)
                if not self.db.failed(exc):
                    log.exception("job %s failed", name)
            finished = now_utc()
            if self.prometheus is not None:
                self.prometheus.job_ran(name, "error" if error else "ok", finished)
            try:
                with self.hub.transaction() as session:
                    daemon_status.record_job_run(
                        session, name, owner=self.engine.worker, started=started,
                        finished=finished, status="error" if error else "ok", error=error,
                        details=details)
            except Exception as exc:
                if not self.db.failed(exc):
                    log.warning("cannot record job %s: %s", name, exc)
        return run

    def _tick(self) -> None:
        self._last_tick = time.monotonic()
        self._beat()
        self.wake()

    def _beat(self) -> None:
        assert self.engine is not None
        try:
            with self.hub.transaction() as session:
                daemon_status.beat(session, self.engine.worker, {
                    "pid": os.getpid(), "host": socket.gethostname(), "http": self.http_url,
                    "version": __version__, "started_at": self.started_at.isoformat(),
                    "in_flight": self.engine.in_flight})
        except Exception as exc:
            if not self.db.failed(exc):
                log.warning("cannot record the heartbeat: %s", exc)
        else:
            self.db.ok()

    def _started_engine(self) -> PublishingEngine:
        assert self.engine is not None
        return self.engine

    def _reconcile(self) -> dict[str, Any]:
        return jobs.reconcile(self.hub, self._started_engine(), self.wake)

    def _refresh_tokens(self) -> dict[str, Any]:
        return jobs.refresh_tokens(self._started_engine())

    def _collect_metrics(self) -> dict[str, Any]:
        return jobs.collect(self.hub, self._started_engine())

    def _digest(self) -> dict[str, Any]:
        return jobs.send_digest(self.hub, self._started_engine())

    def _git_sync(self) -> dict[str, Any]:
        return jobs.git_sync(self.hub, self.wake)

    def _sync_inbox(self) -> dict[str, Any]:
        if self._inbox is None:
            # Shares the engine's token manager: a token refreshed here is the sends' too.
            self._inbox = InboxSync(self.hub, self._started_engine().tokens,
                                    stopping=self.stop_event.is_set)
        return jobs.sync_inbox(self._inbox)

    # -- HTTP providers ----------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """``ok`` while the scheduler ticks and the database answers.

        ``degraded`` while the database is unreachable (``database`` then says since
        when and why), even when the scheduler's ticks are late meanwhile (they wait
        for the database: the cause is the more useful answer); ``stale`` when the
        scheduler stopped ticking with the database answering.
        """
        age = time.monotonic() - self._last_tick
        ok = (self.scheduler is not None and self.scheduler.running
              and age < self.opts.poll_interval_s * 3 + 1)
        status = "degraded" if not self.db.reachable else "ok" if ok else "stale"
        return {"status": status, "database": self.db.state(),
                "worker": self.engine and self.engine.worker,
                "last_tick_s_ago": round(age, 3), "version": __version__,
                "in_flight": self.engine.in_flight if self.engine else 0}

    def metrics(self) -> dict[str, Any]:
        """The engine's counters and this process's vital signs."""
        engine = self.engine
        data: dict[str, Any] = {"worker": engine.worker if engine else None,
                                "uptime_s": round((now_utc() - self.started_at).total_seconds(),
                                                  1),
                                "in_flight": engine.in_flight if engine else 0,
                                "counters": dict(engine.stats) if engine else {}}
        if self.links is not None:  # the short-link redirect since start
            data["links"] = {"clicks_counted": self.links.counted,
                             "clicks_written": self.links.written,
                             "clicks_pending": self.links.pending(),
                             "requests_ignored": self.links.ignored}
        try:
            with self.hub.transaction() as session:
                data["queue"] = daemon_status.queue_depth(session, now_utc())
        except Exception as exc:
            data["queue_error"] = describe_cause(exc)
        return data


def run_daemon(config: LoadedConfig) -> int:
    """Run the daemon in the foreground; returns the process exit code."""
    return Daemon(config).run()
