"""Running the TUI once its helper is started: no Typer, no command module.

``socialhub tui`` reaches it both through the console script's fast path
(``cli/entry.py``, which never imports Typer: ~0.1 s of a cold launch) and
through the Typer command (``cli/tui_cmd.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from socialhub.tui.startup.first_month import FirstMonthHelper


def open_tui(config_path: str | None, helper: FirstMonthHelper | None = None) -> None:
    """Run the TUI until the person quits; raise what stopped it from working, if anything.

    The config is loaded by the app (a helper process reads the first month
    while Textual starts), and not through get_config(): that installs a
    stderr log handler, whose lines would tear through the full-screen
    display. In the TUI errors are notifications; one that stops it from
    working (a bad config, an unusable database) closes it and is raised here.
    """
    from socialhub.tui.app import SocialhubApp
    from socialhub.tui.startup import collector

    app = SocialhubApp(config_path=config_path, helper=helper)
    try:
        app.run()
    finally:
        collector.resume()  # if the app closed before its first month was painted
    if app.fatal is not None:
        raise app.fatal
