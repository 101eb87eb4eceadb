"""``socialhub slots``: weekly posting slots per account."""

from __future__ import annotations

from typing import Annotated

import typer

from socialhub.cli.common import JsonOption, emit_json, get_config, get_hub, info, out

app = typer.Typer(help="Weekly posting slots, filled by `posts schedule --next-slot`.",
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
    from socialhub.cli.fit_table import Column, print_list

    # On a narrow terminal the zone is left out before any id or handle is cut.
    print_list([Column("id", "left"), Column("account", "left"), Column("day", "left"),
                Column("time", "left"), Column("zone", "left", drop=1)],
               [[str(r["id"]), r["account"], r["weekday"], r["time"], r["timezone"]]
                for r in rows])


@app.command("remove")
def remove(slot_id: Annotated[int, typer.Argument(help="Slot id (see `slots list`).")]) -> None:
    """Remove a slot."""
    from socialhub.services.authoring.slots import remove_slot

    hub = get_hub()
    with hub.context("cli") as ctx:
        remove_slot(ctx, slot_id)
    info(f"removed slot {slot_id}")


@app.command("suggest")
def suggest(
    account: Annotated[str, typer.Argument(help="platform:@handle")],
    count: Annotated[int, typer.Option("--count", help="How many slots (1-7, one per "
                                       "weekday).")] = 3,
    zone: Annotated[str | None, typer.Option("--zone", help="IANA zone (default: config "
                                             "timezone).")] = None,
    since: Annotated[str | None, typer.Option("--since", help="First day of history to "
                                              "learn from (default: 26w).")] = None,
    min_posts: Annotated[int, typer.Option("--min-posts", help="Posts an hour needs to "
                                           "count.")] = 3,
    apply: Annotated[bool, typer.Option("--apply", help="Add the suggested slots the "
                                        "account does not have yet.")] = False,
    json_: JsonOption = False,
) -> None:
    """Suggest slots at the account's best hours.

    Learned from its own published and imported posts.

    Reads `socialhub analytics best-times`; --apply adds them.

    Example: socialhub slots suggest bluesky:@shop.example.com --count 3 --apply
    """
    from socialhub.services.analytics.best_times import suggest_slots

    hub = get_hub()
    with hub.context("cli") as ctx:
        data = suggest_slots(ctx, account, count=count, zone=zone, since=since,
                             min_posts=min_posts, apply=apply)
    if json_:
        emit_json(data)
        return
    rows = data["suggestions"]
    if not rows:
        info(f"not enough history for {account}: each hour needs {data['min_posts']} "
             "published posts (import past posts with `socialhub analytics import`)")
        return
    from rich.table import Table

    table = Table("day", "time", "zone", "posts", "mean interactions", "slot",
                  title=f"Suggested slots for {account}")
    for r in rows:
        state = "added" if r["added"] else "exists" if r["exists"] else "suggested"
        table.add_row(r["day"], r["time"], data["zone"], str(r["posts"]),
                      f"{r['mean_interactions']:,.1f}", state)
    out().print(table)
    if not apply and any(not r["exists"] for r in rows):
        info("add them with --apply")
