"""``socialhub report``: a campaign's or an account's results as an HTML, PDF, CSV or
JSON file. See docs/analytics.md#reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from socialhub.cli.common import JsonOption, emit_json, get_hub, info
from socialhub.errors import ConflictError, ValidationError

app = typer.Typer(help="Write a report file (HTML with charts, PDF, CSV or JSON) of a "
                       "campaign's, an account's or every account's results.",
                  short_help="Write results as an HTML, PDF, CSV or JSON report file.",
                  invoke_without_command=True)

FORMATS = ("html", "pdf", "csv", "json")


def _format_of(path: Path, given: str | None) -> str:
    fmt = given or path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ValidationError(f"unknown report format {fmt!r}",
                              hint="--format html, pdf, csv or json (or name the file so)")
    return fmt


@app.callback(invoke_without_command=True)
def report(
    output: Annotated[Path, typer.Option("--output", "-o", metavar="FILE",
                                         help="The file to write.")],
    campaign: Annotated[str | None, typer.Option("--campaign",
                                                 help="Only this campaign.")] = None,
    account: Annotated[str | None, typer.Option("--account",
                                                help="Only this account (platform:@handle).")
                       ] = None,
    since: Annotated[str | None, typer.Option(
        "--since", help="First day: 2026-11-01, today, mon, -2w, or 30d / 4w back "
                        "(default: 30 days ago).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Last day, included "
                                                              "(default: now).")] = None,
    fmt: Annotated[str | None, typer.Option(
        "--format", help="html, pdf, csv or json (default: from the file's extension).")
                   ] = None,
    zone: Annotated[str | None, typer.Option(
        "--zone", help="IANA zone days are read in (default: the display zone).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")
                     ] = False,
    json_: JsonOption = False,
) -> None:
    """Write a report: totals, a trend line, networks compared, top posts, best times.

    Every report has clicks and CTR; a campaign's also has its experiments (each
    arm's numbers, P(best), the verdict) and the policy findings on its posts.
    HTML has the charts inline as SVG; PDF is the same on A4; CSV and JSON hold the
    same figures (totals, per network, per day, top posts, clicks, experiments).

    Example: socialhub report --campaign launch --since 2026-11-01 -o launch.pdf
    """
    from socialhub.cli.output_files import write_output
    from socialhub.services.analytics.filters import Filters
    from socialhub.services.analytics.report_render import render_report
    from socialhub.services.experiments.campaign_report import build_campaign_report

    kind = _format_of(output, fmt)
    if output.exists() and not force:
        raise ConflictError(f"{output} exists", hint="pass --force to overwrite it")
    if not output.parent.is_dir():  # said before the report is built, not after
        raise ValidationError(f"cannot write {output}: the folder {output.parent} does "
                              "not exist", hint="create it first, or choose another -o")
    filters = Filters(since=since, until=until, account=account, campaign=campaign, zone=zone)
    with get_hub().context("cli") as ctx:
        data = build_campaign_report(ctx, filters)
    content = render_report(data, kind)
    write_output(output, content)
    if json_:
        emit_json({"path": str(output), "format": kind, "bytes": len(content),
                   "title": data["title"], "window": data["window"],
                   "totals": data["totals"]})
    else:
        info(f"wrote {output} ({kind}, {len(content):,} bytes): {data['title']}, "
             f"{data['totals']['posts']} posts")
