"""``socialhub calendar``: agenda, week and month views in the terminal."""

from __future__ import annotations

import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from socialhub.cli.common import JsonOption, emit_json, get_config, get_hub, info, out
from socialhub.errors import ValidationError

app = typer.Typer(help="The posting calendar: agenda, week, month; export it as .ics.",
                  no_args_is_help=False,
                  invoke_without_command=True)

STATUS_STYLE = {"draft": "dim", "scheduled": "cyan", "published": "green", "dead": "red",
                "failed": "red", "unconfirmed": "yellow", "retry_scheduled": "yellow",
                "publishing": "magenta", "claimed": "magenta", "free": "dim"}


@app.callback(invoke_without_command=True)
def calendar(
    typer_ctx: typer.Context,
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
    if typer_ctx.invoked_subcommand is not None:
        return

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
    from rich.cells import cell_len
    from rich.text import Text

    console = out()
    console.print(Text.assemble((f"{start} → {end - timedelta(days=1)}", "bold"),
                                f"  ({zone})"))
    if not entries:
        info("nothing scheduled in this range")
        return
    current = None
    for e in entries:
        if e["date"] != current:
            current = e["date"]
            mark = ("  ", (" today ", "reverse")) if current == today else ()
            console.print(Text.assemble("\n", (f"{current:%a %d %b %Y}", "bold"), *mark))
        style = STATUS_STYLE.get(e["status"], "")
        if e["kind"] == "slot":
            console.print(Text.assemble(f"  {e['time']}  ",
                                        (f"{e['account']}  — free slot —", "dim")))
            continue
        thread = f" (thread ×{e['thread_parts']})" if e["thread_parts"] > 1 else ""
        line = Text.assemble(f"  {e['time']}  {e['account']}  ", (e["status"], style),
                             f"  {e['post']}: ")
        # The time, account, status and name stay whole; the text takes what is left of
        # the line (at most 50 cells, at least 10: a line may then run longer).
        text = Text(" ".join(e["text"].split()))
        text.truncate(min(TEXT_CELLS, max(10, console.width - line.cell_len - cell_len(thread))),
                      overflow="ellipsis")
        console.print(line.append_text(text).append(thread), soft_wrap=True)


#: The most cells of a post's text an agenda line shows.
TEXT_CELLS = 50


def _grid(entries: list[dict[str, Any]], start: date, end: date, today: date, zone: str,
          view: str) -> None:
    from rich.table import Table
    from rich.text import Text

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
        row: list[str | Text] = []
        for _ in range(7):
            if day < start or day >= end:
                row.append("")
            else:
                cell = Text(f"{day.day:>2}", style="reverse" if day == today else "bold")
                items = by_day.get(day, [])
                for e in items[:limit]:
                    label = "free" if e["kind"] == "slot" else e["post"]
                    cell.append(f"\n{e['time']} {e['platform'][:2]} {label}",
                                style=STATUS_STYLE.get(e["status"], ""))
                if len(items) > limit:
                    cell.append(f"\n+{len(items) - limit} more", style="dim")
                row.append(cell)
            day += timedelta(days=1)
        table.add_row(*row)
    out().print(table)


@app.command("export")
def export(
    ics: Annotated[Path, typer.Option("--ics", metavar="FILE",
                                      help="Write an iCalendar file here; - for stdout.")],
    start: Annotated[str | None, typer.Option("--from", help="First day: YYYY-MM-DD, today, "
                                              "-30d…; default 90 days ago.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Day after the last: YYYY-MM-DD, "
                                            "+90d…; default no end.")] = None,
) -> None:
    """Export the plan as an iCalendar (.ics) file: an event per target.

    Each event keeps its UID through edits and its SEQUENCE grows, so importing the
    file again updates the events instead of duplicating them. Times are UTC.

    Example: socialhub calendar export --ics plan.ics --from today
    """
    from socialhub.services.authoring.ical import calendar_ics
    from socialhub.services.clock import display_zone, now_utc
    from socialhub.services.when import load_zone, parse_day

    tz = load_zone(display_zone(get_config().settings))
    today = now_utc().astimezone(tz).date()

    def day(value: str | None, option: str) -> datetime | None:
        if value is None:
            return None
        try:
            return datetime.combine(parse_day(value, today), time(0), tzinfo=tz)
        except ValidationError as exc:
            raise ValidationError(f"{option}: {exc}") from None

    since, until = day(start, "--from"), day(end, "--to")
    if since is not None and until is not None and until <= since:
        raise ValidationError("--to must be after --from")
    with get_hub().context("cli") as ctx:
        data = calendar_ics(ctx, since, until)
    if str(ics) == "-":
        sys.stdout.flush()
        binary = getattr(sys.stdout, "buffer", None)
        if binary is not None:
            binary.write(data)
            binary.flush()
        else:  # a text-only stdout (captured output)
            sys.stdout.write(data.decode())
        return
    from socialhub.cli.output_files import write_output

    write_output(ics, data)
    info(f"wrote {data.count(b'BEGIN:VEVENT')} event(s) to {ics}")
