"""The ``socialhub`` command as it runs: each noun becomes a Click group only when used.

Typer turns the whole tree into Click objects before it parses anything: every
noun, every command, and for each of their parameters the type hints evaluated
from their annotations. With some 45 nouns and 270 commands that was most of the
time ``socialhub --help`` took, for one screen that lists the nouns. Here the
root group holds each noun's Typer app and converts it (exactly as Typer would)
the first time something asks for it; the root help lists each noun through a
stand-in that carries only its resolved help. ``typer.main.get_command(app)``
(docs, completions, the help tests) still builds the whole tree eagerly, and a
test checks both give the same help.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, MutableMapping
from typing import Any

import typer
import typer.main
from typer.core import TyperGroup
from typer.models import TyperInfo


class _Commands(MutableMapping[str, Any]):
    """The root's sub-commands by name, in registration order; a noun is built on first use."""

    def __init__(self, own: dict[str, Any], nouns: dict[str, TyperInfo],
                 build: Any) -> None:
        self.own, self.nouns, self.build = own, nouns, build
        self.built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name in self.own:
            return self.own[name]
        if name not in self.built:
            self.built[name] = self.build(self.nouns[name])  # KeyError: no such command
        return self.built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self.own[name] = command

    def __delitem__(self, name: str) -> None:
        self.own.pop(name, None)
        self.nouns.pop(name, None)
        self.built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        yield from self.own
        yield from (n for n in self.nouns if n not in self.own)

    def __len__(self) -> int:
        return len(set(self.own) | set(self.nouns))

    def summary(self, name: str) -> Any:
        """The command itself when built or not a noun, else a stand-in with its help only."""
        if name in self.own or name in self.built:
            return self[name]
        solved = typer.main.solve_typer_info_defaults(self.nouns[name])
        return TyperGroup(name=name, help=solved.help, short_help=solved.short_help,
                          hidden=bool(solved.hidden), deprecated=bool(solved.deprecated))


class LazyNounGroup(TyperGroup):
    """A Typer root group whose nouns are converted to Click on first use."""

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """List the nouns as Typer does, without building any that is not built yet."""
        commands = self.commands
        if not isinstance(commands, _Commands):
            super().format_commands(ctx, formatter)
            return
        self.commands = {name: commands.summary(name) for name in commands}
        try:
            super().format_commands(ctx, formatter)
        finally:
            self.commands = commands


def lazy_root(app: typer.Typer) -> LazyNounGroup:
    """``app`` as the Click group ``typer.main.get_command(app)`` gives, with its nouns
    (the sub-apps added with ``add_typer``) built only when a command line reaches one."""
    shallow = copy.copy(app)
    shallow.registered_groups = []
    shallow.info = copy.copy(app.info)
    shallow.info.cls = LazyNounGroup
    root = typer.main.get_command(shallow)
    assert isinstance(root, LazyNounGroup)

    def build(info: TyperInfo) -> Any:
        return typer.main.get_group_from_info(
            info, pretty_exceptions_short=app.pretty_exceptions_short,
            suggest_commands=app.suggest_commands, rich_markup_mode=app.rich_markup_mode)

    root.commands = _Commands(dict(root.commands),
                              {str(info.name): info for info in app.registered_groups}, build)
    return root
