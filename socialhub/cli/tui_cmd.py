"""``socialhub tui``: open the interactive calendar and drafts editor."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from socialhub.tui.startup.first_month import FirstMonthHelper

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


def open_tui(config_path: str | None, helper: FirstMonthHelper | None = None) -> None:
    """Run the TUI until the person quits; raise what stopped it from working, if anything.

    The config is loaded by the app (a helper process reads the first month
    while Textual starts), and not through get_config(): that installs a
    stderr log handler, whose lines would tear through the full-screen
    display. In the TUI errors are notifications; one that stops it from
    working (a bad config, an unusable database) closes it and is raised here.
    """
    from socialhub.tui.app import SocialhubApp

    app = SocialhubApp(config_path=config_path, helper=helper)
    app.run()
    if app.fatal is not None:
        raise app.fatal
