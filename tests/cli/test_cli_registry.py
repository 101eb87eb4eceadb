"""CLI command modules join the CLI one way, and a module that cannot be imported stops it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer

from socialhub.cli.registry import CommandRegistrationError, add_nouns, graft


@pytest.fixture
def broken_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    (tmp_path / "broken_noun.py").write_text("raise RuntimeError('half-written noun')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "broken_noun"
    sys.modules.pop("broken_noun", None)


def test_a_noun_whose_module_raises_on_import_fails_loudly(broken_module: str) -> None:
    with pytest.raises(CommandRegistrationError) as caught:
        add_nouns(typer.Typer(), [(broken_module, "app", "broken")])
    assert caught.value.module_name == broken_module
    assert str(caught.value) == (f"cannot register the CLI commands of {broken_module}: "
                                 "RuntimeError: half-written noun")
    assert isinstance(caught.value.__cause__, RuntimeError)


def test_a_graft_whose_module_raises_on_import_fails_loudly(broken_module: str) -> None:
    with pytest.raises(CommandRegistrationError, match=f"of {broken_module}: RuntimeError"):
        graft(typer.Typer(), [broken_module])


def test_a_missing_module_is_an_error_not_a_silently_absent_command() -> None:
    with pytest.raises(CommandRegistrationError,
                       match=r"socialhub\.cli\.no_such_noun: ModuleNotFoundError"):
        add_nouns(typer.Typer(), [("socialhub.cli.no_such_noun", "app", "nothing")])


def test_the_socialhub_command_names_a_noun_module_that_fails_to_import() -> None:
    # A finder that breaks one noun's module (and one grafted module) as a bug would.
    for broken in ("socialhub.cli.music", "socialhub.cli.posts_publish"):
        probe = textwrap.dedent(f"""
            import sys
            class Breaker:
                def find_spec(self, name, path=None, target=None):
                    if name == {broken!r}:
                        raise ImportError("cannot import name 'x' (a bug)")
                    return None
            sys.meta_path.insert(0, Breaker())
            import socialhub.cli.main
        """)
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
        assert done.returncode != 0
        last = done.stderr.strip().splitlines()[-1]
        assert last == ("socialhub.cli.registry.CommandRegistrationError: cannot register the "
                        f"CLI commands of {broken}: ImportError: cannot import name 'x' (a bug)")
