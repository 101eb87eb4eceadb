"""``socialhub evergreen``: posts that go back into the queue after a cooldown."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from socialhub.cli.common import JsonOption, emit_json, get_config, get_hub, info, plain

app = typer.Typer(
    help="Evergreen posts: back into their accounts' slots after a cooldown.\n\n"
    "An evergreen post goes out again COOLDOWN days after its last time out, into the "
    "next slot of each account that no other post uses that week, until it has gone "
    "--times more times or --until has passed. The daemon requeues them; "
    "`evergreen run` does it now.\n\n"
    "Example: socialhub evergreen add spring-faq --cooldown 14 --times 6",
    short_help="Evergreen: requeue a post after a cooldown, to an end.",
    no_args_is_help=True)

PostArg = Annotated[str, typer.Argument(help="The post's name or id.")]
UNTIL_HELP = ("Never after this: a day (2027-06-30, through its end) or a time "
              "('2027-06-30 18:00 Europe/Berlin').")

#: The evergreen settings, shared by `evergreen add` and `experiments promote`.
CooldownOption = Annotated[int, typer.Option("--cooldown", min=1, metavar="DAYS",
                                             help="Days before it may go out again.")]
TimesOption = Annotated[int | None, typer.Option("--times", min=1,
                                                 help="At most this many more times.")]
UntilOption = Annotated[str | None, typer.Option("--until", metavar="DAY|TIME",
                                                 help=UNTIL_HELP)]


def parse_until(text: str | None) -> datetime | None:
    """``--until``: a bare day means through the end of that day (display zone)."""
    from socialhub.services.authoring.evergreen import parse_until as until_instant
    from socialhub.services.clock import display_zone, now_utc

    return until_instant(text, display_zone(get_config().settings), now_utc())


@app.command("add")
def add(
    post: PostArg,
    cooldown: CooldownOption = 7,
    times: TimesOption = None,
    until: UntilOption = None,
    json_: JsonOption = False,
) -> None:
    """Put a post into the evergreen queue, or change its settings.

    Example: socialhub evergreen add spring-faq --cooldown 14 --until 2027-06-30
    """
    from socialhub.services.authoring.evergreen import add_evergreen, evergreen_summary

    end = parse_until(until)
    with get_hub().context("cli") as ctx:
        entry = add_evergreen(ctx, post, cooldown_days=cooldown, times=times, until=end)
        data = evergreen_summary(entry, ctx.now())
    if json_:
        emit_json(data)
        return
    info(f"{data['post']} is evergreen: every {cooldown} day(s) at the earliest")


@app.command("list")
def list_(json_: JsonOption = False) -> None:
    """List the evergreen queue: cooldown, times, end, when next.

    Example: socialhub evergreen list --json
    """
    from socialhub.services.authoring.evergreen import list_evergreen

    with get_hub().context("cli") as ctx:
        rows = list_evergreen(ctx)
    if json_:
        emit_json(rows)
        return
    if not rows:
        info("the evergreen queue is empty (add a post with `socialhub evergreen add`)")
    for r in rows:
        end = [f"{r['occurrences']}/{r['max_occurrences']} times" if r["max_occurrences"]
               else f"{r['occurrences']} times"]
        if r["ends_at"]:
            end.append(f"until {r['ends_at']:%Y-%m-%d %H:%M} UTC")
        nxt = f", next from {r['next_at']:%Y-%m-%d %H:%M} UTC" if r["next_at"] else ""
        plain(f"{r['post']}: every {r['cooldown_days']} day(s), {', '.join(end)}"
              f"{nxt} — {r['state']}")


@app.command("remove")
def remove(post: PostArg) -> None:
    """Take a post out of the evergreen queue.

    What it already queued stays queued.

    Example: socialhub evergreen remove spring-faq
    """
    from socialhub.services.authoring.evergreen import remove_evergreen

    with get_hub().context("cli") as ctx:
        remove_evergreen(ctx, post)
    info(f"{post} is no longer evergreen")


@app.command("run")
def run(json_: JsonOption = False) -> None:
    """Queue now the evergreen posts whose cooldown is over.

    The daemon does this every 5 minutes.

    Example: socialhub evergreen run
    """
    from socialhub.services.authoring.evergreen import requeue_evergreen

    with get_hub().context("cli") as ctx:
        rows = requeue_evergreen(ctx)
    if json_:
        emit_json(rows)
        return
    for r in rows:
        if r["outcome"] == "queued":
            at = ", ".join(f"{k} at {v:%Y-%m-%d %H:%M} UTC" for k, v in r["at"].items())
            plain(f"{r['post']}: queued ({at}), time {r['occurrence']}")
        else:
            plain(f"{r['post']}: {r['outcome']}"
                  + (f" — {r['reason']}" if r.get("reason") else ""))
    queued = sum(1 for r in rows if r["outcome"] == "queued")
    info(f"{queued} evergreen post(s) queued")
