"""``socialhub inbox``: comments, mentions, replies, quotes and messages from every account."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from socialhub.cli.common import JsonOption, emit_json, get_config, get_hub, info, out
from socialhub.cli.paging import (
    AllOption,
    CursorOption,
    LimitOption,
    OffsetOption,
    note_more,
    paging,
)

app = typer.Typer(
    help="Read and answer what people send your accounts, in one list.\n\n"
    "`inbox sync` fetches new items now (the daemon does it every inbox.poll_interval_s); "
    "`inbox list` shows them newest first; `inbox show ID` prints the conversation; "
    "`inbox reply ID TEXT` answers through the delivery queue (see `queue list`).\n\n"
    "Example: socialhub inbox list --kind mention --since yesterday",
    no_args_is_help=True)

ItemArg = Annotated[int, typer.Argument(help="The item's id (first column of `inbox list`).",
                                        min=1)]


def _when(value: Any) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else "-"


def _short(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[:width - 1] + "…"


@app.command("sync")
def sync(
    account: Annotated[str | None, typer.Option(
        "--account", "-a", help="Only this account (platform:@handle).")] = None,
    json_: JsonOption = False,
) -> None:
    """Fetch new items now, from every account with an inbox or one.

    Reads each platform from where the last sync stopped; an item already stored is
    never stored twice. A platform error or rate limit is reported per account and
    the next sync picks up from the same place.

    Example: socialhub inbox sync --account bluesky:@shop.example.com
    """
    from socialhub.services.inbox.sync import accounts_to_sync, run_sync

    hub = get_hub()
    with hub.context("cli") as ctx:
        ids = accounts_to_sync(ctx, account)
    reports = run_sync(hub, ids)
    if json_:
        emit_json([r.as_dict() for r in reports])
    elif not reports:
        info("no account has an inbox (see docs/inbox.md for the networks that do)")
    for r in reports if not json_ else []:
        line = f"{r.account}: {r.new} new" + (f" — {r.error}" if r.error else "")
        (out().print if not r.error else info)(line)
    if any(r.error for r in reports) and all(r.error for r in reports):
        raise typer.Exit(1)


@app.command("list")
def list_(
    platform: Annotated[str | None, typer.Option("--platform", "-p",
                                                 help="Only this network.")] = None,
    account: Annotated[str | None, typer.Option("--account", "-a",
                                                help="Only this account.")] = None,
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", "-k", help="comment, mention, reply, quote or message (repeatable).")] = None,
    unread: Annotated[bool, typer.Option("--unread", "-u", help="Only unread items.")] = False,
    assignee: Annotated[str | None, typer.Option(
        "--assignee", help="Only items assigned to this login ('none': unassigned).")] = None,
    sentiment: Annotated[str | None, typer.Option(
        "--sentiment", help="positive, neutral or negative.")] = None,
    flag: Annotated[str | None, typer.Option("--flag", help="spam or abusive.")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", help="Received since a day (yesterday, mon, 2026-12-01) or a time.")] = None,
    archived: Annotated[bool, typer.Option("--archived",
                                           help="Show archived items instead.")] = False,
    limit: LimitOption = None,
    cursor: CursorOption = None,
    offset: OffsetOption = 0,
    all_: AllOption = False,
    json_: JsonOption = False,
) -> None:
    """List inbox items, newest first, across every account.

    Shows 50 at a time unless --limit N or --all (--json pages the same way); the
    next page with --cursor C (the note on stderr gives it).

    Example: socialhub inbox list --kind mention --since yesterday --unread
    """
    from socialhub.services.clock import display_zone, now_utc
    from socialhub.services.inbox.items import inbox_filter, inbox_page, since_instant
    from socialhub.services.paging import INBOX

    win = paging(limit, offset, all_, cursor, INBOX)
    start = (since_instant(since, display_zone(get_config().settings), now_utc())
             if since else None)
    hub = get_hub()
    with hub.context("cli") as ctx:
        f = inbox_filter(ctx, platform=platform, account=account, kinds=kind, unread=unread,
                         assignee=assignee, sentiment=sentiment, flag=flag, since=start,
                         archived=archived)
        page = inbox_page(ctx, f, win)
    rows, total = page.items, page.total
    if json_:
        emit_json(rows)
        note_more(page, "items")
        return
    if not rows:
        info("the inbox is empty" if not total else "no items on this page")
        note_more(page, "items")
        return
    from socialhub.cli.fit_table import Column, print_list

    cells = []
    for r in rows:
        ident = str(r["id"]) + ("•" if not r["read"] else "")
        mood = (r["sentiment"] or "-") + "".join(f" !{f}" for f in r["flags"])
        if r["assignee"]:
            mood += f" →{r['assignee']}"
        cells.append([ident, _when(r["received_at"]), r["account"], r["kind"],
                      "@" + r["author"], _short(r["text"], 40), mood])
    # On a narrow terminal the text is cut first, then our account, the mood, the kind
    # and the text are left out (`inbox show ID` has them): the id, the time and the
    # sender's handle stay whole.
    print_list([Column("id", "left"), Column("received (UTC)", "left"),
                Column("account", "left", drop=4), Column("kind", "left", drop=2),
                Column("from", "left"), Column("text", "left", shrink=10, drop=1),
                Column("mood", "left", drop=3)], cells)
    note_more(page, "items")


@app.command("show")
def show(item: ItemArg, json_: JsonOption = False) -> None:
    """Print an item with its whole conversation and your replies.

    Example: socialhub inbox show 42
    """
    from socialhub.services.inbox.items import show_item

    hub = get_hub()
    with hub.context("cli") as ctx:
        data = show_item(ctx, item)
    if json_:
        emit_json(data)
        return
    it = data["item"]
    console = out()
    console.print(f"#{it['id']} {it['kind']} on {it['account']} from @{it['author']}"
                  + (f" ({it['author_name']})" if it["author_name"] else ""), markup=False)
    details = [f"sentiment {it['sentiment'] or '-'}", f"language {it['language'] or '-'}"]
    if it["flags"]:
        details.append("flags " + ", ".join(it["flags"]))
    if it["assignee"]:
        details.append(f"assigned to {it['assignee']}")
    console.print("  " + " · ".join(details) + (f"\n  {it['url']}" if it["url"] else ""),
                  markup=False)
    for entry in data["conversation"]:
        who = "you" if entry["role"] == "us" else "@" + str(entry["author"])
        status = f" [{entry['status']}]" if entry["role"] == "us" else ""
        here = " ←" if entry["role"] == "them" and entry["id"] == it["id"] else ""
        console.print(f"\n{_when(entry['at'])}  {who}{status}{here}", markup=False)
        console.print("  " + entry["text"].replace("\n", "\n  "), markup=False)


@app.command("reply")
def reply(
    item: ItemArg,
    text: Annotated[str, typer.Argument(help="What to answer ('-' reads standard input).")],
    split: Annotated[bool, typer.Option(
        "--split", help="Send a text over the platform's limit as a thread of replies.")] = False,
    json_: JsonOption = False,
) -> None:
    """Answer an item, threaded under it; the daemon sends it at once.

    The reply is a delivery: it shows in `queue list`, is retried on errors and
    never goes out twice (the same text to the same item is the same delivery).
    A text over the platform's limit is refused with the count, unless --split.
    On Mastodon the author's @handle is added when missing, so they are notified.

    Example: socialhub inbox reply 42 "Thanks! It ships on Monday."
    """
    from socialhub.cli.stdin import read_stdin_text
    from socialhub.services.inbox.reply import reply_to_item

    body = read_stdin_text() if text == "-" else text
    hub = get_hub()
    with hub.context("cli") as ctx:
        data = reply_to_item(ctx, item, body, split=split)
    if json_:
        emit_json(data)
        return
    if not data["created"]:
        info(f"already queued as delivery {data['delivery_id']} ({data['status']}); "
             "nothing new was sent")
        return
    parts = f" in {data['parts']} parts" if data["parts"] and data["parts"] > 1 else ""
    out().print(f"reply queued as delivery {data['delivery_id']} on {data['account']}{parts}; "
                "the daemon sends it now (see `socialhub queue list`)", markup=False)


@app.command("archive")
def archive(
    item: ItemArg,
    undo: Annotated[bool, typer.Option("--undo", help="Bring it back to the inbox.")] = False,
    json_: JsonOption = False,
) -> None:
    """Archive an item (it leaves `inbox list`; `--archived` shows it).

    Example: socialhub inbox archive 42
    """
    from socialhub.services.inbox.items import archive_item

    hub = get_hub()
    with hub.context("cli") as ctx:
        data = archive_item(ctx, item, archived=not undo)
    if json_:
        emit_json(data)
        return
    out().print(f"item {item} {'archived' if data['archived'] else 'back in the inbox'}")


@app.command("assign")
def assign(
    item: ItemArg,
    login: Annotated[str, typer.Argument(help="The member's login; 'none' unassigns.")],
    json_: JsonOption = False,
) -> None:
    """Assign an item to a member (by login), or 'none' to unassign.

    Example: socialhub inbox assign 42 alice
    """
    from socialhub.services.inbox.items import assign_item

    hub = get_hub()
    with hub.context("cli") as ctx:
        data = assign_item(ctx, item, None if login.lower() == "none" else login)
    if json_:
        emit_json(data)
        return
    out().print(f"item {item} assigned to {data['assignee']}" if data["assignee"]
                else f"item {item} unassigned", markup=False)


@app.command("mark")
def mark(
    item: ItemArg,
    state: Annotated[str, typer.Argument(help="read or unread.", metavar="read|unread")],
    json_: JsonOption = False,
) -> None:
    """Mark an item read or unread.

    Example: socialhub inbox mark 42 unread
    """
    from socialhub.errors import ValidationError
    from socialhub.services.inbox.items import mark_item

    if state not in ("read", "unread"):
        raise ValidationError(f"mark takes read or unread, not {state!r}")
    hub = get_hub()
    with hub.context("cli") as ctx:
        data = mark_item(ctx, item, read=state == "read")
    if json_:
        emit_json(data)
        return
    out().print(f"item {item} marked {state}")


@app.command("status")
def status(json_: JsonOption = False) -> None:
    """Each inbox account: last and next sync, failures, last error.

    Example: socialhub inbox status
    """
    from socialhub.services.inbox.items import inbox_status

    hub = get_hub()
    with hub.context("cli") as ctx:
        rows = inbox_status(ctx)
    if json_:
        emit_json(rows)
        return
    if not rows:
        info("no account has an inbox")
        return
    from socialhub.cli.fit_table import Column, print_list

    print_list([Column("account", "left"), Column("reads", "left", drop=2, wrap=True),
                Column("last sync (UTC)", "left", wrap=True),
                Column("next (UTC)", "left", wrap=True), Column("failures", "left"),
                Column("last error", "left", shrink=12, wrap=True, drop=1)],
               [[r["account"], ", ".join(r["kinds"]), _when(r["synced_at"]),
                 _when(r["next_sync_at"]), str(r["failures"]), r["last_error"] or ""]
                for r in rows])
