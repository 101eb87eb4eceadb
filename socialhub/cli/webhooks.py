"""``socialhub webhooks``: the configured endpoints, a signed test, the delivery log."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from socialhub.cli.common import JsonOption, emit_json, get_hub, info, out
from socialhub.cli.paging import (
    AllOption,
    CursorOption,
    LimitOption,
    OffsetOption,
    note_more,
    paging,
)

app = typer.Typer(
    help="Webhook endpoints, a signed test, the delivery log.\n\n"
    "Endpoints are configured in daemon.webhooks (url, name, events, secret); each gets "
    "every bus event it lists (post.approved, inbox.*, *), signed the Standard Webhooks "
    "way, retried with backoff by the daemon. See docs/webhooks.md.\n\n"
    "Example: socialhub webhooks log --status failed",
    no_args_is_help=True)


def _when(value: Any) -> str:
    return "-" if value is None else str(value)[:19].replace("T", " ")


def _line(d: dict[str, Any]) -> str:
    http = d["last_http_status"] if d["last_http_status"] is not None else "-"
    took = f"{d['duration_ms']} ms" if d["duration_ms"] is not None else "-"
    nxt = f", next {_when(d['next_attempt_at'])}" if d["next_attempt_at"] else ""
    err = f" — {d['last_error']}" if d["last_error"] and d["status"] != "delivered" else ""
    return (f"#{d['id']} {_when(d['created_at'])} {d['endpoint']} {d['event']}: "
            f"{d['status']} (attempts {d['attempts']}, HTTP {http}, {took}{nxt}){err}")


@app.command("list")
def list_(json_: JsonOption = False) -> None:
    """List the endpoints, their events and their last delivery.

    Secrets are never shown; URLs lose their query string.

    Example: socialhub webhooks list --json
    """
    from socialhub.services.webhooks.use_cases import list_webhooks

    with get_hub().context("cli") as ctx:
        rows = list_webhooks(ctx)
    if json_:
        emit_json(rows)
        return
    if not rows:
        info("no webhook endpoints (daemon.webhooks in the config; see docs/webhooks.md)")
    from rich.text import Text

    for r in rows:
        signed = "signed" if r["signed"] else "unsigned"
        out().print(Text.assemble((r["name"], "bold"),
                                  f" {r['url']} ({signed}): {', '.join(r['events'])}"))
        last = r["last_delivery"]
        out().print("  last: " + (_line(last) if last else "nothing sent yet"),
                    highlight=False)


@app.command("test")
def test(
    name: Annotated[str, typer.Argument(help="The endpoint (see webhooks list).")],
    json_: JsonOption = False,
) -> None:
    """Send a signed webhook.test event to NAME now and show the answer.

    Exits 1 when the endpoint did not answer 2xx (the delivery stays in the log and
    the daemon retries it).

    Example: socialhub webhooks test ops-hook
    """
    from socialhub.services.webhooks.use_cases import deliver_webhooks, queue_test_webhook

    hub = get_hub()
    with hub.context("cli") as ctx:
        row_id = queue_test_webhook(ctx, name)
    sent = deliver_webhooks(lambda: hub.context("cli"), ids=[row_id])
    result = sent[0] if sent else None
    if json_:
        emit_json(result)
    elif result is not None:
        out().print(_line(result), highlight=False)
        if result["response"]:
            out().print(f"  answer: {result['response'][:200]}", highlight=False)
    if result is None or result["status"] != "delivered":
        raise typer.Exit(1)


@app.command("log")
def log(
    endpoint: Annotated[str | None, typer.Option("--endpoint", "-e",
                                                 help="Only this endpoint.")] = None,
    status: Annotated[str | None, typer.Option(
        "--status", "-s",
        help="Only pending, sending, failed (will be retried), delivered or dead.")] = None,
    limit: LimitOption = None,
    cursor: CursorOption = None,
    offset: OffsetOption = 0,
    all_: AllOption = False,
    json_: JsonOption = False,
) -> None:
    """Show the delivery log, newest first.

    Shows 50 at a time unless --limit N or --all (--json pages the same way); the
    next page with --cursor C (the note on stderr gives it).

    Each delivery's status, attempts, last HTTP status and error, next attempt and
    how long the last send took.

    Example: socialhub webhooks log --endpoint ops-hook --status failed --json
    """
    from socialhub.services.paging import WEBHOOK_LOG, with_total
    from socialhub.services.webhooks.use_cases import count_webhook_log, webhook_log_page

    win = paging(limit, offset, all_, cursor, WEBHOOK_LOG)
    with get_hub().context("cli") as ctx:
        page = with_total(webhook_log_page(ctx, win, endpoint_name=endpoint, status=status),
                          count_webhook_log(ctx, endpoint_name=endpoint, status=status))
    rows = page.items
    if json_:
        emit_json(rows)
        note_more(page, "deliveries")
        return
    if not rows:
        info("no webhook deliveries yet" if not page.total else "no deliveries on this page")
    for r in rows:
        out().print(_line(r), highlight=False)
    note_more(page, "deliveries")
