"""Every command's --help teaches: options described, values named, summaries uncut.

The test walks Typer's command tree (the same one `socialhub … --help` renders)
and renders each command's help in an 80-column terminal, the default size.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
import typer
import typer.main
from typer.testing import CliRunner

from socialhub.cli.main import app

WIDTH = 80
# A value shown as a Python type, the way Typer prints an option without a metavar.
TYPE_METAVAR = re.compile(r"<(?:str|int|float|bool|path|file|list\[[^\]]*\]|[a-z]+ range)>")


def _commands() -> Iterator[tuple[str, Any, Any]]:
    root = typer.main.get_command(app)
    context_class = type(root.make_context("socialhub", ["--help"], resilient_parsing=True))

    def walk(cmd: Any, path: str, parent: Any) -> Iterator[tuple[str, Any, Any]]:
        ctx = context_class(cmd, info_name=path.split()[-1], parent=parent)
        yield path, cmd, ctx
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            yield from walk(sub, f"{path} {name}", ctx)

    yield from walk(root, "socialhub", None)


COMMANDS = list(_commands())


@pytest.fixture(autouse=True)
def _terminal_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    # Help is laid out for the terminal's width, read from $COLUMNS as in a real shell.
    monkeypatch.setenv("COLUMNS", str(WIDTH))


def test_every_option_and_argument_is_described() -> None:
    undescribed = [f"{path} {'/'.join(p.opts)}" for path, cmd, _ in COMMANDS
                   for p in cmd.params
                   if not p.hidden and not (getattr(p, "help", None) or "").strip()
                   and p.name != "help"]
    assert undescribed == []


def test_no_value_is_shown_as_a_python_type() -> None:
    typed = []
    for path, cmd, ctx in COMMANDS:
        for line in cmd.get_help(ctx).splitlines():
            if TYPE_METAVAR.search(line):
                typed.append(f"{path}: {line.strip()}")
    assert typed == []


def test_the_values_people_type_most_have_names() -> None:
    help_text = {path: cmd.get_help(ctx) for path, cmd, ctx in COMMANDS}
    create = help_text["socialhub posts create"]
    assert "--at TIME" in create
    assert "--target PLATFORM:@HANDLE" in create
    assert "--campaign NAME" in create and "--voice NAME" in create
    assert "--zone ZONE" in help_text["socialhub slots add"]
    assert "POST" in help_text["socialhub posts show"]


@pytest.mark.parametrize("path", [p for p, cmd, _ in COMMANDS if getattr(cmd, "commands", None)])
def test_every_summary_fits_on_one_line_uncut(path: str) -> None:
    cmd, ctx = next((c, x) for p, c, x in COMMANDS if p == path)
    lines = cmd.get_help(ctx).splitlines()
    start = lines.index("Commands:")
    cut = [line.strip() for line in lines[start + 1:]
           if line.rstrip().endswith("...") or len(line) > WIDTH]
    assert cut == []
    names = [line.split()[0] for line in lines[start + 1:] if line.startswith("  ")
             and not line.startswith("   ")]
    assert sorted(names) == sorted(cmd.commands)  # one line per command: nothing wrapped


def _leading_verbs(summary: str) -> list[str]:
    # "Add, list, show and remove social accounts." -> ["add", "list", "show", "remove"]
    words = re.findall(r"[a-z-]+|,", summary.lower())
    verbs: list[str] = []
    for word in words:
        if word in (",", "and", "or"):
            continue
        if word in VERBS:
            verbs.append(word)
            continue
        break
    return verbs


VERBS = {path.split()[2] for path, _, _ in COMMANDS if len(path.split()) == 3}


@pytest.mark.parametrize("path", [p for p, cmd, _ in COMMANDS
                                  if getattr(cmd, "commands", None) and p != "socialhub"])
def test_noun_help_names_only_commands_it_has(path: str) -> None:
    cmd = next(c for p, c, _ in COMMANDS if p == path)
    summary = (cmd.help or "").split("\n")[0]
    missing = [verb for verb in _leading_verbs(summary) if verb not in cmd.commands]
    assert missing == [], f"`{path} --help` says {summary!r}"




class Colour(enum.StrEnum):
    RED = "red"
    BLUE = "blue"


def _paint(colour: Annotated[Colour, typer.Option(help="Which colour.")] = Colour.RED,
           coats: Annotated[int, typer.Option(help="How many coats.")] = 1) -> None:
    """Paint."""


def test_a_choice_option_shows_its_choices_not_a_type() -> None:
    demo = typer.Typer(rich_markup_mode=None)  # as socialhub's own app
    demo.command()(_paint)
    text = CliRunner().invoke(demo, ["--help"], terminal_width=WIDTH).output
    assert "--colour [red|blue]" in text and "--coats N" in text
    assert not TYPE_METAVAR.search(text)
