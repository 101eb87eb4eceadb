"""The one way command modules join the CLI, failing loudly when one cannot be imported.

A noun is a module's Typer sub-app added under a name (``add_nouns``); a
module that adds commands to another noun's sub-app defines
``register(app: typer.Typer) -> None`` and is grafted on (``graft``). Either
way a module that fails to import stops the CLI with ``CommandRegistrationError``
naming the module and its import error, instead of a command silently missing.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from types import ModuleType

import typer


class CommandRegistrationError(RuntimeError):
    """A module that adds commands to the CLI could not be imported (a bug in socialhub)."""

    def __init__(self, module_name: str, error: BaseException) -> None:
        super().__init__(f"cannot register the CLI commands of {module_name}: "
                         f"{type(error).__name__}: {error}")
        #: The dotted name of the module that failed.
        self.module_name = module_name


def load_commands(module_name: str) -> ModuleType:
    """Import a command module.

    Raises:
        CommandRegistrationError: importing it raised anything (its cause is the error).
    """
    try:
        return importlib.import_module(module_name)
    except CommandRegistrationError:
        raise  # a module it registers failed: that one is named, not this one
    except Exception as exc:
        raise CommandRegistrationError(module_name, exc) from exc


def add_nouns(app: typer.Typer, nouns: Iterable[tuple[str, str, str]]) -> None:
    """Add each ``(module, attribute, name)`` sub-app to ``app`` under ``name``, in order.

    Raises:
        CommandRegistrationError: a module could not be imported.
    """
    for module_name, attr, name in nouns:
        app.add_typer(getattr(load_commands(module_name), attr), name=name)


def graft(app: typer.Typer, module_names: Iterable[str]) -> None:
    """Let each module add its commands to ``app`` through its ``register(app)``, in order.

    Raises:
        CommandRegistrationError: a module could not be imported.
    """
    for module_name in module_names:
        load_commands(module_name).register(app)
