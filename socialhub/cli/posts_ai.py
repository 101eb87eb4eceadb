"""``socialhub posts generate|adapt|rewrite|score``: AI-written variants, held to each platform.

``register(app)`` adds the commands to the ``posts`` noun (called by cli/posts.py).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from socialhub.cli.common import JsonOption, emit_json, get_hub, info
from socialhub.errors import ValidationError

if TYPE_CHECKING:
    from socialhub.services.ai.drafts import Draft

ProviderOpt = Annotated[str | None, typer.Option(
    "--provider", help="offline or anthropic (default: ai.provider in the config).")]
TargetsOpt = Annotated[list[str] | None, typer.Option(
    "--targets", help="Accounts to write for: platform:@handle, comma-separated or repeated.")]
VariantsOpt = Annotated[int, typer.Option(
    "--variants", min=1, max=5, help="Drafts per target; the first is stored as the text, the "
    "others as alternatives.")]
RefArg = Annotated[str, typer.Argument(help="Post name or id.")]


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def _print_draft(draft: Draft) -> None:
    # Plain echo, not Rich: drafts are data and must not be re-wrapped at 80 columns.
    label = f"{draft.target}" + (f" (variant {draft.n})" if draft.n > 1 else "")
    lines = [f"→ {label}"]
    parts = draft.parts
    for i, part in enumerate(parts, 1):
        head = f"  [{i}/{len(parts)}] " if len(parts) > 1 else "  "
        lines.append(head + part.replace("\n", "\n  "))
    typer.echo("\n".join(lines))
    for note in draft.notes:
        info(f"  note: {note}")
    # Flush per draft so a pipe sees the first variant while the rest are written.
    sys.stdout.flush()


def _notify(message: str) -> None:
    info(f"note: {message}")


def _done(data: dict[str, Any], json_: bool, verb: str) -> None:
    if json_:
        emit_json(data)
        return
    usage = data["usage"]
    cost = f", ${usage['cost_usd']:.4f}" if usage["cost_usd"] else ""
    info(f"{verb} draft post {data['post']} (id {data['id']}) with {data['provider']}"
         f"{cost}; see it with `socialhub posts show {data['post']}`")


def generate(
    idea: Annotated[str | None, typer.Option("--idea", help="What the post is about ('-' reads "
                                             "stdin); with --brief, the angle of this post.")]
    = None,
    brief: Annotated[str | None, typer.Option(
        "--brief", metavar="CAMPAIGN", help="Write from this campaign's brief: its topic, "
        "audience, tone, key messages, constraints and platforms; the draft joins the "
        "campaign.")] = None,
    targets: TargetsOpt = None,
    platforms: Annotated[list[str] | None, typer.Option(
        "--platforms", help="Write for every account on these platforms (comma-separated).")]
    = None,
    voice: Annotated[str | None, typer.Option(
        "--voice", help="Voice profile (default: the organization's default voice).")] = None,
    variants: VariantsOpt = 1,
    campaign: Annotated[str | None, typer.Option(
        "--campaign", help="Put the draft in this campaign.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="A unique post name.")] = None,
    provider: ProviderOpt = None,
    json_: JsonOption = False,
) -> None:
    """Write an idea or a campaign brief as one draft post.

    Each draft is valid for its platform: too long is re-asked, split into a
    thread, or trimmed at a sentence. Drafts print as soon as each is ready.
    With --brief the campaign's brief says what to write, for whom and where
    (its platforms, unless --targets or --platforms), in the brief's voice.

    Example: socialhub posts generate --idea "Spring sale starts Monday" --platforms bluesky,x

    Example: socialhub posts generate --brief spring
    """
    from socialhub.cli.stdin import read_stdin_text
    from socialhub.services.ai.generation import generate_post

    text = read_stdin_text() if idea == "-" else idea
    if brief is not None:
        from socialhub.services.ai.briefs import generate_from_brief

        data = generate_from_brief(get_hub(), brief, idea=text, targets=_split(targets),
                                   platforms=_split(platforms), voice=voice, variants=variants,
                                   provider=provider, name=name,
                                   on_draft=None if json_ else _print_draft, notify=_notify)
        _done(data, json_, "created")
        return
    if text is None:
        raise ValidationError("say what the post is about with --idea, or write from a "
                              "campaign's brief with --brief CAMPAIGN")
    data = generate_post(get_hub(), idea=text or "", targets=_split(targets),
                         platforms=_split(platforms), voice=voice, variants=variants,
                         campaign=campaign, provider=provider, name=name,
                         on_draft=None if json_ else _print_draft, notify=_notify)
    _done(data, json_, "created")


def adapt(
    ref: RefArg,
    targets: TargetsOpt = None,
    variants: VariantsOpt = 1,
    provider: ProviderOpt = None,
    json_: JsonOption = False,
) -> None:
    """Re-derive variants from the body for the targets.

    Example: socialhub posts adapt spring-sale --targets linkedin:@shop,threads:@shop
    """
    from socialhub.services.ai.generation import adapt_post

    data = adapt_post(get_hub(), ref, targets=_split(targets), variants=variants,
                      provider=provider, on_draft=None if json_ else _print_draft,
                      notify=_notify)
    _done(data, json_, "adapted")


def rewrite(
    ref: RefArg,
    target: Annotated[str, typer.Option("--target", help="The account whose variant to "
                                        "rewrite (platform:@handle).")],
    instruction: Annotated[str, typer.Option("--instruction", help="How to rewrite it, e.g. "
                                             "'shorter and more formal'.")],
    provider: ProviderOpt = None,
    json_: JsonOption = False,
) -> None:
    """Rewrite one target's variant by an instruction.

    Example: socialhub posts rewrite spring-sale --target x:@shop --instruction "shorter"
    """
    from socialhub.services.ai.generation import rewrite_variant

    data = rewrite_variant(get_hub(), ref, target=target, instruction=instruction,
                           provider=provider, notify=_notify)
    if not json_:
        for v in data["variants"]:
            from socialhub.services.ai.drafts import Draft

            _print_draft(Draft(target=v["target"], n=1, text=v["text"], thread=v["thread"],
                               notes=v["notes"]))
    _done(data, json_, "rewrote")


def translate(
    ref: RefArg,
    to: Annotated[list[str], typer.Option(
        "--to", metavar="LANG", help="Languages as BCP 47 tags (de, fr-CA, pt-BR), "
        "comma-separated or repeated.")],
    provider: ProviderOpt = None,
    json_: JsonOption = False,
) -> None:
    """Translate a post: one draft post per language.

    Each language becomes POST.LANG (e.g. spring-launch.fr-ca) with the same
    targets, campaign, voice and tags, each variant recording its language and
    fitting its platform. Needs Anthropic: offline it refuses, writing nothing.

    Example: socialhub posts translate spring-launch --to de,fr-CA
    """
    from socialhub.services.ai.translation import translate_post

    data = translate_post(get_hub(), ref, to=_split(to) or [], provider=provider,
                          notify=_notify)
    if json_:
        emit_json(data)
        return
    for t in data["translations"]:
        for v in t["variants"]:
            from socialhub.services.ai.drafts import Draft

            _print_draft(Draft(target=f"{v['target']} [{t['language']}]", n=1, text=v["text"],
                               thread=v["thread"], notes=v["notes"]))
    usage = data["usage"]
    cost = f", ${usage['cost_usd']:.4f}" if usage["cost_usd"] else ""
    names = ", ".join(t["post"] for t in data["translations"])
    info(f"translated {data['post']} into {names} with {data['provider']}{cost}")


def score(ref: RefArg, json_: JsonOption = False) -> None:
    """Score variants: validity, voice fit, readability, risks."""
    from socialhub.services.ai.generation import score_post

    hub = get_hub()
    with hub.context("cli") as ctx:
        data = score_post(ctx, ref)
    if json_:
        emit_json(data)
        return
    lines = [f"post {data['post']}  voice: {data['voice'] or '(none)'}"]
    for row in data["variants"]:
        lengths = ", ".join(f"{p['length']}/{p['limit']}" for p in row["parts"])
        fit = "-" if row["voice_fit"] is None else row["voice_fit"]
        label = row["target"] + ("" if row["stored"] else f" (alternative {row['n']})")
        lines.append(f"{label}: {'valid' if row['valid'] else 'INVALID'} ({lengths} "
                     f"{row['parts'][0]['unit']}), voice fit {fit}, reading ease "
                     f"{row['readability']['reading_ease']:g} (grade "
                     f"{row['readability']['grade']:g})")
        lines.extend(f"    ! {risk['message']}" for risk in row["risks"])
    typer.echo("\n".join(lines))


def register(app: typer.Typer) -> None:
    """Add ``generate``, ``adapt``, ``rewrite``, ``translate`` and ``score`` to ``posts``."""
    app.command("generate")(generate)
    app.command("adapt")(adapt)
    app.command("rewrite")(rewrite)
    app.command("translate")(translate)
    app.command("score")(score)
