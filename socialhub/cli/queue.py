"""``socialhub queue``: what is waiting to go out, what failed and why, and fixing it."""

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

app = typer.Typer(help="List, inspect, retry and cancel deliveries.", no_args_is_help=True)


def _when(value: Any) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}" if value else "-"


@app.command("list")
def list_(
    status: Annotated[list[str] | None, typer.Option(
        "--status", "-s", help="Only these statuses (repeatable; 'all' for every one). "
        "Default: everything not published or canceled.")] = None,
    limit: LimitOption = None,
    cursor: CursorOption = None,
    offset: OffsetOption = 0,
    all_: AllOption = False,
    json_: JsonOption = False,
) -> None:
    """List deliveries, soonest first, with the reason for every failure.

    Shows 50 at a time unless --limit N or --all (--json pages the same way); the
    next page with --cursor C (the note on stderr gives it).

    Example: socialhub queue list --status dead --status unconfirmed
    """
    from socialhub.services.paging import QUEUE, with_total
    from socialhub.services.publishing.queue import count_queue, queue_page

    win = paging(limit, offset, all_, cursor, QUEUE)
    hub = get_hub()
    with hub.context("cli") as ctx:
        page = with_total(queue_page(ctx, win, statuses=status),
                          count_queue(ctx, statuses=status))
    rows = page.items
    if json_:
        emit_json(rows)
        note_more(page, "deliveries")
        return
    if not rows:
        info("the queue is empty" if not page.total else "no deliveries on this page")
        note_more(page, "deliveries")
        return
    from socialhub.cli.fit_table import Column, print_list

    # On a narrow terminal the reason wraps, then tries, the reason and the post are
    # left out (`queue show ID` has them): the id, account, status and time stay whole.
    print_list([Column("id", "left"), Column("post", "left", drop=1),
                Column("account", "left"), Column("status", "left"),
                Column("next attempt (UTC)", "left", wrap=True),
                Column("tries", "left", drop=3),
                Column("reason / URL", "left", shrink=12, wrap=True, drop=2)],
               [[str(r["id"]), r["post"], r["account"], r["status"],
                 _when(r["next_attempt_at"]), str(r["attempts"]),
                 r["waiting_for"] or r["last_error"] or r["remote_url"] or ""]
                for r in rows])
    note_more(page, "deliveries")


@app.command("show")
def show(delivery_id: Annotated[int, typer.Argument(help="Delivery id (from `queue list`).")],
         json_: JsonOption = False) -> None:
    """Show one delivery: status, parts published, and every attempt."""
    from socialhub.services.publishing.queue import show_delivery

    hub = get_hub()
    with hub.context("cli") as ctx:
        data = show_delivery(ctx, delivery_id)
    if json_:
        emit_json(data)
        return
    console = out()
    for key in ("id", "post", "account", "status", "due_at", "next_attempt_at", "attempts",
                "remote_url", "last_error", "waiting_for"):
        value = data[key]
        if value not in (None, ""):
            console.print(f"{key}: {_when(value) if key.endswith('_at') else value}")
    console.print(f"parts published: {data['parts_published']}/{data['parts']}")
    for a in data["attempt_log"]:
        extra = f" HTTP {a['http_status']}" if a["http_status"] else ""
        console.print(f"  attempt {a['id']} {_when(a['started_at'])} {a['outcome']}{extra}"
                      + (f": {a['error_message']}" if a["error_message"] else ""))


@app.command("retry")
def retry(delivery_id: Annotated[int, typer.Argument(help="Delivery id (from `queue list`).")],
          json_: JsonOption = False) -> None:
    """Put a dead or waiting delivery back in line now, retries reset."""
    from socialhub.services.clock import now_utc
    from socialhub.services.publishing.queue import retry_delivery

    hub = get_hub()
    with hub.context("cli") as ctx:
        row = retry_delivery(ctx, delivery_id, now=now_utc())
    if json_:
        emit_json(row)
        return
    info(f"delivery {delivery_id} will be tried again now")
    if row.get("hint"):
        info(row["hint"])


@app.command("cancel")
def cancel(delivery_id: Annotated[int, typer.Argument(help="Delivery id (from `queue list`).")],
           json_: JsonOption = False) -> None:
    """Cancel one delivery so it never goes out (other targets stay)."""
    from socialhub.services.publishing.queue import cancel_delivery

    hub = get_hub()
    with hub.context("cli") as ctx:
        row = cancel_delivery(ctx, delivery_id)
    if json_:
        emit_json(row)
        return
    info(f"delivery {delivery_id} canceled")
