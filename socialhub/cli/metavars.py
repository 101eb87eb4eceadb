"""Names for the values options and arguments take, as ``--help`` shows them.

Typer prints an option without a ``metavar`` as its Python type (``--at <str>``,
``--target <list[str]>``), which reads like a type annotation and teaches
nothing. ``install()`` gives every option and argument of the command
tree a name for the thing it takes (``--at TIME``, ``--target
PLATFORM:@HANDLE``) from one table, so each command module need not repeat it
and a new option gets a sensible name by default; an explicit ``metavar=`` in a
module always wins. It hooks Typer's help rendering (``install()``) because
the annotations are re-evaluated on every build (PEP 563), so metavars set on
them would not stick. ``tests/cli/test_help_text.py`` keeps the result honest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from typer.core import TyperArgument, TyperOption

ACCOUNT = "PLATFORM:@HANDLE"

#: By option name: what the value is.
OPTIONS: dict[str, str] = {
    "--target": ACCOUNT, "--account": ACCOUNT, "--add-target": ACCOUNT,
    "--remove-target": ACCOUNT, "--targets": "PLATFORM:@HANDLE,…", "--platforms": "PLATFORM,…",
    "--platform": "PLATFORM", "--at": "TIME", "--zone": "ZONE", "--from": "DAY",
    "--starts": "DATE", "--ends": "DATE", "--since": "DATE", "--day": "DAY", "--time": "HH:MM",
    "--name": "NAME", "--rename": "NAME", "--campaign": "NAME", "--voice": "NAME",
    "--config": "FILE", "--new-key-file": "FILE", "--file": "FILE", "--filename": "FILE|DIR",
    "--output": "DIR", "--body": "TEXT", "--text": "ACCOUNT=TEXT", "--idea": "TEXT",
    "--instruction": "TEXT", "--description": "TEXT", "--title": "TEXT", "--sample": "TEXT",
    "--use": "PHRASE", "--avoid": "PHRASE", "--no-use": "PHRASE", "--no-avoid": "PHRASE",
    "--tag": "TAG", "--tone": "WORD", "--emoji": "LEVEL", "--formality": "1-10",
    "--status": "STATUS", "--view": "VIEW", "--kind": "KIND", "--provider": "PROVIDER",
    "--base-url": "URL", "--handle": "HANDLE", "--scopes": "SCOPES", "--external-id": "ID",
    "--display-name": "NAME", "--budget": "AMOUNT", "--currency": "CODE", "--token": "TOKEN",
    "--host": "HOST", "--port": "PORT", "--timeout": "SECONDS", "--hang-s": "SECONDS",
    "--token-ttl": "SECONDS", "--latency-ms": "MS", "--fail-rate": "FRACTION",
    "--timeout-rate": "FRACTION", "--seed": "N",
}

#: By noun, then argument name: what the argument names.
ARGUMENTS: dict[str, dict[str, str]] = {
    "posts": {"ref": "POST"},
    "accounts": {"ref": ACCOUNT, "account": ACCOUNT, "platform": "PLATFORM"},
    "slots": {"account": ACCOUNT, "slot_id": "SLOT_ID"},
    "campaigns": {"name": "CAMPAIGN"},
    "voices": {"name": "VOICE"},
    "queue": {"delivery_id": "DELIVERY_ID"},
}


def _fallback(name: str, python_type: str) -> str:
    # python_type is Typer's label: <int>, <list[str]>, <path>, <int range>, <a|b|c>…
    if "|" in python_type:
        return "[" + python_type.strip("<>").removeprefix("list[").rstrip("]") + "]"
    if "int" in python_type:
        return "N"
    if "float" in python_type:
        return "NUMBER"
    if "path" in python_type.lower() or "file" in python_type:
        return "DIR" if "dir" in name else "PATH"
    return name.lstrip("-").replace("-", "_").upper()


def value_name(param: TyperOption | TyperArgument, ctx: Any) -> str:
    """The name ``--help`` shows for what ``param`` takes: its own metavar, else the
    table's name for it, else one derived from its option name and type."""
    if param.metavar is not None:
        return param.metavar
    python_type = str(_TYPER_DISPLAY[type(param)](param, ctx) or "")
    if isinstance(param, TyperOption):
        long = next((o for o in param.opts if o.startswith("--")), param.opts[0])
        return OPTIONS.get(long) or _fallback(long, python_type)
    words = (ctx.command_path or "").split() if ctx is not None else []
    noun = words[1] if len(words) > 1 else ""
    return ARGUMENTS.get(noun, {}).get(param.name or "") or _fallback(param.name or "", python_type)


_TYPER_DISPLAY: dict[type, Callable[..., str | None]] = {
    TyperOption: TyperOption.display_type_rich,
    TyperArgument: TyperArgument.display_type_rich,
}


def _option_type(self: TyperOption, ctx: Any) -> str | None:
    return value_name(self, ctx)


_typer_argument_record = TyperArgument.get_help_record


def _argument_record(self: TyperArgument, ctx: Any) -> tuple[str, str] | None:
    # Typer shows an argument as its Python name plus its Python type (``ref <str>``);
    # show what it names instead (``POST``).
    record = _typer_argument_record(self, ctx)
    return None if record is None else (value_name(self, ctx), record[1])


def install() -> None:
    """Make Typer's help show value names instead of Python types (idempotent)."""
    TyperOption.display_type_rich = _option_type  # type: ignore[method-assign]
    TyperArgument.get_help_record = _argument_record  # type: ignore[method-assign]
