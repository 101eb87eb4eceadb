"""Write docs/cli.md, the CLI reference, from the commands' own --help.

Run `python scripts/gen_docs.py`; tests/test_generated.py fails when the file drifts.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "cli.md"

HEADER = """# CLI reference

Generated from `--help` by `scripts/gen_docs.py`; do not edit by hand.

Every read command takes `--json` (data on stdout, diagnostics on stderr).

## Exit codes

| code | meaning |
|---|---|
{codes}
"""


def render() -> str:
    """The whole reference as Markdown."""
    os.environ["COLUMNS"] = "100"
    os.environ["TERM"] = "dumb"
    import typer.main

    from socialhub.cli.main import app
    from socialhub.errors import ExitCode

    meaning = {
        ExitCode.OK: "success", ExitCode.ERROR: "unexpected failure (run again with --debug)",
        ExitCode.USAGE: "bad command-line usage", ExitCode.CONFIG: "invalid configuration",
        ExitCode.VALIDATION: "invalid input; nothing was written",
        ExitCode.NOT_FOUND: "a named record does not exist",
        ExitCode.CONFLICT: "exists already, or in a state that forbids the action",
        ExitCode.DATABASE: "database unreachable, locked, or schema out of date",
        ExitCode.PLATFORM: "a social platform refused or failed",
        ExitCode.AUTH: "credentials missing, expired or revoked",
        ExitCode.SECURITY: "master key missing or wrong",
        ExitCode.BUDGET: "AI budget spent or provider refused",
        ExitCode.PERMISSION: "your role does not allow this action; nothing was done",
    }
    codes = "\n".join(f"| {int(c)} | {meaning[c]} |" for c in ExitCode)
    parts = [HEADER.format(codes=codes)]
    root = typer.main.get_command(app)

    def walk(cmd, path: list[str]) -> None:  # type: ignore[no-untyped-def]
        # Typer vendors Click, so use the command's own context class, never `import click`.
        ctx = cmd.context_class(cmd, info_name=" ".join(path), max_content_width=100,
                                terminal_width=100)
        level = "#" * min(len(path) + 1, 4)
        parts.append(f"{level} `{' '.join(path)}`\n\n```text\n{cmd.get_help(ctx).rstrip()}\n```\n")
        if hasattr(cmd, "list_commands"):
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                if sub is not None and not sub.hidden:
                    walk(sub, [*path, name])

    walk(root, ["socialhub"])
    return "\n".join(parts)


def main() -> int:
    """Write the file, or with --check exit 1 when it is out of date."""
    text = render()
    if "--check" in sys.argv:
        return 0 if TARGET.read_text() == text else 1
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
