"""The daemon's heartbeat (JobRun rows) and what ``daemon status``, doctor and /healthz report.

Each daemon writes a ``daemon:<worker>`` row every scheduler tick, and each
job writes a row under its own name (``publish``, ``refresh_tokens``,
``collect_metrics``, ``reconcile``, ``digest``) when it runs. Readers decide
"stale" from these timestamps alone, so a hung scheduler is reported even
though its process is still alive.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from socialhub.config import LoadedConfig
from socialhub.db.models import JobRun
from socialhub.db.queries import metrics as metric_queries
from socialhub.db.queries import status as queries
from socialhub.services.clock import now_utc

DAEMON_PREFIX = "daemon:"
JOBS = ("publish", "reconcile", "refresh_tokens", "collect_metrics", "digest")
PENDING = ("scheduled", "retry_scheduled", "claimed", "publishing", "unconfirmed")
#: A delivery overdue by more than this while a daemon runs is "stuck".
STUCK_AFTER = timedelta(minutes=5)


def record_job_run(session: Session, name: str, *, owner: str, started: datetime,
                   finished: datetime | None, status: str, error: str | None = None,
                   details: dict[str, Any] | None = None) -> None:
    """Write (insert or update) the heartbeat row of job ``name``."""
    queries.upsert_job_run(session, {
        "name": name, "owner": owner, "last_started_at": started, "last_finished_at": finished,
        "last_status": status, "last_error": error, "details": details or {}})


def beat(session: Session, worker: str, details: dict[str, Any]) -> None:
    """The daemon's own heartbeat: it is alive and its scheduler ticks."""
    now = now_utc()
    record_job_run(session, DAEMON_PREFIX + worker, owner=worker, started=now, finished=now,
                   status="running", details=details)


def daemon_stopped(session: Session, worker: str) -> None:
    """Mark this daemon's row as stopped (clean shutdown)."""
    row = session.get(JobRun, DAEMON_PREFIX + worker)
    if row is not None:
        row.last_status, row.last_finished_at = "stopped", now_utc()


def forget_old_daemons(session: Session, older_than: timedelta = timedelta(days=1)) -> None:
    """Drop heartbeat rows of daemons silent for longer than ``older_than``."""
    queries.delete_job_runs_finished_before(session, DAEMON_PREFIX, now_utc() - older_than)


def _stale_after(config: LoadedConfig) -> timedelta:
    return timedelta(seconds=max(30.0, config.settings.daemon.poll_interval_s * 6))


def status_report(session: Session, config: LoadedConfig) -> dict[str, Any]:
    """Everything ``socialhub daemon status --json`` shows.

    Keys: ``scheduler`` (running | stale | stopped | never_run), ``database``
    ("ok": this report could read it), ``daemons``,
    ``jobs`` (last run of each), ``queue`` (depth by status, due now, oldest
    overdue), ``accounts_needing_reauth`` and ``metrics_ingest_lag`` (``ingest_lag``).
    """
    now = now_utc()
    stale = _stale_after(config)
    daemons = []
    jobs: dict[str, Any] = {name: None for name in JOBS}
    for row in queries.job_runs(session):
        info: dict[str, Any] = {
                "name": row.name, "owner": row.owner, "last_started_at": row.last_started_at,
                "last_finished_at": row.last_finished_at, "last_status": row.last_status,
                "last_error": row.last_error, "details": dict(row.details or {})}
        if row.name.startswith(DAEMON_PREFIX):
            seen = row.last_finished_at
            alive = row.last_status == "running" and seen is not None and now - seen < stale
            daemons.append({"worker": row.owner, "last_seen": seen, "alive": alive,
                            "status": "running" if alive else (
                                "stale" if row.last_status == "running" else row.last_status),
                            **info["details"]})
        else:
            jobs[row.name] = info
    if any(d["alive"] for d in daemons):
        scheduler = "running"
    elif any(d["status"] == "stale" for d in daemons):
        scheduler = "stale"
    elif daemons:
        scheduler = "stopped"
    else:
        scheduler = "never_run"
    return {"scheduler": scheduler, "database": "ok", "now": now, "daemons": daemons,
            "jobs": [{"name": k, **(v or {"last_status": "never_run"})} for k, v in jobs.items()],
            "queue": queue_depth(session, now),
            "accounts_needing_reauth": accounts_needing_reauth(session),
            "metrics_ingest_lag": ingest_lag(session, now)}


def ingest_lag(session: Session, now: datetime, window: timedelta = timedelta(days=7)
               ) -> dict[str, Any]:
    """Metrics ingest lag (published → first capture) over posts published in the last
    ``window``: ``count`` measured, ``p50_s``/``p95_s``/``max_s`` (None when nothing
    was measured) and ``waiting`` (published, not captured yet)."""
    lags = sorted(metric_queries.ingest_lags(session, now - window))
    waiting = metric_queries.uncaptured_since(session, now - window)

    def pct(q: float) -> float | None:
        return round(lags[min(len(lags) - 1, int(q * len(lags)))], 1) if lags else None

    return {"window_days": window.days, "count": len(lags), "p50_s": pct(0.5),
            "p95_s": pct(0.95), "max_s": round(lags[-1], 1) if lags else None,
            "waiting": waiting}


def queue_depth(session: Session, now: datetime) -> dict[str, Any]:
    """Pending deliveries by status, how many are due now, and the oldest overdue one."""
    by_status = queries.count_by_status(session, PENDING)
    oldest = queries.oldest_due(session, PENDING, now)
    due_now = queries.count_due_in(session, PENDING, now)
    return {"depth": sum(by_status.values()), "by_status": by_status, "due_now": int(due_now),
            "oldest_overdue": None if oldest is None else {
                "delivery_id": oldest.id, "post": oldest.name, "status": oldest.status,
                "due_at": oldest.due_at,
                "overdue_s": round((now - oldest.due_at).total_seconds(), 1)}}


def accounts_needing_reauth(session: Session) -> list[dict[str, Any]]:
    """Accounts whose deliveries wait for a person to reconnect them."""
    return [{"account": a.ref, "status": a.status, "reason": a.status_reason}
            for a in queries.inactive_accounts(session)]


def doctor_checks(session: Session, config: LoadedConfig) -> list[dict[str, Any]]:
    """Daemon checks for ``socialhub doctor``: scheduler, failing accounts, stuck deliveries.

    Each is ``{"check", "status": ok|warn|fail, "detail"}``.
    """
    report = status_report(session, config)
    checks: list[dict[str, Any]] = []
    sched = report["scheduler"]
    queue = report["queue"]
    if sched == "running":
        alive = [d for d in report["daemons"] if d["alive"]]
        checks.append({"check": "scheduler", "status": "ok",
                       "detail": f"{len(alive)} daemon(s) running"})
    elif sched == "stale":
        checks.append({"check": "scheduler", "status": "fail",
                       "detail": "the daemon's heartbeat stopped: it is hung or was killed "
                                 "(check `systemctl status socialhub` or restart "
                                 "`socialhub daemon run`)"})
    else:
        level = "warn" if queue["depth"] else "ok"
        checks.append({"check": "scheduler", "status": level,
                       "detail": "no daemon is running" + (
                           f"; {queue['depth']} deliveries wait for one "
                           "(start `socialhub daemon run`)" if queue["depth"] else "")})
    bad = report["accounts_needing_reauth"]
    checks.append({"check": "failing accounts", "status": "warn" if bad else "ok",
                   "detail": "; ".join(f"{a['account']} {a['status']}: {a['reason'] or '?'}"
                                       for a in bad) or "none"})
    oldest = queue["oldest_overdue"]
    if oldest and oldest["overdue_s"] > STUCK_AFTER.total_seconds():
        checks.append({"check": "stuck deliveries", "status": "fail" if sched == "running"
                       else "warn",
                       "detail": f"delivery {oldest['delivery_id']} ({oldest['post']}) is "
                                 f"{oldest['status']} and {int(oldest['overdue_s'])} s overdue; "
                                 "see `socialhub queue list`"})
    else:
        checks.append({"check": "stuck deliveries", "status": "ok", "detail": "none"})
    return checks


def probe_daemon_health(config: LoadedConfig, *, timeout_s: float = 2.0
                        ) -> dict[str, Any] | None:
    """The daemon's own ``/healthz`` answer, for when the database cannot tell.

    Asks ``daemon.http_host:daemon.http_port`` (loopback when the daemon binds
    every address), with ``daemon.http_token`` when one is set. Returns None
    when nothing answers there (no daemon, or port 0 in the configuration),
    else the JSON it returned plus ``url``.
    """
    import httpx

    from socialhub.security.tls import verify_context
    from socialhub.services.ops.http_access import resolve_token

    opts = config.settings.daemon
    if opts.http_port == 0:
        return None
    host = opts.http_host
    if host in ("0.0.0.0", "::", "[::]", ""):
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    url = f"http://{host}:{opts.http_port}"
    try:
        token = resolve_token(config, opts.http_token, key="daemon.http_token")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.get(f"{url}/healthz", headers=headers, timeout=timeout_s,
                             verify=verify_context())
        data = response.json()
    except Exception:  # no daemon there, or not one of ours: nothing to report
        return None
    return {**data, "url": url} if isinstance(data, dict) else None
