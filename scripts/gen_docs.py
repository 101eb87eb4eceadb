"""Write docs/cli.md, the CLI reference, from the commands' own --help (and
socialhub/cli/noun_summaries.py, the nouns' help for the root --help), and the lists of
networks in the docs from the platform registry.

Run `python scripts/gen_docs.py`; tests/test_generated.py fails when a file drifts.

A list of networks in a doc sits between ``<!-- registry:NAME -->`` and
``<!-- /registry -->`` (in YAML, between ``# registry:NAME`` and ``# /registry``
lines); NAME is a key of ``registry_blocks()``. Adding a platform to
``platforms/registry.py`` and running this script updates every such list.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "cli.md"
#: The files with lists of networks written from the registry.
REGISTRY_FILES = ("README.md", "config.example.yaml", "docs/manifests.md", "docs/platforms.md",
                  "docs/text-rules.md")
_MARKDOWN_BLOCK = re.compile(r"(<!-- registry:([\w-]+) -->)(.*?)(<!-- /registry -->)", re.DOTALL)
_YAML_BLOCK = re.compile(r"(^[ \t]*# registry:([\w-]+)\n)(.*?)(^[ \t]*# /registry$)",
                         re.DOTALL | re.MULTILINE)

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
        ExitCode.CHANGES: "`diff` only: applying would change something (not an error)",
        ExitCode.GIT: "a git repository cannot be fetched, verified or pushed to",
        ExitCode.TAMPERED: "`audit verify` found an edited, deleted or reordered audit row",
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


def _sentence(names: list[str], last_joiner: str) -> str:
    return ", ".join(names[:-1]) + last_joiner + names[-1] if len(names) > 1 else "".join(names)


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _rules_table() -> str:
    from socialhub.platforms.registry import specs

    rows = ["| Platform | Limit | Unit | Byte cap | Threads | Max media | Needs media "
            "| Hashtag cap | Link cap | Hashtags by custom | Special |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for spec in specs():
        r = spec.text_rules
        special = ", ".join(f"`{k}: {v}`" for k, v in (("counter", r.counter),
                                                      ("refuses", r.refuses)) if v) or "–"
        rows.append(f"| `{r.platform}` | {r.limit} | `{r.unit}` | {_cell(r.byte_limit)} "
                    f"| {_cell(r.supports_threads)} | {_cell(r.max_media)} "
                    f"| {_cell(r.requires_media)} | {_cell(r.max_hashtags)} "
                    f"| {_cell(r.max_links)} | {r.hashtag_budget} | {special} |")
    return "\n" + "\n".join(rows) + "\n"


def _config_sections() -> str:
    import yaml

    from socialhub.platforms.registry import config_sections

    lines = []
    for name, model in config_sections().items():
        defaults = model().model_dump(mode="json")
        lines.append("  " + yaml.safe_dump({name: defaults}, default_flow_style=None,
                                           sort_keys=False, width=4096).strip() + "\n")
    return "".join(lines)


def registry_blocks() -> dict[str, str]:
    """The generated lists of networks, by block name, from the platform registry."""
    from socialhub.platforms.registry import specs

    names = [s.name for s in specs()]
    developer_apps = [s.display_name for s in specs() if s.needs_developer_app]
    return {
        "names": ", ".join(names),
        "developer-apps": ", ".join(developer_apps),
        "developer-apps-and": _sentence(developer_apps, " and "),
        "text-rules-table": _rules_table(),
        "config-sections": _config_sections(),
    }


def fill_registry_blocks(text: str, blocks: dict[str, str]) -> str:
    """``text`` with every registry block's content replaced by ``blocks[name]``.

    Raises:
        KeyError: a block names no list ``blocks`` knows.
    """
    text = _MARKDOWN_BLOCK.sub(lambda m: m[1] + blocks[m[2]] + m[4], text)
    return _YAML_BLOCK.sub(lambda m: m[1] + blocks[m[2]] + m[4], text)


def render_noun_summaries() -> str:
    """``socialhub/cli/noun_summaries.py``: each noun's help, for the root --help."""
    from socialhub.cli.lazy_root import noun_summaries
    from socialhub.cli.main import app

    rows = "".join(f"    {name!r}: {summary!r},\n"
                   for name, summary in noun_summaries(app).items())
    return ('"""Each noun\'s help as `socialhub --help` lists it, so that the root help imports\n'
            'no command module (``cli.entry``). Generated by `scripts/gen_docs.py` from the\n'
            'nouns\' own help; do not edit by hand (tests/test_generated.py checks it).\n"""\n\n'
            "# ruff: noqa: E501\n\n"
            "from __future__ import annotations\n\n"
            "from socialhub.cli.lazy_root import Summary\n\n"
            "#: name: (help, short help, hidden, deprecated), in the order of ``cli.root.NOUNS``.\n"
            "SUMMARIES: dict[str, Summary] = {\n" + rows + "}\n")


def main() -> int:
    """Write the files, or with --check exit 1 when one is out of date."""
    wanted = {TARGET: render(),
              ROOT / "socialhub" / "cli" / "noun_summaries.py": render_noun_summaries()}
    blocks = registry_blocks()
    for name in REGISTRY_FILES:
        path = ROOT / name
        wanted[path] = fill_registry_blocks(path.read_text(encoding="utf-8"), blocks)
    stale = [path for path, text in wanted.items() if path.read_text(encoding="utf-8") != text]
    if "--check" in sys.argv:
        for path in stale:
            print(f"{path.relative_to(ROOT)} is stale", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.write_text(wanted[path], encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
