"""``socialhub links``: first-party short links and the clicks they counted."""

from __future__ import annotations

from typing import Annotated

import typer

from socialhub.cli.common import JsonOption, emit_json, get_hub, info, plain
from socialhub.cli.paging import (
    AllOption,
    CursorOption,
    LimitOption,
    OffsetOption,
    note_more,
    paging,
)

app = typer.Typer(
    help="Short links the daemon serves, and their clicks.\n\n"
    "With `links.shorten: true` and `links.short_base_url` set, every link of a post "
    "goes out as BASE/l/CODE (tagged with the campaign's UTM template behind it); "
    "the daemon redirects and counts one click per person's visit, per day (bots "
    "and link previews are not counted, nothing about the visitor is kept). See "
    "docs/campaigns.md.\n\n"
    "Example: socialhub links list --campaign spring --json",
    no_args_is_help=True)


@app.command("list")
def list_(
    campaign: Annotated[str | None, typer.Option(
        "--campaign", help="Only the links of this campaign's posts.")] = None,
    post: Annotated[str | None, typer.Option(
        "--post", help="Only the links of this post (its name).")] = None,
    limit: LimitOption = None,
    cursor: CursorOption = None,
    offset: OffsetOption = 0,
    all_: AllOption = False,
    json_: JsonOption = False,
) -> None:
    """List short links, newest first, with their clicks.

    Each line: the short URL (open it, or share it), its clicks, the network, the post
    and the link as written; `links show CODE` has the clicks per day.
    Shows 50 at a time unless --limit N or --all (--json pages the same way); the
    next page with --cursor C (the note on stderr gives it).

    Example: socialhub links list --post spring-launch
    """
    from socialhub.services.links.reports import count_links, links_page
    from socialhub.services.paging import LINKS, with_total

    win = paging(limit, offset, all_, cursor, LINKS)
    with get_hub().context("cli") as ctx:
        page = with_total(links_page(ctx, win, campaign=campaign, post=post),
                          count_links(ctx, campaign=campaign, post=post))
    rows = page.items
    if json_:
        emit_json(rows)
        note_more(page, "links")
        return
    if not rows and not page.total:
        info("no short links yet (they are made when a post with links is sent "
             "and links.shorten is on)")
    elif not rows:
        info("no links on this page")
    for r in rows:
        clicks = f"{r['clicks']:>6} {'click ' if r['clicks'] == 1 else 'clicks'}"
        plain(f"{r['short_url']}  {clicks}  {r['platform']:<10} "
              f"{r['post'] or '-'}  → {r['url']}")
    note_more(page, "links")


@app.command("show")
def show(
    code: Annotated[str, typer.Argument(help="The short link's code (the part after /l/).")],
    json_: JsonOption = False,
) -> None:
    """Show a short link: its target, clicks per day and per network.

    Example: socialhub links show Ab3dE9xZ --json
    """
    from socialhub.services.links.reports import show_link

    with get_hub().context("cli") as ctx:
        data = show_link(ctx, code)
    if json_:
        emit_json(data)
        return
    plain(f"{data['code']}  {data['short_url'] or ''}")
    plain(f"  target:   {data['target']}")
    plain(f"  post:     {data['post'] or '-'} ({data['platform']}, "
          f"{data['account'] or '-'}); campaign {data['campaign'] or '-'}")
    plain(f"  clicks:   {data['clicks']}")
    for platform, n in data["by_platform"].items():
        plain(f"    {platform:<12} {n}")
    for day in data["by_day"]:
        plain(f"    {day['day']}  {day['clicks']}")
