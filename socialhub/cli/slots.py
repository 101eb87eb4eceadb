"""``socialhub slots``: weekly posting slots per account."""

from __future__ import annotations

from typing import Annotated

import typer

from socialhub.cli.common import JsonOption, emit_json, get_config, get_hub, info, out

app = typer.Typer(help="Weekly posting slots; `posts schedule --next-slot` fills them.",
                  no_args_is_help=True)


@app.command("add")
def add(
    account: Annotated[str, typer.Argument(help="platform:@handle")],
    day: Annotated[list[str], typer.Option("--day", "-d", help="mon…sun; repeatable.")],
    time: Annotated[list[str], typer.Option("--time", help="HH:MM (24-hour); repeatable.")],
    zone: Annotated[str | None, typer.Option("--zone", help="IANA zone (default: config "
                                             "timezone).")] = None,
    json_: JsonOption = False,
) -> None:
    """Add a slot for every --day × --time pair.

    Example: socialhub slots add bluesky:@shop.example.com -d mon -d wed --time 09:00
    """
    from socialhub.services.authoring.slots import add_slot, slot_summary
    from socialhub.services.clock import display_zone

    tz = zone or display_zone(get_config().settings)
    hub = get_hub()
    with hub.context("cli") as ctx:
        rows = [slot_summary(add_slot(ctx, account, weekday=d, time=t, zone=tz))
                for d in day for t in time]
    if json_:
        emit_json(rows)
    else:
        for r in rows:
            info(f"added slot {r['id']}: {r['account']} {r['weekday']} {r['time']} "
                 f"{r['timezone']}")


@app.command("list")
def list_(
    account: Annotated[str | None, typer.Option("--account", help="Only this account.")] = None,
    json_: JsonOption = False,
) -> None:
    """List weekly slots."""
    from socialhub.services.authoring.slots import list_slots, slot_summary

    hub = get_hub()
    with hub.context("cli") as ctx:
        rows = [slot_summary(x) for x in list_slots(ctx, account)]
    if json_:
        emit_json(rows)
        return
    if not rows:
        info("no slots yet: add some with `socialhub slots add ACCOUNT --day mon --time 09:00`")
        return
    from rich.table import Table

    table = Table("id", "account", "day", "time", "zone")
    for r in rows:
        table.add_row(str(r["id"]), r["account"], r["weekday"], r["time"], r["timezone"])
    out().print(table)


@app.command("remove")
def remove(slot_id: Annotated[int, typer.Argument(help="Slot id (see `slots list`).")]) -> None:
    """Remove a slot."""
    from socialhub.services.authoring.slots import remove_slot

    hub = get_hub()
    with hub.context("cli") as ctx:
        remove_slot(ctx, slot_id)
    info(f"removed slot {slot_id}")
