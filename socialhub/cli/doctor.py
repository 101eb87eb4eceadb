"""``socialhub doctor``: is everything set up and healthy?"""

from __future__ import annotations

import typer

from socialhub.cli.common import JsonOption, emit_json, get_hub, out

app = typer.Typer(help="Check configuration, database, keys, accounts and the daemon.",
                  invoke_without_command=True)

ICONS = {"ok": "[green]ok[/green]  ", "warn": "[yellow]warn[/yellow]", "fail": "[red]FAIL[/red]"}


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
        console = out()
        for c in checks:
            console.print(f"{ICONS.get(c['status'], c['status'])}  {c['check']:<12} "
                          f"{c['detail']}", highlight=False)
    if any(c["status"] == "fail" for c in checks):
        raise typer.Exit(1)
