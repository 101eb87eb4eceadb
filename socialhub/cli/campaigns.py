"""``socialhub campaigns``: named groups of posts with dates and a budget."""

from __future__ import annotations

from typing import Annotated

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

app = typer.Typer(help="Add, list and show campaigns.", no_args_is_help=True)


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="A short name: letters, digits, '.', '_', '-'.")],
    description: Annotated[str | None, typer.Option(
        "--description", "-d", help="What the campaign is for, in a sentence.")] = None,
    status: Annotated[str, typer.Option(
        "--status", help="planned, active, paused, completed or archived.")] = "planned",
    starts: Annotated[str | None, typer.Option("--starts", help="YYYY-MM-DD")] = None,
    ends: Annotated[str | None, typer.Option("--ends", help="YYYY-MM-DD")] = None,
    budget: Annotated[str | None, typer.Option("--budget", help="Amount, e.g. 1500.00")] = None,
    currency: Annotated[str | None, typer.Option("--currency", help="ISO code, e.g. EUR")] = None,
    json_: JsonOption = False,
) -> None:
    """Create a campaign.

    Example: socialhub campaigns add spring --starts 2026-03-01 --ends 2026-04-30 --budget 900
    """
    from socialhub.services.authoring.campaigns import (
        add_campaign,
        campaign_summary,
        parse_budget,
        parse_date,
    )

    hub = get_hub()
    with hub.context("cli") as ctx:
        c = add_campaign(ctx, name, description=description, status=status,
                         starts_on=parse_date(starts, "--starts"),
                         ends_on=parse_date(ends, "--ends"), budget=parse_budget(budget),
                         currency=currency)
        data = campaign_summary(ctx.session, c)
    if json_:
        emit_json(data)
    else:
        info(f"added campaign {name}")


@app.command("list")
def list_(limit: LimitOption = None, cursor: CursorOption = None, offset: OffsetOption = 0,
          all_: AllOption = False, json_: JsonOption = False) -> None:
    """List campaigns with their dates and post counts.

    By start date, those without one last.

    Shows 50 at a time unless --limit N or --all; the next page with --cursor C.
    """
    from socialhub.services.authoring.campaigns import campaigns_page, count_campaigns
    from socialhub.services.paging import CAMPAIGNS, with_total

    win = paging(limit, offset, all_, cursor, CAMPAIGNS)
    hub = get_hub()
    with hub.context("cli") as ctx:
        page = with_total(campaigns_page(ctx, win), count_campaigns(ctx))
    rows = page.items
    if json_:
        emit_json(rows)
        note_more(page, "campaigns")
        return
    if not rows:
        info("no campaigns yet: add one with `socialhub campaigns add NAME`" if not page.total
             else "no campaigns on this page")
        note_more(page, "campaigns")
        return
    from socialhub.cli.fit_table import Column, print_list

    # On a narrow terminal the budget, the post count, then the dates are left out:
    # the name and the status stay whole.
    print_list([Column("name", "left"), Column("status", "left"),
                Column("starts", "left", drop=1), Column("ends", "left", drop=2),
                Column("budget", "left", drop=4), Column("posts", "left", drop=3)],
               [[r["name"], r["status"], str(r["starts_on"] or "-"),
                 str(r["ends_on"] or "-"),
                 f"{r['budget']} {r['currency'] or ''}".strip() if r["budget"] else "-",
                 str(sum(r["posts"].values()))] for r in rows])
    note_more(page, "campaigns")


@app.command("show")
def show(name: Annotated[str, typer.Argument(help="The campaign's name.")],
         json_: JsonOption = False) -> None:
    """Show a campaign and how many of its posts are in each state."""
    from socialhub.services.authoring.campaigns import campaign_summary, get_campaign

    hub = get_hub()
    with hub.context("cli") as ctx:
        data = campaign_summary(ctx.session, get_campaign(ctx, name))
    if json_:
        emit_json(data)
        return
    console = out()
    for key, value in data.items():
        console.print(f"{key:>12}: {value if value not in (None, {}) else '-'}")
