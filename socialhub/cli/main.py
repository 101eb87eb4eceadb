"""The ``socialhub`` command: global options, noun registration, error mapping.

Nouns live one per module in this package and are registered in ``NOUNS``
through ``cli.registry`` (a module that fails to import stops the CLI, naming it).
The root command itself (its options, ``NOUNS``) lives in ``cli.root``.
"""

from __future__ import annotations

from socialhub.cli.common import state
from socialhub.cli.metavars import install as install_value_names
from socialhub.cli.registry import add_nouns
from socialhub.cli.root import NOUNS, app

__all__ = ["NOUNS", "app", "main"]


add_nouns(app, NOUNS)
install_value_names()  # --help names each option's value, not its Python type


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; map socialhub errors to one stderr line and an exit code."""
    from socialhub.cli.guard import run_guarded
    from socialhub.cli.lazy_root import lazy_root

    run_guarded(lambda: lazy_root(app)(args=argv, prog_name="socialhub"),
                debug=lambda: state.debug)
