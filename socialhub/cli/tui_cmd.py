"""``socialhub tui``: open the interactive calendar and drafts editor."""

from __future__ import annotations

import typer

from socialhub.cli.tui_launch import open_tui

app = typer.Typer(help="Open the interactive calendar and drafts editor (the TUI).",
                  invoke_without_command=True, no_args_is_help=False)


@app.callback(invoke_without_command=True)
def tui(ctx: typer.Context) -> None:
    """Open the terminal UI: calendar, editor, queue and accounts.

    Keys are shown in the footer; press ? for all of them.

    Example:
        socialhub tui
    """
    if ctx.invoked_subcommand is not None:
        return
    from socialhub.cli.common import state
    from socialhub.tui.startup.first_month import FirstMonthHelper

    helper = FirstMonthHelper(state.config_path)  # before Textual loads: it works meanwhile
    open_tui(state.config_path, helper)
