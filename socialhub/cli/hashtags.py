"""``socialhub hashtags``: hashtag suggestions from a text's keywords, sized per platform."""

from __future__ import annotations

from typing import Annotated

import typer

from socialhub.cli.common import JsonOption, emit_json, out
from socialhub.services.platform_names import platforms_sentence

app = typer.Typer(help="Suggest hashtags for a text.", no_args_is_help=True)


@app.command("suggest")
def suggest(
    text: Annotated[str, typer.Argument(help="The post or idea ('-' reads stdin).")],
    platform: Annotated[str, typer.Option("--platform", "-p",
                                          help=f"Platform: {platforms_sentence()}.")],
    count: Annotated[int | None, typer.Option(
        "--count", min=0, max=30, help="How many at most (default: what works on the "
        "platform).")] = None,
    json_: JsonOption = False,
) -> None:
    """Suggest hashtags from the text's keywords; offline, no API key.

    Example: socialhub hashtags suggest "Handmade ceramics from our Berlin studio" -p instagram
    """

    from socialhub.cli.stdin import read_stdin_text
    from socialhub.services.ai.hashtags import suggest_hashtags
    from socialhub.services.authoring.text_rules import rules_for

    body = read_stdin_text() if text == "-" else text
    rules = rules_for(platform)
    tags = suggest_hashtags(body, rules.platform, count=count)
    if json_:
        emit_json({"platform": rules.platform, "hashtags": tags})
    else:
        out().print(" ".join(tags), markup=False)
