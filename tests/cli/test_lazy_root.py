"""`socialhub` runs on a root group that builds each noun on first use; its help is the same."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from typing import Any

import typer.main

from socialhub.cli.lazy_root import lazy_root
from socialhub.cli.main import app


def _run(command: Any, args: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            command.main(args=args, prog_name="socialhub")
        except SystemExit as exc:
            return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def _help(command: Any, args: list[str]) -> str:
    code, output = _run(command, args)
    assert code == 0, output
    return output


def test_root_help_is_the_eager_tree_s_and_builds_no_noun() -> None:
    root = lazy_root(app)
    assert _help(root, ["--help"]) == _help(typer.main.get_command(app), ["--help"])
    assert root.commands.built == {}  # type: ignore[attr-defined]


def test_every_noun_s_help_and_order_match_the_eager_tree() -> None:
    eager = typer.main.get_command(app)
    root = lazy_root(app)
    assert list(root.commands) == list(eager.commands)  # type: ignore[attr-defined]
    for name in eager.commands:  # type: ignore[attr-defined]
        assert _help(root, [name, "--help"]) == _help(eager, [name, "--help"]), name


def test_a_typo_still_suggests_the_noun() -> None:
    code, output = _run(lazy_root(app), ["pots"])
    assert code == 2
    assert "Did you mean 'posts'" in output


def test_root_help_from_the_summaries_is_the_same_and_imports_no_command_module() -> None:
    from socialhub.cli.lazy_root import noun_summaries, summarised_root
    from socialhub.cli.noun_summaries import SUMMARIES
    from socialhub.cli.root import NOUNS

    assert noun_summaries(app) == SUMMARIES  # else: python scripts/gen_docs.py
    eager = _help(typer.main.get_command(app), ["--help"])
    assert _help(summarised_root(app, NOUNS, SUMMARIES), ["--help"]) == eager
    probe = ("import sys\nsys.argv = ['socialhub', '--help']\n"
             "from socialhub.cli.entry import main\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m.startswith('socialhub.cli.')), "
             "file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    loaded = done.stderr.strip().splitlines()[-1]
    for module, _attr, _name in NOUNS:
        assert f"'{module}'" not in loaded, module
    assert "Commands" in done.stdout
