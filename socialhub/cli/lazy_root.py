"""The ``socialhub`` command as it runs: each noun becomes a Click group only when used.

Typer turns the whole tree into Click objects before it parses anything: every
noun, every command, and for each of their parameters the type hints evaluated
from their annotations. With some 40 nouns and 120 commands that was most of the
time ``socialhub --help`` took, for one screen that lists the nouns. Here the
root group holds each noun's Typer app and converts it (exactly as Typer would)
the first time something asks for it; the root help lists each noun through a
stand-in that carries only its resolved help. ``typer.main.get_command(app)``
(docs, completions, the help tests) still builds the whole tree eagerly, and a
test checks both give the same help.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from typing import Any

import typer
import typer.main
from typer.core import TyperGroup
from typer.models import TyperInfo

#: A noun's help as the root ``--help`` lists it: help, short help, hidden, deprecated.
Summary = tuple[str | None, str | None, bool, bool]


class _Commands(MutableMapping[str, Any]):
    """The root's sub-commands by name, in registration order; a noun is built on first use."""

    def __init__(self, own: dict[str, Any], nouns: dict[str, Callable[[], TyperInfo]],
                 build: Callable[[TyperInfo], Any],
                 summaries: Mapping[str, Summary] | None = None) -> None:
        self.own, self.nouns, self.build = own, nouns, build
        self.summaries = summaries or {}
        self.built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name in self.own:
            return self.own[name]
        if name not in self.built:
            self.built[name] = self.build(self.nouns[name]())  # KeyError: no such command
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
        found = self.summaries.get(name)
        help_, short_help, hidden, deprecated = (
            found if found is not None else summary_of(self.nouns[name]()))
        return TyperGroup(name=name, help=help_, short_help=short_help, hidden=hidden,
                          deprecated=deprecated)


def summary_of(info: TyperInfo) -> Summary:
    """A noun's help, resolved as Typer resolves it, without building the noun."""
    solved = typer.main.solve_typer_info_defaults(info)
    return (solved.help, solved.short_help, bool(solved.hidden), bool(solved.deprecated))


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


def _root(app: typer.Typer, nouns: dict[str, Callable[[], TyperInfo]],
          summaries: Mapping[str, Summary] | None = None) -> LazyNounGroup:
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

    root.commands = _Commands(dict(root.commands), nouns, build, summaries)
    return root


def lazy_root(app: typer.Typer) -> LazyNounGroup:
    """``app`` as the Click group ``typer.main.get_command(app)`` gives, with its nouns
    (the sub-apps added with ``add_typer``) built only when a command line reaches one."""
    return _root(app, {str(info.name): (lambda info=info: info)  # type: ignore[misc]
                       for info in app.registered_groups})


def summarised_root(app: typer.Typer, nouns: Sequence[tuple[str, str, str]],
                    summaries: Mapping[str, Summary]) -> LazyNounGroup:
    """The root of ``lazy_root`` for an ``app`` whose nouns are not registered yet: each of
    ``nouns`` (module, attribute, name) is imported only when reached, and the root help
    lists them from ``summaries`` (``cli.noun_summaries``) without importing any."""
    from socialhub.cli.registry import load_commands

    def info(module: str, attr: str, name: str) -> Callable[[], TyperInfo]:
        return lambda: TyperInfo(getattr(load_commands(module), attr), name=name)

    return _root(app, {name: info(module, attr, name) for module, attr, name in nouns},
                 summaries)


def noun_summaries(app: typer.Typer) -> dict[str, Summary]:
    """Each registered noun's summary, by name (what ``cli.noun_summaries`` holds)."""
    return {str(info.name): summary_of(info) for info in app.registered_groups}
