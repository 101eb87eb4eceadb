"""``socialhub posts publish-now``: send a post immediately (registered by cli/posts.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from socialhub.cli.common import JsonOption, emit_json, get_hub, info, out


def publish_now(
    ref: Annotated[str, typer.Argument(help="Post name or id.")],
    wait: Annotated[bool, typer.Option(
        "--wait/--no-wait", help="Wait for the result (default), or only queue it.")] = True,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the result.")] = 60.0,
    bypass_approval: Annotated[bool, typer.Option(
        "--bypass-approval", help="Owners and admins: go ahead without the approval that "
        "approvals: required asks for (recorded).")] = False,
    json_: JsonOption = False,
) -> None:
    """Publish a post now to every target that has not had it.

    A running daemon sends it; without one, this command sends it itself.

    Example: socialhub posts publish-now spring-launch
    """
    import time

    from socialhub.services.authoring.scheduling import publish_now
    from socialhub.services.clock import now_utc
    from socialhub.services.ops.daemon_status import status_report
    from socialhub.services.publishing.engine import PublishingEngine
    from socialhub.services.publishing.publish_result import unpublished_error
    from socialhub.services.publishing.queue import deliveries_done, list_queue

    hub = get_hub()
    with hub.context("cli") as ctx:
        ids = publish_now(ctx, ref, now=now_utc(),  # wakes running daemons
                          bypass_approval=bypass_approval)
        daemon_running = status_report(ctx.session, hub.config)["scheduler"] == "running"

    def done() -> bool:
        with hub.transaction() as session:
            return deliveries_done(session, ids)

    if wait:
        if daemon_running:
            info("handed to the running daemon; waiting for the result")
            deadline = time.monotonic() + timeout
            while not done() and time.monotonic() < deadline:
                time.sleep(0.2)
        else:
            info("no daemon is running: publishing from here")
            engine = PublishingEngine(hub)
            try:
                engine.run_until(done, timeout_s=timeout)
            finally:
                engine.close()
    with hub.context("cli") as ctx:
        rows = [r for r in list_queue(ctx, statuses=["all"], limit=10_000)
                if r["id"] in ids]
        failure = unpublished_error(ctx.session, ctx.org_id, ref, rows) if wait else None
    if json_:
        emit_json(rows)
    else:
        for r in rows:
            result = r["remote_url"] if r["status"] == "published" else (
                r["waiting_for"] or r["last_error"] or "")
            out().print(f"{r['account']}\t{r['status']}\t{result}")
    if failure is not None:
        raise failure


def register(app: typer.Typer) -> None:
    """Add ``publish-now`` to the ``posts`` command group."""
    app.command("publish-now")(publish_now)
