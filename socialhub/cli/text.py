"""``socialhub text``: measure a text or split it into a thread, as each platform counts."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from socialhub.cli.common import JsonOption, emit_json
from socialhub.errors import ExitCode
from socialhub.services.platform_names import platforms_sentence

app = typer.Typer(
    help="Measure text or split it into a thread, as platforms count.",
    no_args_is_help=True,
)

# From the platform registry (its declaration modules only, so `--help` need not
# import the text counters).
PLATFORM_HELP = f"Platform: {platforms_sentence()}."

PlatformOption = Annotated[str, typer.Option("--platform", "-p", help=PLATFORM_HELP)]
LimitOption = Annotated[
    int | None,
    typer.Option("--limit", min=1, help="Override the platform's default limit "
                 "(e.g. a Mastodon instance's max_characters).", show_default=False),
]
TextArgument = Annotated[str, typer.Argument(help="The text, or - to read it from stdin.")]


def _read(text: str) -> str:
    if text != "-":
        return text
    from socialhub.cli.stdin import read_stdin_text

    data = read_stdin_text()
    # `echo … |` and heredocs add one final newline the author did not type.
    if data.endswith("\r\n"):
        return data[:-2]
    return data[:-1] if data.endswith("\n") else data


@app.command("measure")
def measure_cmd(
    text: TextArgument,
    platform: PlatformOption,
    limit: LimitOption = None,
    max_hashtags: Annotated[
        int | None,
        typer.Option("--max-hashtags", min=0, help="Override the hashtag cap (Instagram: 30).",
                     show_default=False),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Measure TEXT as PLATFORM counts it; exit 4 when it is invalid.

    Example: socialhub text measure --platform bluesky --json "Hello 👋"
    """
    from socialhub.services.authoring.text_rules import measure, measure_summary, rules_for

    rules_for(platform)  # an unknown platform fails before stdin is read
    result = measure(_read(text), platform, limit=limit, max_hashtags=max_hashtags)
    if json_out:
        emit_json(measure_summary(result))
    else:
        verdict = "valid" if result.valid else "invalid: " + "; ".join(result.problems)
        typer.echo(f"{result.platform}: {result.length}/{result.limit} {result.unit}, {verdict}")
    if not result.valid:
        if json_out:
            sys.stderr.write(f"invalid for {result.platform}: {'; '.join(result.problems)}\n")
        raise typer.Exit(int(ExitCode.VALIDATION))


@app.command("split")
def split_cmd(
    text: TextArgument,
    platform: PlatformOption,
    limit: LimitOption = None,
    number: Annotated[
        bool, typer.Option("--number", help='Append " 1/3"-style counters to the parts.')
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Split TEXT into thread parts that each fit PLATFORM's limit.

    Cuts fall at paragraph breaks, then sentence ends, then word boundaries;
    never inside a word, URL, @mention, #hashtag or emoji.

    Example: socialhub text split --platform x --number - < essay.txt
    """
    from socialhub.services.authoring.text_rules import measured_parts, rules_for

    rules_for(platform)
    measured = measured_parts(_read(text), platform, limit=limit, number=number)
    if json_out:
        emit_json([{"text": p["text"], "length": p["length"]} for p in measured])
        return
    for index, item in enumerate(measured, start=1):
        if index > 1:
            typer.echo("")
        typer.echo(f"[{index}/{len(measured)}] {item['length']}/{item['limit']} {item['unit']}")
        typer.echo(item["text"])
