"""``socialhub demo``: publish a few posts to a local sandbox network and show the result."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

import typer

from socialhub.cli.common import JsonOption, emit_json, err, out, state

app = typer.Typer(help="See socialhub publish on time, on a local sandbox network.",
                  invoke_without_command=True)


@app.callback()
def demo(
    keep: Annotated[bool, typer.Option(
        "--keep", help="Keep the sandbox running (until Ctrl-C) and the demo's data folder, "
        "to explore them after.")] = False,
    posts: Annotated[int, typer.Option("--posts", "-n", min=1, max=8,
                                       help="How many posts to publish (1–8).")] = 5,
    json_: JsonOption = False,
) -> None:
    """Publish a few posts (one a thread) to a local sandbox, on time, and list them.

    Nothing leaves this machine: the sandbox network runs inside this command
    and stops with it; the data goes to a temporary folder. With --keep both
    stay: the sandbox until Ctrl-C, the folder until you delete it.

    Example: socialhub demo --keep
    """
    from datetime import UTC

    from rich.text import Text

    from socialhub.services.ops.demo import DemoResult, run_demo
    from socialhub.services.ops.logging_setup import configure_logging

    configure_logging("WARNING")
    console = err()

    def say(message: str | Text) -> None:
        if not state.quiet:
            console.print(message, soft_wrap=True)

    def progress(event: str, data: dict[str, Any]) -> None:
        if event == "scheduled":
            parts = f" ({data['parts']}-part thread)" if data["parts"] > 1 else ""
            say(f"  scheduled {data['post']}{parts} for "
                f"{data['due_at'].astimezone(UTC):%H:%M:%S} UTC")
        elif event == "published":
            say(Text.assemble("  ", ("✓", "green"), f" {data['post']} published"))
        else:
            say(Text.assemble("  ", ("!", "yellow"),
                              f" {data['post']} {event}: {data['last_error']}"))

    def show(result: DemoResult) -> None:
        """The table and what to do next; with --keep, then wait for Ctrl-C."""
        if json_:
            emit_json({"posts": result.rows, "home": result.home, "elapsed_s": result.elapsed_s,
                       "sandbox_posts": result.sandbox_posts, "inbox": result.inbox,
                       "auto_reply": result.auto_reply,
                       "sandbox_url": result.sandbox_url if keep else None})
        else:
            out().print(_table(result))
        published = sum(r["status"] == "published" for r in result.rows)
        say(f"{published}/{len(result.rows)} posts published in {result.elapsed_s} s; the "
            f"sandbox received {result.sandbox_posts} posts (one per thread part)")
        if result.inbox:
            moods = Counter(str(r["sentiment"]) for r in result.inbox)
            flagged = sum(1 for r in result.inbox if r["flags"])
            say(f"then simulated people wrote {len(result.inbox)} times (comments, mentions, "
                f"messages: {moods['positive']} positive, {moods['negative']} negative, "
                f"{flagged} flagged); with --keep, see them: socialhub inbox list")
        answer = result.auto_reply
        if answer:
            mark = ("✓", "green") if answer["status"] == "published" else ("!", "yellow")
            say(Text.assemble("  ", mark, f" the workflow rule {answer['rule']!r} answered "
                              f"{answer['author']} automatically ({answer['status']}): "
                              f"\"{answer['reply']}\"; see docs/rules.md"))
        for line in next_steps(result, keep=keep):
            say(line)
        if keep:
            _wait_for_ctrl_c()
            say(f"sandbox stopped; the data stays in {result.home}")

    say("starting a sandbox network and a throwaway socialhub…")
    result = run_demo(posts=posts, keep=keep, progress=progress, hold=show)
    if any(r["status"] != "published" for r in result.rows):
        raise typer.Exit(1)


def _table(result: Any) -> Any:
    from rich.table import Table

    # No URL column: the sandbox's post URLs are not pages it serves, and without
    # --keep the sandbox is gone by the time anyone reads the table.
    table = Table("post", "status", "due (UTC)", "late (s)", "parts", "on the sandbox")
    for r in result.rows:
        place = (f"{r['account']} post {r['remote_id']}" if r["status"] == "published"
                 else r["error"] or "")
        table.add_row(r["post"], r["status"], f"{r['due_at']:%H:%M:%S}",
                      "-" if r["late_s"] is None else f"{r['late_s']:.3f}", str(r["parts"]),
                      place)
    return table


def next_steps(result: Any, *, keep: bool) -> list[str]:
    """The closing lines: where things are now, and the commands to try next."""
    if not keep:
        return ["the sandbox network ran inside this command and has stopped, and its data "
                "folder is gone: there is nothing left to open.",
                "next: `socialhub demo --keep` keeps the sandbox running and the data, to "
                "explore them with `socialhub posts list`, `socialhub calendar` or "
                "`socialhub tui`; `socialhub --help` shows what else is here."]
    return [f"the sandbox keeps running at {result.sandbox_url} until Ctrl-C "
            f"(everything it received: {result.sandbox_url}/_sandbox/posts)",
            f"kept the demo data in {result.home}; try it in another terminal:",
            f"  export SOCIALHUB_HOME={result.home} SOCIALHUB_SECURITY_USE_KEYRING=false",
            "  socialhub posts list",
            "  socialhub calendar",
            f"  socialhub analytics overview   (with {result.history_posts} past posts "
            "imported; also: analytics best-times, analytics top)",
            "  socialhub rules log   (the workflow rule's automatic reply)",
            "  socialhub tui",
            "press Ctrl-C to stop the sandbox."]


def _wait_for_ctrl_c() -> None:
    import contextlib
    import threading

    with contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()
