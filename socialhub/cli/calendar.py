"""``socialhub calendar``: agenda, week and month views in the terminal."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

import typer

from socialhub.cli.common import JsonOption, emit_json, get_hub, info, out

app = typer.Typer(help="Show the posting calendar.", no_args_is_help=False,
                  invoke_without_command=True)

STATUS_STYLE = {"draft": "dim", "scheduled": "cyan", "published": "green", "dead": "red",
                "failed": "red", "unconfirmed": "yellow", "retry_scheduled": "yellow",
                "publishing": "magenta", "claimed": "magenta", "free": "dim"}


@app.callback(invoke_without_command=True)
def calendar(
    view: Annotated[str, typer.Option("--view", "-v", help="agenda, week or month.")] = "agenda",
    start: Annotated[str | None, typer.Option("--from", help="A day in the view: YYYY-MM-DD, "
                                              "today, tomorrow, mon, next fri, +7d; default "
                                              "today.")] = None,
    days: Annotated[int, typer.Option("--days", help="Days in the agenda view.")] = 14,
    account: Annotated[str | None, typer.Option("--account", help="Only this account.")] = None,
    zone: Annotated[str | None, typer.Option("--zone", help="Show times in this zone.")] = None,
    slots: Annotated[bool, typer.Option("--slots/--no-slots", help="Show free slots.")] = True,
    json_: JsonOption = False,
) -> None:
    """Show scheduled posts (and free slots) as an agenda, a week or a month.

    Example: socialhub calendar --view week --from "next monday"
    """

    from socialhub.services.authoring.calendar import calendar_view

    hub = get_hub()
    with hub.context("cli") as ctx:
        data = calendar_view(ctx, view=view, start=start, days=days, account=account,
                             zone=zone, slots=slots)
    today: date = data.pop("today")
    entries, tz_name = data["entries"], data["zone"]
    if json_:
        emit_json(data)
        return
    rng_start, rng_end = data["from"], data["to"]
    if view == "agenda":
        _agenda(entries, rng_start, rng_end, today, tz_name)
    else:
        _grid(entries, rng_start, rng_end, today, tz_name, view)


def _agenda(entries: list[dict[str, Any]], start: date, end: date, today: date,
            zone: str) -> None:
    console = out()
    console.print(f"[bold]{start} → {end - timedelta(days=1)}[/bold]  ({zone})")
    if not entries:
        info("nothing scheduled in this range")
        return
    current = None
    for e in entries:
        if e["date"] != current:
            current = e["date"]
            mark = "  [reverse] today [/reverse]" if current == today else ""
            console.print(f"\n[bold]{current:%a %d %b %Y}[/bold]{mark}")
        style = STATUS_STYLE.get(e["status"], "")
        if e["kind"] == "slot":
            console.print(f"  {e['time']}  [dim]{e['account']}  — free slot —[/dim]")
            continue
        text = e["text"].replace("\n", " ")
        thread = f" (thread ×{e['thread_parts']})" if e["thread_parts"] > 1 else ""
        console.print(f"  {e['time']}  {e['account']}  [{style}]{e['status']}[/{style}]  "
                      f"{e['post']}: {text[:50]}{'…' if len(text) > 50 else ''}{thread}",
                      soft_wrap=True)


def _grid(entries: list[dict[str, Any]], start: date, end: date, today: date, zone: str,
          view: str) -> None:
    from rich.table import Table

    by_day: dict[date, list[dict[str, Any]]] = {}
    for e in entries:
        by_day.setdefault(e["date"], []).append(e)
    title = f"{start:%B %Y}" if view == "month" else f"week of {start:%d %b %Y}"
    table = Table(title=f"{title} ({zone})", show_lines=True, expand=True)
    for name in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"):
        table.add_column(name, ratio=1, overflow="fold")
    first = start - timedelta(days=start.weekday())
    day = first
    limit = 4 if view == "month" else 12
    while day < end:
        row = []
        for _ in range(7):
            if day < start or day >= end:
                row.append("")
            else:
                style = "reverse" if day == today else "bold"
                head = f"[{style}]{day.day:>2}[/{style}]"
                lines = [head]
                items = by_day.get(day, [])
                for e in items[:limit]:
                    style = STATUS_STYLE.get(e["status"], "")
                    label = "free" if e["kind"] == "slot" else e["post"]
                    lines.append(f"[{style}]{e['time']} {e['platform'][:2]} {label}[/{style}]")
                if len(items) > limit:
                    lines.append(f"[dim]+{len(items) - limit} more[/dim]")
                row.append("\n".join(lines))
            day += timedelta(days=1)
        table.add_row(*row)
    out().print(table)
