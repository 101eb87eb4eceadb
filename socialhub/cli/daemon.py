"""``socialhub daemon``: run the publishing daemon, and ask how it is doing."""

from __future__ import annotations

from typing import Annotated

import typer

from socialhub.cli.common import JsonOption, emit_json, get_config, get_hub, out

app = typer.Typer(help="Run the publishing daemon and check on it.", no_args_is_help=True)


@app.command("run")
def run(
    insecure_behind_proxy: Annotated[bool, typer.Option(
        "--insecure-behind-proxy", help="Serve the REST API off loopback without TLS: a TLS "
        "proxy on this host fronts the daemon.")] = False,
) -> None:
    """Run the daemon in the foreground (for systemd, or a terminal).

    It publishes due posts within a second of their time, refreshes tokens,
    collects metrics and serves /healthz, /metrics, the search API and the REST
    API (/api/v1, docs/api.md) on daemon.http_host:daemon.http_port. SIGTERM
    finishes in-flight sends and exits 0.

    Example: SOCIALHUB_DAEMON_HTTP_PORT=0 socialhub daemon run
    """
    # The CLI launches the daemon lazily, as it does the TUI: nothing else imports it.
    from socialhub.daemon.runner import run_daemon

    config = get_config()
    if insecure_behind_proxy:
        settings = config.settings
        api = settings.api.model_copy(update={"insecure_behind_proxy": True})
        config = config.model_copy(update={"settings": settings.model_copy(
            update={"api": api})})
    code = run_daemon(config)
    raise typer.Exit(code)


@app.command("status")
def status(json_: JsonOption = False) -> None:
    """Show heartbeat, last job runs, the queue and failing accounts."""
    from socialhub.errors import DatabaseError
    from socialhub.services.ops.daemon_status import status_report

    try:
        hub = get_hub()
        with hub.transaction() as session:
            report = status_report(session, hub.config)
    except DatabaseError as exc:
        _report_unreachable(exc, json_)
        raise
    if json_:
        emit_json(report)
        return
    from socialhub.cli.fit_table import Column, fitted_table

    console = out()
    console.print(f"scheduler: {report['scheduler']}")
    console.print(f"database: {report['database']}")
    for d in report["daemons"]:
        seen = f"{d['last_seen']:%Y-%m-%d %H:%M:%S}" if d["last_seen"] else "never"
        http = f", HTTP {d['http']}" if d.get("http") else ""
        console.print(f"  daemon {d['worker']}: {d['status']}, last seen {seen} UTC{http}")
    # Job names, statuses and times stay whole; a long error wraps under its job.
    columns = [Column("job", "left"), Column("last status", "left"),
               Column("last finished (UTC)", "left", wrap=True),
               Column("error", "left", shrink=16, wrap=True)]
    rows = [[job["name"], job.get("last_status") or "never_run",
             f"{job['last_finished_at']:%Y-%m-%d %H:%M:%S}" if job.get("last_finished_at")
             else "-", job.get("last_error") or ""] for job in report["jobs"]]
    console.print(fitted_table(None, None, columns, rows, console.width, shows_all=("--json",)))
    q = report["queue"]
    by = ", ".join(f"{k} {v}" for k, v in sorted(q["by_status"].items())) or "empty"
    console.print(f"queue: {q['depth']} pending ({by}); {q['due_now']} due now")
    if q["oldest_overdue"]:
        o = q["oldest_overdue"]
        console.print(f"oldest overdue: delivery {o['delivery_id']} ({o['post']}), "
                      f"{o['status']}, {o['overdue_s']} s late")
    for a in report["accounts_needing_reauth"]:
        console.print(f"account {a['account']} is {a['status']}: {a['reason'] or '?'}")
    lag = report["metrics_ingest_lag"]
    if lag["count"]:
        console.print(f"metrics ingest lag (published → first capture, last "
                      f"{lag['window_days']} days): p50 {lag['p50_s']} s, p95 {lag['p95_s']} s, "
                      f"max {lag['max_s']} s over {lag['count']} posts; "
                      f"{lag['waiting']} waiting")
    else:
        console.print(f"metrics ingest lag: — (no post captured in the last "
                      f"{lag['window_days']} days; {lag['waiting']} waiting)")


def _report_unreachable(exc: Exception, json_: bool) -> None:
    """Say what can be known without the database: the daemon's own health answer."""
    from socialhub.services.ops.daemon_status import probe_daemon_health
    from socialhub.services.ops.db_watch import describe_cause

    daemon = probe_daemon_health(get_config())
    if json_:
        emit_json({"database": f"unreachable: {describe_cause(exc)}", "daemon": daemon})
        return
    console = out()
    console.print(f"database: unreachable ({describe_cause(exc)})", markup=False)
    if daemon is None:
        console.print("daemon: not answering on daemon.http_host:daemon.http_port")
    else:
        where = daemon["url"].removeprefix("http://")
        console.print(f"daemon on {where}: {daemon.get('status')}; database "
                      f"{daemon.get('database', 'not reported')}", markup=False)
