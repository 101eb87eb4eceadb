"""``socialhub import``: bulk-load posts from other formats."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from socialhub.cli.common import JsonOption, emit_json, get_config, get_hub, info
from socialhub.errors import ValidationError

app = typer.Typer(help="Bulk-import posts.", no_args_is_help=True)


@app.command("csv")
def import_csv(
    file: Annotated[Path, typer.Argument(help="CSV with columns body, accounts[, at, zone, "
                                         "name, campaign, tags].", exists=True, dir_okay=False)],
    json_: JsonOption = False,
) -> None:
    """Create one scheduled post per CSV row (no `at`: next free slot).

    All rows are checked first; one bad row and nothing is written.

    Example: socialhub import csv week.csv
    """
    from socialhub.services.authoring.csv_import import import_posts_csv
    from socialhub.services.clock import display_zone, now_utc

    def progress(done: int, total: int) -> None:
        if total >= 200 and (done % 200 == 0 or done == total) and sys.stderr.isatty():
            sys.stderr.write(f"\rchecked {done}/{total} rows")
            if done == total:
                sys.stderr.write("\n")

    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"cannot read {file}: {exc}") from None
    hub = get_hub()
    with hub.context("cli") as ctx:
        report = import_posts_csv(ctx, text, name=str(file),
                                  default_zone=display_zone(get_config().settings),
                                  now=now_utc(), progress=progress)
    if json_:
        emit_json(report.as_dict())
    else:
        info(f"imported {report.created} posts ({report.scheduled_at_time} at their own time, "
             f"{report.scheduled_in_slot} in free slots)")
