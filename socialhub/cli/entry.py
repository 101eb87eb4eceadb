"""The ``socialhub`` console script.

``socialhub --help`` (or no arguments) renders the root help from the table of
nouns alone, importing no command module. A plain ``socialhub tui`` (optionally
with ``--config FILE``) opens the TUI
at once: it starts the helper that reads the first month before anything
else is imported, and skips loading the CLI framework and every command
module. Everything else — including ``socialhub tui --help`` — goes to the
Typer CLI in ``socialhub.cli.main``.
"""

from __future__ import annotations

import sys


def plain_tui(args: list[str]) -> tuple[bool, str | None]:
    """Whether ``args`` only open the TUI, and the ``--config`` path they name (if any).

    Accepted: ``tui``, ``--config FILE tui``, ``-c FILE tui``, ``--config=FILE tui``.
    """
    if not args or args[-1] != "tui":
        return False, None
    options = args[:-1]
    if not options:
        return True, None
    if len(options) == 2 and options[0] in ("--config", "-c") and options[1]:
        return True, options[1]
    if len(options) == 1 and options[0].startswith("--config=") and len(options[0]) > 9:
        return True, options[0].removeprefix("--config=")
    return False, None


def main(argv: list[str] | None = None) -> None:
    """Run ``socialhub``: the TUI's fast path, or the full CLI."""
    args = sys.argv[1:] if argv is None else list(argv)
    is_tui, config_path = plain_tui(args)
    if args in ([], ["--help"], ["-h"]):
        _root_help(args)
        return
    if not is_tui:
        from socialhub.cli.main import main as cli_main

        cli_main(args)
        return
    from socialhub.tui.startup import collector
    from socialhub.tui.startup.helper_process import start_helper

    collector.pause()  # until the first month is painted: see startup/collector.py
    started = start_helper(config_path)  # first of all: it reads while the UI loads

    def open_it() -> None:
        from socialhub.cli.tui_launch import open_tui
        from socialhub.tui.startup.first_month import FirstMonthHelper

        open_tui(config_path, FirstMonthHelper(config_path, started=started))

    from socialhub.cli.guard import run_guarded

    run_guarded(open_it, debug=False)


def _root_help(args: list[str]) -> None:
    """``socialhub --help`` (or no arguments) without importing a command module: the
    nouns' help comes from ``cli.noun_summaries``, generated from theirs."""
    from socialhub.cli.guard import run_guarded
    from socialhub.cli.lazy_root import summarised_root
    from socialhub.cli.metavars import install as install_value_names
    from socialhub.cli.noun_summaries import SUMMARIES
    from socialhub.cli.root import NOUNS, app

    install_value_names()
    run_guarded(lambda: summarised_root(app, NOUNS, SUMMARIES)(args=args, prog_name="socialhub"),
                debug=False)
