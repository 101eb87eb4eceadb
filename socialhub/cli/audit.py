"""``socialhub audit``: read the audit trail and check that nobody tampered with it."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

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
from socialhub.errors import AuditTamperedError, ExitCode, ValidationError

app = typer.Typer(help="List the audit trail's changes and verify its hash chain.",
                  no_args_is_help=True)

CSV_COLUMNS = ("id", "at", "actor", "channel", "action", "record_kind", "record_id",
               "record_name", "change", "hash")


def _change_text(change: dict[str, Any]) -> str:
    parts = []
    for field, value in change.items():
        if isinstance(value, dict) and set(value) == {"before", "after"}:
            parts.append(f"{field}: {value['before']!r} → {value['after']!r}")
        else:
            parts.append(f"{field}: {value!r}")
    return "; ".join(parts)


@app.command("list")
def list_(
    since: Annotated[str | None, typer.Option(
        "--since", metavar="WHEN",
        help="Only changes at or after WHEN: '-7d', '2 hours ago', 'yesterday', "
             "'2026-12-01' or '2026-12-01 09:00 Europe/Berlin' (display zone).")] = None,
    until: Annotated[str | None, typer.Option(
        "--until", metavar="WHEN", help="Only changes before WHEN (same forms).")] = None,
    actor: Annotated[str | None, typer.Option(
        "--actor", metavar="LOGIN", help="Only changes made by LOGIN.")] = None,
    record: Annotated[str | None, typer.Option(
        "--record", metavar="KIND[:NAME]",
        help="Only changes to records of KIND (post, account, campaign, slot, "
             "voice_profile, delivery), or to the one called NAME.")] = None,
    channel: Annotated[str | None, typer.Option(
        "--channel", metavar="CHANNEL",
        help="Only changes made through cli, tui, daemon, api or mcp.")] = None,
    limit: LimitOption = None,
    cursor: CursorOption = None,
    offset: OffsetOption = 0,
    all_: AllOption = False,
    json_: JsonOption = False,
    csv_: Annotated[bool, typer.Option(
        "--csv", help="Print CSV (a header, then one row per change; change as JSON).")]
    = False,
) -> None:
    """List changes to records, newest first; 50 unless --limit/--all.

    The next page with --cursor C (the note on stderr gives it).

    Each row: when, who, through which channel, what was done to which record, and
    the fields that changed (before → after). Secrets never appear.

    Example: socialhub audit list --since -7d --record post:launch --json
    """
    from socialhub.services.audit_trail.trail import audit_filter, audit_page
    from socialhub.services.paging import AUDIT

    if json_ and csv_:
        raise ValidationError("give --json or --csv, not both")
    win = paging(limit, offset, all_, cursor, AUDIT)
    with get_hub().context("cli") as ctx:
        f = audit_filter(ctx, since=since, until=until, actor=actor, record=record,
                         channel=channel)
        page = audit_page(ctx, f, win)
    if json_:
        emit_json(page.items)
    elif csv_:
        import csv

        writer = csv.DictWriter(sys.stdout, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in page.items:
            writer.writerow({**row, "change": json.dumps(row["change"], sort_keys=True)})
    elif not page.items:
        info("no changes match")
    else:
        from socialhub.cli.fit_table import Column, print_list

        cells = []
        for r in page.items:
            name = f"{r['record_kind']}:{r['record_name']}" if r["record_name"] else (
                f"{r['record_kind']} #{r['record_id']}" if r["record_id"] else r["record_kind"])
            cells.append([str(r["id"]), r["at"][:19].replace("T", " "), r["actor"],
                          r["channel"] or "-", r["action"], name, _change_text(r["change"])])
        # On a narrow terminal the change wraps narrower and the time over two lines,
        # then the channel and the change are left out: ids, actor and record stay whole.
        print_list([Column("id", "left"), Column("at (UTC)", "left", wrap=True),
                    Column("actor", "left"), Column("channel", "left", drop=2),
                    Column("action", "left"), Column("record", "left", wrap=True),
                    Column("change", "left", shrink=12, wrap=True, drop=1)], cells)
    note_more(page, "changes")


@app.command("verify")
def verify(json_: JsonOption = False) -> None:
    """Check the hash chain; exit 15 naming the first broken row.

    Each organization's rows form a chain: every row's hash covers its fields and
    the hash of the row before it. An edited, deleted or reordered row breaks the
    chain from there on. Prints each chain's row count and head hash: keep them
    somewhere else (a later rewrite of the whole chain changes the head).

    Example: socialhub audit verify --json > audit-$(date +%F).json
    """
    from socialhub.services.audit_trail.verify import verify_audit

    with get_hub().context("cli") as ctx:
        report = verify_audit(ctx)
    bad = report.first_break
    if json_:
        emit_json(report.as_dict())
        if bad is not None:
            raise typer.Exit(int(ExitCode.TAMPERED))
        return
    if bad is not None and bad.broken is not None:
        b = bad.broken
        raise AuditTamperedError(
            f"audit chain broken at row {b.row_id} ({b.at.isoformat()}): {b.problem} — "
            f"{b.detail}", hint="see docs/security.md")
    for c in report.chains:
        which = "organization" if c.org_id is not None else "rows of no organization"
        out().print(f"intact: {which}, {c.rows} row{'' if c.rows == 1 else 's'}, "
                    f"head {c.head}", soft_wrap=True)
