"""``socialhub tui``: open the interactive calendar and drafts editor."""

from __future__ import annotations

import typer

app = typer.Typer(help="Open the interactive calendar and drafts editor (Textual TUI).",
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
    # Deferred: Textual is heavy and only this command needs it.
    from socialhub.cli.common import state
    from socialhub.config import load_config
    from socialhub.tui.app import SocialhubApp

    # Not get_config(): that installs a stderr log handler, whose lines would
    # tear through the full-screen display. In the TUI errors are notifications.
    SocialhubApp(load_config(state.config_path)).run()
