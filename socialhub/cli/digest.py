"""``socialhub digest``: one day's posts, their results and the problems, as the daemon
mails it each morning. See docs/analytics.md#alerts-and-the-daily-digest."""

from __future__ import annotations

from typing import Annotated

import typer

from socialhub.cli.common import JsonOption, emit_json, get_hub
from socialhub.errors import ValidationError

app = typer.Typer(help="Print the daily digest: a day's posts, what they earned, failed "
                       "deliveries, accounts to sign in again and alerts raised.",
                  short_help="Print a day's posts, results and problems.",
                  invoke_without_command=True)


@app.callback(invoke_without_command=True)
def digest(
    date: Annotated[str | None, typer.Option(
        "--date", help="The day: 2026-12-05, yesterday, today, mon (default: yesterday, "
                       "in the display zone).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="text or html.")] = "text",
    json_: JsonOption = False,
) -> None:
    """Print a day's digest (yesterday unless --date) as text, HTML or --json.

    Example: socialhub digest --date 2026-12-05 --format html > digest.html
    """
    from socialhub.services.analytics.digest import FORMATS, daily_digest, digest_html, digest_text

    if fmt not in FORMATS:
        raise ValidationError(f"unknown digest format {fmt!r}", hint="--format text or html")
    with get_hub().context("cli") as ctx:
        data = daily_digest(ctx, date)
    if json_:
        emit_json(data)
    else:
        typer.echo(digest_text(data) if fmt == "text" else digest_html(data), nl=False)
