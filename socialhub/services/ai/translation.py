"""``posts translate POST --to de,fr-CA``: locale variants written by a language model.

Each language becomes a sibling draft post, ``<post>.<tag>`` (``spring-launch.fr-ca``),
with one variant per target of the original, its ``language`` recorded (BCP 47)
and ``options.translation_of`` naming the original: a variant is one account's
text, so a second language for the same account is a second post, which is also
how it is scheduled and exported. The campaign, voice, tags and paid flag are
the original's; the voice written in is the post's, else its campaign brief's, else
the organization's default.

Translation needs Anthropic: the offline engine cannot translate, and this
refuses rather than pretending (no fallback to offline either). Every language
tag is checked before any call; the drafts are made to fit each platform (one
re-ask, then a thread or a trim) and stored together, or not at all.
"""

from __future__ import annotations

from typing import Any

from socialhub.ai.base import Draft, ProviderError
from socialhub.ai.fitting import join_thread
from socialhub.core.locales import normalize_locale
from socialhub.core.policy import Permission
from socialhub.db.queries.posts import post_id_named
from socialhub.errors import AuthError, BudgetError, ConfigError, ConflictError, ValidationError
from socialhub.services.ai.generation import (
    AS_CLI,
    Acting,
    GenerationRunner,
    Job,
    Notify,
    choose_provider,
    month_spend,
    record_usage,
    target_for,
)
from socialhub.services.ai.voices import default_voice, get_voice, voice_brief
from socialhub.services.authoring.posts import TargetSpec, create_post, get_post
from socialhub.services.hub import Hub

_FINAL = ("canceled",)


def parse_languages(values: list[str]) -> list[str]:
    """``["de", "fr-ca"]`` → ``["de", "fr-CA"]``, each a registered BCP 47 tag, no repeats.

    Raises:
        ValidationError: no language, or an unknown one (named, with examples).
    """
    out: list[str] = []
    for value in values:
        try:
            tag = normalize_locale(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        if tag not in out:
            out.append(tag)
    if not out:
        raise ValidationError("say which languages with --to, e.g. --to de,fr-CA")
    return out


def translation_name(post: str, language: str) -> str:
    """The translated post's name: ``spring-launch`` + ``fr-CA`` → ``spring-launch.fr-ca``."""
    return f"{post}.{language.lower()}"


def translate_post(hub: Hub, ref: str, *, to: list[str], provider: str | None = None,
                   notify: Notify = lambda _m: None,
                   acting: Acting = AS_CLI) -> dict[str, Any]:
    """Translate every target of post ``ref`` into each language of ``to``.

    Returns the new posts (name, id, language, each variant's text) and the usage.
    ``acting`` says whom it acts as (needs ``ai.generate`` and ``posts.write``); the
    model is called outside any database transaction.

    Raises:
        ValidationError: an unknown language tag, or a post without targets.
        ConfigError: no language model (the offline engine cannot translate).
        ConflictError: a translation of that post into that language exists already.
        BudgetError: the provider failed or the monthly budget is spent.
    """
    languages = parse_languages(to)
    with acting.reading(hub, Permission.AI_GENERATE, Permission.POSTS_WRITE) as ctx:
        session, org_id = ctx.session, ctx.org_id
        post = get_post(session, org_id, ref)
        if post.status in _FINAL:
            raise ConflictError(f"post {post.name} is {post.status}")
        if not post.variants:
            raise ValidationError(f"post {post.name} has no targets to translate",
                                  hint=f"add one with `socialhub posts edit {post.name} "
                                       "--add-target platform:@handle`")
        names = {lang: translation_name(post.name, lang) for lang in languages}
        for lang, name in names.items():
            if post_id_named(session, org_id, name):
                raise ConflictError(f"post {post.name} is already translated to {lang} "
                                    f"({name})", hint=f"remove {name} first to translate again")
        brief_voice = (post.campaign.brief or {}).get("voice") if post.campaign else None
        profile = (post.voice or (get_voice(session, org_id, brief_voice) if brief_voice else None)
                   or default_voice(session, org_id))
        accounts = [v.account for v in post.variants]
        sources = [(v.account.ref, join_thread(v.parts), v.media, v.first_comment)
                   for v in post.variants]
        job = Job(org_id, [target_for(a) for a in accounts], voice_brief(profile),
                  profile.name if profile else None, month_spend(session, org_id))
        original: dict[str, Any] = {
            "name": post.name, "campaign": post.campaign.name if post.campaign else None,
            "voice": post.voice.name if post.voice else None, "tags": list(post.tags or []),
            "paid": post.paid}
    chosen = choose_provider(hub, provider, notify)
    if chosen.name == "offline":
        raise ConfigError("translation needs a language model; the offline engine cannot "
                          "translate and will not pretend to",
                          hint="set ANTHROPIC_API_KEY (or ai.api_key) and use --provider "
                               "anthropic")
    runner = GenerationRunner(hub, job, chosen, notify)
    drafts: dict[str, list[Draft]] = {}
    try:
        for lang in languages:
            drafts[lang] = [runner.fit(chosen.translate(text, runner.by_ref[ref], job.voice,
                                                        lang, usage=runner.usage))
                            for ref, text, _media, _comment in sources]
    except (ProviderError, AuthError, BudgetError):
        record_usage(hub, org_id, runner.usage)  # the calls made may have cost money
        raise
    created: list[dict[str, Any]] = []
    with runner.saving() as session, acting.writing(hub, session) as ctx:
        for lang in languages:
            specs = [TargetSpec(account=d.target, text=d.text, thread=d.thread or None,
                                media=list(media or []), first_comment=comment,
                                options={"translation_of": original["name"],
                                         "generated": {"provider": chosen.name,
                                                       "model": chosen.model}})
                     for d, (_ref, _text, media, comment) in zip(drafts[lang], sources,
                                                                 strict=True)]
            new = create_post(ctx, body=drafts[lang][0].text, targets=specs, name=names[lang],
                              campaign=original["campaign"], voice=original["voice"],
                              tags=original["tags"], paid=original["paid"])
            for variant in new.variants:
                variant.language = lang
            created.append({"post": new.name, "id": new.id, "language": lang,
                            "variants": [{"target": d.target, "text": d.text,
                                          "thread": d.thread, "notes": d.notes}
                                         for d in drafts[lang]]})
        calls = runner.usage.calls
        return acting.kept(ctx, {
            "post": original["name"], "provider": chosen.name, "translations": created,
            "usage": {"calls": len(calls),
                      "input_tokens": sum(u.input_tokens for u in calls),
                      "output_tokens": sum(u.output_tokens for u in calls),
                      "cost_usd": round(sum(u.cost_usd for u in calls), 6)}})

