"""``socialhub posts``: drafts, per-account variants, and their schedule."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from socialhub.cli.common import (
    JsonOption,
    emit_json,
    get_config,
    get_hub,
    info,
    out,
    read_directly,
    warn,
)
from socialhub.cli.paging import (
    AllOption,
    CursorOption,
    LimitOption,
    OffsetOption,
    note_more,
    paging,
)
from socialhub.cli.registry import graft
from socialhub.errors import ValidationError

if TYPE_CHECKING:
    from socialhub.services.when import When

app = typer.Typer(help="Create, edit, schedule and inspect posts.", no_args_is_help=True)

TargetOpt = Annotated[list[str] | None, typer.Option(
    "--target", "-t", help="An account to post to (platform:@handle); repeat for several.")]
TextOpt = Annotated[list[str] | None, typer.Option(
    "--text", help="Text for one target instead of the body: ACCOUNT=TEXT; repeatable.")]
AtOpt = Annotated[str | None, typer.Option(
    "--at", metavar="TIME", help="When: 'YYYY-MM-DD HH:MM [Zone/Name]' or relative: 'tomorrow "
    "09:00', 'next mon 9am', '+2h', 'in 3 days' (zone defaults to config timezone).")]
SplitOpt = Annotated[bool, typer.Option(
    "--split", help="Split over-length text into a thread where the platform has threads.")]


def _read_body(body: str | None) -> str | None:
    if body == "-":
        from socialhub.cli.stdin import read_stdin_text

        return read_stdin_text()
    return body


def _parse_texts(items: list[str] | None) -> dict[str, str]:
    texts: dict[str, str] = {}
    for item in items or []:
        if "=" not in item:
            raise ValidationError(f"--text {item!r} must look like ACCOUNT=TEXT")
        ref, text = item.split("=", 1)
        texts[ref.strip()] = text
    return texts


def _parse_at(at: str | None) -> When | None:
    if at is None:
        return None
    from socialhub.services.clock import display_zone, now_utc
    from socialhub.services.when import parse_when

    return parse_when(at, display_zone(get_config().settings), now=now_utc())


def _report_schedule(data: dict[str, Any], warnings: list[str]) -> None:
    # When each target goes out (local time, zone, how far away), then what blocks it.
    from socialhub.services.clock import now_utc
    from socialhub.services.when import describe_when

    now = now_utc()
    for t in data["targets"]:
        if t["scheduled_at"] is not None:
            zone = t["at"].rsplit(" ", 1)[1]
            info(f"  {t['account']} at {describe_when(t['scheduled_at'], now, zone)}")
    for line in warnings:
        warn(line)


def _render_post(data: dict[str, Any]) -> None:
    from rich.text import Text

    console = out()
    console.print(Text.assemble((data["name"], "bold"), f" (id {data['id']}) — {data['status']}"))
    if data["campaign"]:
        console.print(f"campaign: {data['campaign']}")
    if data["tags"]:
        console.print(f"tags: {', '.join(data['tags'])}")
    console.print(f"body: {data['body']}")
    for t in data["targets"]:
        d = t["delivery"] or {}
        status = d.get("status", "not scheduled")
        console.print(f"  → {t['account']}  {t['at'] or '(no time)'}  [{status}]")
        parts = t["thread"] or [t["text"]]
        for i, part in enumerate(parts, 1):
            prefix = f"{i}/{len(parts)} " if len(parts) > 1 else ""
            console.print(f"      {prefix}{part}")
        if d.get("remote_url"):
            console.print(f"      {d['remote_url']}")
        if d.get("last_error"):
            console.print(Text.assemble("      ", (d["last_error"], "red")))


@app.command("create")
def create(
    body: Annotated[str | None, typer.Option("--body", "-b", help="The post's text ('-' reads "
                                             "stdin).")] = None,
    target: TargetOpt = None,
    text: TextOpt = None,
    at: AtOpt = None,
    next_slot: Annotated[bool, typer.Option("--next-slot", help="Schedule each target in its "
                                            "next free weekly slot.")] = False,
    name: Annotated[str | None, typer.Option("--name", help="A unique name (default: post-ID).")]
    = None,
    campaign: Annotated[str | None, typer.Option(
        "--campaign", metavar="NAME", help="Put the post in this campaign.")] = None,
    voice: Annotated[str | None, typer.Option(
        "--voice", metavar="NAME", help="The voice profile the post is written in.")] = None,
    tag: Annotated[list[str] | None, typer.Option(
        "--tag", metavar="TAG", help="A tag for filtering; repeatable.")] = None,
    paid: Annotated[bool, typer.Option("--paid", help="A paid partnership (needs a "
                                       "disclosure).")] = False,
    split: SplitOpt = False,
    json_: JsonOption = False,
) -> None:
    """Create a post; --at or --next-slot schedules it at once.

    Example: socialhub posts create -b "We ship Monday" -t bluesky:@shop.example.com
    --at "tomorrow 09:00 Europe/Berlin"
    """
    from socialhub.services.authoring.posts import TargetSpec, create_post
    from socialhub.services.authoring.scheduling import (
        policy_warnings,
        post_summary,
        schedule_post,
        unready_targets,
    )
    from socialhub.services.clock import now_utc

    texts = _parse_texts(text)
    refs = list(dict.fromkeys([*(target or []), *texts]))
    if not refs:
        raise ValidationError("a post needs at least one --target platform:@handle")
    when = _parse_at(at)
    hub = get_hub()
    with hub.context("cli") as ctx:
        specs = [TargetSpec(account=r, text=texts.get(r)) for r in refs]
        post = create_post(ctx, body=_read_body(body) or "", targets=specs, name=name,
                           campaign=campaign, voice=voice, tags=tag, paid=paid, split=split)
        warnings = []
        if when is not None or next_slot:
            schedule_post(ctx, post.name, at=when, next_slot=next_slot, now=now_utc())
            warnings = policy_warnings(ctx.session, post)
        data = post_summary(ctx.session, post)
        warnings += unready_targets(post)
    if json_:
        emit_json(data)
    else:
        info(f"created post {data['name']} ({data['status']})")
    _report_schedule(data, warnings)


@app.command("list")
def list_(
    status: Annotated[str | None, typer.Option("--status", help="draft, scheduled, published…")]
    = None,
    campaign: Annotated[str | None, typer.Option(
        "--campaign", help="Only posts of this campaign.")] = None,
    account: Annotated[str | None, typer.Option(
        "--account", help="Only posts to this account (platform:@handle).")] = None,
    limit: LimitOption = None,
    cursor: CursorOption = None,
    offset: OffsetOption = 0,
    all_: AllOption = False,
    json_: JsonOption = False,
) -> None:
    """List posts, soonest first; 50 at a time (--limit, --all).

    The next page with --cursor C (the note on stderr gives it).

    Example: socialhub posts list --status scheduled --limit 20 --cursor C
    """
    from socialhub.services.paging import POSTS, with_total

    win = paging(limit, offset, all_, cursor, POSTS)
    found = None
    if campaign is None and account is None:  # the filters the driver's read knows
        from socialhub.services.authoring.post_list_direct import (
            count_posts_direct,
            post_summaries_page_direct,
        )

        found = read_directly(lambda ctx: with_total(
            post_summaries_page_direct(ctx, win, status=status),
            count_posts_direct(ctx, status=status)))
    if found is not None:
        page = found[0]
    else:
        from socialhub.services.authoring.posts import count_posts
        from socialhub.services.authoring.scheduling import post_summaries_page

        hub = get_hub()
        with hub.context("cli") as ctx:
            page = with_total(post_summaries_page(ctx, win, status=status, campaign=campaign,
                                                  account=account),
                              count_posts(ctx, status=status, campaign=campaign,
                                          account=account))
    rows = page.items
    if json_:
        emit_json(rows)
        note_more(page, "posts")
        return
    if not rows:
        info("no posts match")
        note_more(page, "posts")
        return
    from socialhub.cli.fit_table import Column, print_list

    cells = []
    for r in rows:
        times = sorted({t["at"] for t in r["targets"] if t["at"]})
        first = r["body"] or (r["targets"][0]["text"] if r["targets"] else "")
        cells.append([r["name"], r["status"], times[0] if times else "-",
                      ", ".join(t["account"] for t in r["targets"]),
                      first[:40] + ("…" if len(first) > 40 else "")])
    # On a narrow terminal the text is cut, the targets wrap one handle a line, then
    # the text and the targets are left out: the name, status and time stay whole.
    print_list([Column("name", "left"), Column("status", "left"),
                Column("when", "left", wrap=True),
                Column("targets", "left", wrap=True, drop=1),
                Column("text", "left", shrink=12, drop=2)], cells)
    note_more(page, "posts")


@app.command("show")
def show(ref: Annotated[str, typer.Argument(help="Post name or id.")],
         json_: JsonOption = False) -> None:
    """Show a post: each target's text, time and delivery."""
    from socialhub.services.authoring.scheduling import show_post

    hub = get_hub()
    with hub.context("cli") as ctx:
        data = show_post(ctx, ref)
    if json_:
        emit_json(data)
    else:
        _render_post(data)


@app.command("edit")
def edit(
    ref: Annotated[str, typer.Argument(help="Post name or id.")],
    body: Annotated[str | None, typer.Option("--body", "-b", help="New body ('-' reads stdin); "
                                             "flows into variants without their own text.")]
    = None,
    text: TextOpt = None,
    add_target: Annotated[list[str] | None, typer.Option(
        "--add-target", help="Also post to this account; repeatable.")] = None,
    remove_target: Annotated[list[str] | None, typer.Option(
        "--remove-target", help="Stop posting to this account; repeatable.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Rename the post.")] = None,
    campaign: Annotated[str | None, typer.Option("--campaign", help="'' removes it.")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Replace the tags.")] = None,
    split: SplitOpt = False,
    json_: JsonOption = False,
) -> None:
    """Edit body, target texts, targets, name, campaign or tags."""
    from socialhub.services.authoring.scheduling import post_summary, update_post

    hub = get_hub()
    with hub.context("cli") as ctx:
        post = update_post(ctx, ref, body=_read_body(body), name=name,
                           campaign=campaign, tags=tag, texts=_parse_texts(text),
                           add_targets=add_target, remove_targets=remove_target, split=split)
        data = post_summary(ctx.session, post)
    if json_:
        emit_json(data)
    else:
        info(f"updated post {data['name']}")


#: Owners and admins only; recorded as ``post.approval_bypassed``.
BypassOpt = Annotated[bool, typer.Option(
    "--bypass-approval", help="Owners and admins: go ahead without the approval that "
    "approvals: required asks for (recorded).")]


@app.command("schedule")
def schedule(
    ref: Annotated[str, typer.Argument(help="Post name or id.")],
    at: AtOpt = None,
    next_slot: Annotated[bool, typer.Option("--next-slot", help="Use each target's next free "
                                            "weekly slot.")] = False,
    target: Annotated[list[str] | None, typer.Option(
        "--target", "-t", help="Only these targets (default: all).")] = None,
    bypass_approval: BypassOpt = False,
    json_: JsonOption = False,
) -> None:
    """Schedule a post at a time or in each target's next slot.

    When approvals are required the post must be approved first (`posts submit`).

    Example: socialhub posts schedule spring-launch --at "next monday 09:00 Europe/Berlin"
    """
    from socialhub.services.authoring.scheduling import (
        policy_warnings,
        post_summary,
        schedule_post,
        unready_targets,
    )
    from socialhub.services.clock import now_utc

    if at and next_slot:
        raise ValidationError("give --at or --next-slot, not both")
    when = _parse_at(at)
    hub = get_hub()
    with hub.context("cli") as ctx:
        post = schedule_post(ctx, ref, at=when, next_slot=next_slot,
                             accounts=target, now=now_utc(), bypass_approval=bypass_approval)
        data = post_summary(ctx.session, post)
        warnings = policy_warnings(ctx.session, post) + unready_targets(post)
    if json_:
        emit_json(data)
    else:
        info(f"scheduled {data['name']}")
    _report_schedule(data, warnings)


@app.command("unschedule")
def unschedule(ref: Annotated[str, typer.Argument(help="Post name or id.")]) -> None:
    """Take a post off the calendar; it becomes a draft again."""
    from socialhub.services.authoring.scheduling import unschedule_post

    hub = get_hub()
    with hub.context("cli") as ctx:
        post = unschedule_post(ctx, ref)
        name = post.name
    info(f"unscheduled {name}")


@app.command("cancel")
def cancel(ref: Annotated[str, typer.Argument(help="Post name or id.")]) -> None:
    """Cancel a post: nothing more of it goes out."""
    from socialhub.services.authoring.scheduling import cancel_post

    hub = get_hub()
    with hub.context("cli") as ctx:
        post = cancel_post(ctx, ref)
        name = post.name
    info(f"canceled {name}")


@app.command("remove")
def remove(
    ref: Annotated[str, typer.Argument(help="Post name or id.")],
    force: Annotated[bool, typer.Option("--force", help="Remove even if part of it went out.")]
    = False,
) -> None:
    """Delete a post with its variants and queue entries."""
    from socialhub.services.authoring.posts import remove_post

    hub = get_hub()
    with hub.context("cli") as ctx:
        post = remove_post(ctx, ref, force=force)
        name = post.name
    info(f"removed {name}")


# Commands owned by other modules (AI generation, publish-now) join this noun.
graft(app, ("socialhub.cli.posts_ai", "socialhub.cli.posts_publish", "socialhub.cli.posts_review"))
