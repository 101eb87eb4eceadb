"""``socialhub demo``: publish a few posts to a local sandbox network and show the result."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from socialhub.cli.common import JsonOption, emit_json, err, out, state

app = typer.Typer(help="See socialhub publish on time, on a local sandbox network.",
                  invoke_without_command=True)


@app.callback()
def demo(
    keep: Annotated[bool, typer.Option(
        "--keep", help="Keep the demo's data folder (its path is printed) to explore it after.")]
    = False,
    posts: Annotated[int, typer.Option("--posts", "-n", min=1, max=8,
                                       help="How many posts to publish (1–8).")] = 5,
    json_: JsonOption = False,
) -> None:
    """Publish a few posts (one a thread) to a local sandbox, on time, and list them.

    Nothing leaves this machine: the sandbox network runs inside this command,
    and the data goes to a temporary folder unless --keep.

    Example: socialhub demo
    """
    from datetime import UTC

    from socialhub.logs import configure_logging
    from socialhub.services.demo import run_demo

    configure_logging("WARNING")
    console = err()

    def progress(event: str, data: dict[str, Any]) -> None:
        if state.quiet:
            return
        if event == "scheduled":
            parts = f" ({data['parts']}-part thread)" if data["parts"] > 1 else ""
            console.print(f"  scheduled {data['post']}{parts} for "
                          f"{data['due_at'].astimezone(UTC):%H:%M:%S} UTC")
        elif event == "published":
            console.print(f"  [green]✓[/green] {data['post']} published → {data['remote_url']}")
        else:
            console.print(f"  [yellow]![/yellow] {data['post']} {event}: {data['last_error']}")

    if not state.quiet:
        console.print("starting a sandbox network and a throwaway socialhub…")
    result = run_demo(posts=posts, keep=keep, progress=progress)
    if json_:
        emit_json({"posts": result.rows, "home": result.home, "elapsed_s": result.elapsed_s,
                   "sandbox_posts": result.sandbox_posts})
    else:
        from rich.table import Column, Table

        table = Table("post", "status", "due (UTC)", "late (s)", "parts",
                      Column("URL", overflow="fold"))
        for r in result.rows:
            table.add_row(r["post"], r["status"], f"{r['due_at']:%H:%M:%S}",
                          "-" if r["late_s"] is None else f"{r['late_s']:.3f}", str(r["parts"]),
                          r["url"] or r["error"] or "")
        out().print(table)
    published = sum(r["status"] == "published" for r in result.rows)
    if not state.quiet:
        console.print(f"{published}/{len(result.rows)} posts published in {result.elapsed_s} s; "
                      f"the sandbox received {result.sandbox_posts} posts (one per thread part)")
        if result.home is not None:
            console.print(f"kept the demo data: SOCIALHUB_HOME={result.home} socialhub posts list")
    if published != len(result.rows):
        raise typer.Exit(1)
