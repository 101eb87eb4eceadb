"""Shared CLI plumbing: global state, the hub, JSON and console output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from socialhub.config import LoadedConfig
    from socialhub.services.context import DirectCtx
    from socialhub.services.hub import Hub

T = TypeVar("T")


@dataclass
class CLIState:
    """Options given before the noun (``socialhub --config F --debug …``)."""

    config_path: str | None = None
    debug: bool = False
    quiet: bool = False
    _config: LoadedConfig | None = None
    _hub: Hub | None = None
    extras: dict[str, Any] = field(default_factory=dict)


state = CLIState()

JsonOption = Annotated[bool, typer.Option("--json",
                                          help="Print JSON to stdout instead of a table.")]


def get_config() -> LoadedConfig:
    """The effective configuration (loaded once per process)."""
    if state._config is None:
        from socialhub.services.settings import load_config

        state._config = load_config(state.config_path)
        _install_logging(state._config)
    return state._config


def _install_logging(config: LoadedConfig) -> None:
    from socialhub.services.ops.logging_setup import configure_logging

    configure_logging(config.settings.logging.level, config.settings.logging.format)


def get_hub() -> Hub:
    """The hub for this process: config plus a schema-checked database."""
    if state._hub is None:
        from socialhub.services.hub import Hub

        _freeze_imports()
        state._hub = Hub(get_config())
    return state._hub


def read_directly(read: Callable[[DirectCtx], T]) -> tuple[T] | None:
    """``(read(ctx),)`` through the database driver alone, without the hub (no SQLAlchemy
    loaded), or None when only the hub can answer (``services.direct``; PostgreSQL, for
    one): the caller then reads through ``get_hub()`` as before.

    The garbage collector is paused while ``read`` runs (``services.gc_pause``): what it
    builds (10,000 post summaries are some 100,000 dicts and lists) holds no cycles.
    """
    from socialhub.services.direct import read_directly as read_through_driver
    from socialhub.services.gc_pause import gc_paused

    config = get_config()
    _freeze_imports()
    with gc_paused():
        return read_through_driver(config, "cli", read)


def _freeze_imports() -> None:
    """Once per process, move every object alive now (the modules the command imported:
    SQLAlchemy, the models…) out of the garbage collector's sight: they live as long as
    the process, and a command that builds many objects (``posts list --json --all``)
    otherwise pays for rescanning them at each full collection."""
    import gc

    if not gc.get_freeze_count():
        gc.freeze()


def reset_state() -> None:
    """Forget loaded config and hub (used between in-process CLI test runs)."""
    if state._hub is not None:
        state._hub.dispose()
    state._config = None
    state._hub = None
    state.config_path = None
    state.debug = False
    state.quiet = False


def _json_default(value: Any) -> Any:
    from datetime import date, datetime
    from decimal import Decimal
    from pathlib import Path

    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def emit_json(data: Any) -> None:
    """Write ``data`` as JSON to stdout (one document, newline-terminated, UTF-8 text).

    Indented by two spaces for a terminal; on one line when piped or redirected, where a
    program reads it. Encoded by orjson (datetimes as ``datetime.isoformat()`` writes
    them, keys in their order); anything orjson refuses (an integer beyond 64 bits, a
    key that is not a string) by the standard ``json`` module, as before.
    """
    import orjson

    tty = sys.stdout.isatty()
    try:
        text = orjson.dumps(data, default=_json_default,
                            option=orjson.OPT_INDENT_2 if tty else 0).decode()
    except orjson.JSONEncodeError:
        text = json.dumps(data, default=_json_default, ensure_ascii=False,
                          indent=2 if tty else None)
    sys.stdout.write(text)
    sys.stdout.write("\n")


def out() -> Console:
    """A Rich console on stdout, for data. A string is printed as it is: a name, a
    post's text or an error is never read as Rich markup (``[/b]`` stopped the command,
    ``[link]`` vanished) or ``:emoji:`` codes, and a control character in it shows as
    its symbol (``safe_console``); styled output is a ``rich.text.Text``."""
    from socialhub.cli.safe_console import safe_console

    return safe_console()


def plain(line: str) -> None:
    """Print one line of data to stdout as it is: names, texts and URLs are never read as
    Rich markup (``[question, statement]`` stays), and long lines are not cut."""
    out().print(line, markup=False, soft_wrap=True)


def err() -> Console:
    """A Rich console on stderr, for diagnostics and progress (as :func:`out` prints)."""
    from socialhub.cli.safe_console import safe_console

    return safe_console(stderr=True)


def info(message: str) -> None:
    """A diagnostic line on stderr (suppressed by --quiet)."""
    if not state.quiet:
        err().print(message)


def warn(message: str) -> None:
    """A ``warning:`` line on stderr, shown even with --quiet: something needs the user."""
    from socialhub.services.terminal_text import printable

    sys.stderr.write(f"warning: {printable(message)}\n")
    sys.stderr.flush()
