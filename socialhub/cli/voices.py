"""``socialhub voices``: brand voices — declare them, train them on real posts, explain them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from socialhub.cli.common import JsonOption, emit_json, get_hub, info, out

app = typer.Typer(help="Brand voices: declared traits, statistics learned from posts.",
                  no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="The profile's name (lower-case, e.g. shop).")]
ToneOpt = Annotated[list[str] | None, typer.Option(
    "--tone", help="A tone word (warm, direct, playful…); repeat or separate with commas.")]
FormalityOpt = Annotated[int | None, typer.Option(
    "--formality", min=1, max=10, help="1 (very casual) to 10 (very formal).")]
EmojiOpt = Annotated[str | None, typer.Option(
    "--emoji", help="Emoji use: none, low, medium or high.")]
UseOpt = Annotated[list[str] | None, typer.Option(
    "--use", help="A phrase the voice likes to use; repeatable.")]
AvoidOpt = Annotated[list[str] | None, typer.Option(
    "--avoid", help="A phrase the voice never uses; repeatable.")]
DescOpt = Annotated[str | None, typer.Option("--description", help="One line about the voice.")]


def _render_list(rows: list[dict[str, Any]]) -> None:
    console = out()
    if not rows:
        info("no voice profiles yet: add one with `socialhub voices add NAME` or "
             "`socialhub voices train NAME --from FILE`")
        return
    for r in rows:
        mark = "*" if r["default"] else " "
        trained = f"{r['samples']} samples" if r["trained"] else "not trained"
        console.print(f"{mark} {r['name']:<20} tone: {_tone(r):<24} "
                      f"formality: {_formality(r):<5} {trained}", markup=False)


def _tone(row: dict[str, Any]) -> str:
    """Declared tone words, else the learned ones marked with ~, else -."""
    if row["tone"]:
        return ", ".join(row["tone"])
    return "~" + ", ".join(row["learned_tone"]) if row["learned_tone"] else "-"


def _formality(row: dict[str, Any]) -> str:
    """Declared formality, else the learned one marked with ~, else -."""
    if row["formality"] is not None:
        return str(row["formality"])
    learned = row["learned_formality"]
    return f"~{learned:g}" if learned is not None else "-"


@app.command("add")
def add(
    name: NameArg,
    tone: ToneOpt = None,
    formality: FormalityOpt = None,
    emoji: EmojiOpt = None,
    use: UseOpt = None,
    avoid: AvoidOpt = None,
    description: DescOpt = None,
    sample: Annotated[list[str] | None, typer.Option(
        "--sample", help="A sample post in this voice; repeatable.")] = None,
    default: Annotated[bool, typer.Option(
        "--default", help="Make it the organization's default voice.")] = False,
    json_: JsonOption = False,
) -> None:
    """Add a voice profile from declared characteristics.

    Example: socialhub voices add shop --tone warm,direct --formality 4 --avoid "synergy" --default
    """
    from socialhub.services.ai.voices import add_voice, voice_summary

    hub = get_hub()
    with hub.context("cli") as ctx:
        voice = add_voice(ctx, name, description=description, tone=tone,
                          formality=formality, emoji_use=emoji, phrases_use=use,
                          phrases_avoid=avoid, samples=sample, default=default)
        data = voice_summary(voice)
    if json_:
        emit_json(data)
    else:
        info(f"added voice {name}" + (" (default)" if data["default"] else ""))


@app.command("list")
def list_(json_: JsonOption = False) -> None:
    """List voice profiles; the default is marked with *."""
    from socialhub.services.ai.voices import list_voices, voice_summary

    hub = get_hub()
    with hub.context("cli") as ctx:
        rows = [voice_summary(v) for v in list_voices(ctx)]
    if json_:
        emit_json(rows)
    else:
        _render_list(rows)


@app.command("show")
def show(name: NameArg, json_: JsonOption = False) -> None:
    """Explain a voice profile in plain words (--json: every statistic)."""
    from socialhub.services.ai.voices import show_voice

    hub = get_hub()
    with hub.context("cli") as ctx:
        data = show_voice(ctx, name)
    if json_:
        emit_json(data)
        return
    from rich.text import Text

    console = out()
    console.print(Text.assemble((data["name"], "bold"),
                                " (default)" if data["default"] else ""))
    for line in data["explanation"]:
        console.print(f"  {line}", markup=False)


@app.command("edit")
def edit(
    name: NameArg,
    rename: Annotated[str | None, typer.Option("--rename", help="A new name.")] = None,
    tone: ToneOpt = None,
    formality: FormalityOpt = None,
    emoji: EmojiOpt = None,
    use: UseOpt = None,
    avoid: AvoidOpt = None,
    no_use: Annotated[list[str] | None, typer.Option(
        "--no-use", help="Stop preferring this phrase; repeatable.")] = None,
    no_avoid: Annotated[list[str] | None, typer.Option(
        "--no-avoid", help="Stop avoiding this phrase; repeatable.")] = None,
    description: DescOpt = None,
    default: Annotated[bool | None, typer.Option(
        "--default/--no-default", help="Make it (or stop it being) the default voice.")] = None,
    json_: JsonOption = False,
) -> None:
    """Change a voice's declared traits (--tone replaces the list).

    Example: socialhub voices edit shop --formality 6 --avoid "game-changer" --default
    """
    from socialhub.services.ai.voices import edit_voice, voice_summary

    hub = get_hub()
    with hub.context("cli") as ctx:
        voice = edit_voice(ctx, name, rename=rename, description=description,
                           tone=tone, formality=formality, emoji_use=emoji, add_use=use,
                           add_avoid=avoid, drop_use=no_use, drop_avoid=no_avoid,
                           default=default)
        data = voice_summary(voice)
    if json_:
        emit_json(data)
    else:
        info(f"updated voice {data['name']}")


@app.command("remove")
def remove(name: NameArg) -> None:
    """Remove a voice profile (posts written with it keep their text)."""
    from socialhub.services.ai.voices import remove_voice

    hub = get_hub()
    with hub.context("cli") as ctx:
        remove_voice(ctx, name)
    info(f"removed voice {name}")


@app.command("train")
def train(
    name: NameArg,
    from_: Annotated[Path, typer.Option(
        "--from", help="A file with one post per line (or posts separated by --- lines), "
        "or a folder of .txt/.md files.")],
    append: Annotated[bool, typer.Option(
        "--append", help="Add to the samples already learned instead of replacing them.")]
    = False,
    json_: JsonOption = False,
) -> None:
    """Learn a voice from a person's own posts (creating it if needed).

    Example: socialhub voices train shop --from my-posts.txt
    """
    from socialhub.services.ai.voices import read_samples, train_voice, voice_summary

    samples = read_samples(from_)
    hub = get_hub()
    with hub.context("cli") as ctx:
        voice, created = train_voice(ctx, name, samples, append=append)
        data = voice_summary(voice, full=True)
    if json_:
        emit_json(data)
        return
    info(f"{'created and trained' if created else 'trained'} voice {name} on "
         f"{data['samples']} posts")
    for line in data["explanation"]:
        out().print(f"  {line}", markup=False)
