"""``socialhub doctor``: is everything set up and healthy?"""

from __future__ import annotations

import typer

from socialhub.cli.common import JsonOption, emit_json, get_hub, out

app = typer.Typer(help="Check configuration, database, keys, accounts and the daemon.",
                  invoke_without_command=True)

#: How each status is shown: its word (padded to one width) and colour.
ICONS = {"ok": ("ok  ", "green"), "warn": ("warn", "yellow"), "fail": ("FAIL", "red")}


@app.callback(invoke_without_command=True)
def doctor(json_: JsonOption = False) -> None:
    """Run health checks; exit 1 when any check fails.

    A first run on a fresh machine creates the database and the master key.
    """
    from socialhub.services.ops.doctor import run_checks

    checks = run_checks(get_hub())
    if json_:
        emit_json(checks)
    else:
        from rich.text import Text

        console = out()
        for c in checks:
            console.print(Text.assemble(ICONS.get(c["status"], c["status"]),
                                        f"  {c['check']:<12} {c['detail']}"))
    if any(c["status"] == "fail" for c in checks):
        raise typer.Exit(1)
