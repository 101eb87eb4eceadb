"""The offline engine: deterministic drafts from rules and templates, no network, no key.

It applies the voice (formality by contractions, avoided phrases removed,
emoji and exclamation habits, liked phrases), adds hashtags from keywords,
and fits each draft to its platform by that platform's counter (thread split
or sentence-boundary trim). The same input always gives the same output.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

from socialhub.ai import text_features as tf
from socialhub.ai.base import Draft, OnDraft, Provider, Target, Usage, UsageLog, VoiceBrief
from socialhub.ai.fitting import drop_trailing_hashtags, fit_text, trim_to_fit
from socialhub.ai.hashtags import suggest_hashtags
from socialhub.ai.voice_stats import EMOJI_PER_POST

MODEL = "offline-1"

_CONTRACTIONS = [
    ("do not", "don't"), ("does not", "doesn't"), ("did not", "didn't"), ("is not", "isn't"),
    ("are not", "aren't"), ("was not", "wasn't"), ("cannot", "can't"), ("will not", "won't"),
    ("we are", "we're"), ("you are", "you're"), ("they are", "they're"), ("it is", "it's"),
    ("that is", "that's"), ("there is", "there's"), ("we will", "we'll"), ("i am", "I'm"),
    ("we have", "we've"), ("you will", "you'll"), ("let us", "let's"),
]
_CLOSERS = {
    "formal": "We would welcome your thoughts.",
    "neutral": "What do you think?",
    "casual": "What do you think?",
}


def _case_like(src: str, repl: str) -> str:
    return repl[:1].upper() + repl[1:] if src[:1].isupper() else repl


def _replace_all(text: str, pairs: list[tuple[str, str]]) -> str:
    for a, b in pairs:
        def swap(m: re.Match[str], b: str = b) -> str:
            return _case_like(m.group(0), b)

        text = re.sub(rf"\b{re.escape(a)}\b", swap, text, flags=re.IGNORECASE)
    return text


def contract(text: str) -> str:
    """Use contractions (casual voices): ``we are`` → ``we're``."""
    return _replace_all(text, _CONTRACTIONS)


def expand(text: str) -> str:
    """Avoid contractions (formal voices): ``don't`` → ``do not``."""
    pairs = [(b, a) for a, b in _CONTRACTIONS] + [(b.replace("'", "’"), a)
                                                   for a, b in _CONTRACTIONS]
    return _replace_all(text, pairs)


def remove_phrases(text: str, phrases: list[str]) -> str:
    """``text`` without any of ``phrases`` (case-insensitive).

    A sentence holding one is dropped whole, unless it is the only sentence,
    where just the phrase goes; spacing and capitals are tidied.
    """
    phrases = [p.strip() for p in phrases if p.strip()]
    if not phrases:
        return text
    sents = tf.sentences(text)
    if len(sents) > 1 and "\n" not in text:
        kept = [s for s in sents if not any(p.lower() in s.lower() for p in phrases)]
        if kept:
            text = " ".join(kept)
    for p in phrases:
        if p.strip():
            text = re.sub(re.escape(p.strip()), "", text, flags=re.IGNORECASE)
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"\s+([,.!?;:])", r"\1", text)
    text = re.sub(r"^[\s,;:]+", "", text).strip()
    return re.sub(r"(^|[.!?]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)


def remove_emoji(text: str) -> str:
    """``text`` without emoji."""
    return re.sub(r"[ \t]{2,}", " ", "".join(
        g for g in tf.graphemes(text) if g not in set(tf.emoji_list(text)))).strip()


def _formality(voice: VoiceBrief | None) -> float:
    if voice is None:
        return 5.0
    if voice.formality is not None:
        return float(voice.formality)
    return float(voice.statistics.get("formality", 5.0)) if voice.statistics else 5.0


def _emoji_rate(voice: VoiceBrief | None) -> float:
    if voice is None:
        return 0.0
    if voice.emoji_use in EMOJI_PER_POST:
        return EMOJI_PER_POST[voice.emoji_use]
    return float(voice.statistics.get("emoji_per_post", 0.0)) if voice.statistics else 0.0


def apply_voice(text: str, voice: VoiceBrief | None, *, n: int = 1) -> str:
    """Shape ``text`` to ``voice`` (variant ``n`` picks among the voice's habits)."""
    text = " ".join(text.split()) if "\n" not in text else text.strip()
    if not text:
        return text
    last = text.split()[-1]
    if text[-1] not in ".!?…" and not last.startswith(("#", "@", "http")) \
            and not tf.emoji_count(tf.graphemes(text)[-1]):
        text += "."
    if voice is None:
        return text if n != 2 or text.endswith("?") else f"{text} {_CLOSERS['neutral']}"
    formality = _formality(voice)
    stats = voice.statistics or {}
    text = remove_phrases(text, list(voice.phrases_avoid))
    if formality >= 7:
        text = expand(text).replace("!", ".")
    elif formality <= 4:
        text = contract(text)
    if voice.phrases_use and n >= 2:
        phrase = voice.phrases_use[(n - 2) % len(voice.phrases_use)].strip()
        if phrase and phrase.lower() not in text.lower():
            text = f"{phrase.rstrip('.:')}: {text[:1].lower() + text[1:]}" if n % 2 == 0 \
                else f"{text} {phrase[:1].upper() + phrase[1:]}"
    if stats.get("exclamation_rate", 0) >= 0.3 and formality < 7 and text.endswith("."):
        text = text[:-1] + "!"
    if n == 2 or stats.get("question_rate", 0) >= 0.3:
        style = "formal" if formality >= 7 else "casual" if formality <= 4 else "neutral"
        if not text.rstrip().endswith("?"):
            text = f"{text} {_CLOSERS[style]}"
    rate = _emoji_rate(voice)
    if rate < 0.05:
        text = remove_emoji(text)
    elif not tf.emoji_count(text):
        favourites = stats.get("top_emoji") or ["✨", "👉", "🚀"]
        text = f"{text} {favourites[(n - 1) % len(favourites)]}"
        if rate >= 1.5:
            text = f"{favourites[n % len(favourites)]} {text}"
    if stats.get("lowercase_start_share", 0) > 0.6:
        text = text[:1].lower() + text[1:]
    return text


def _hashtag_count(target: Target, voice: VoiceBrief | None) -> int:
    stats = voice.statistics if voice else {}
    if stats:
        return min(target.hashtags, round(stats.get("hashtags_per_post", 0)))
    return target.hashtags


def compose(idea: str, target: Target, voice: VoiceBrief | None, n: int = 1) -> Draft:
    """Write draft ``n`` of ``idea`` for ``target``: voice, hashtags, then fit to the platform."""
    body = idea.strip()
    if n == 3 or (n > 3 and n % 2 == 1):
        body = (tf.sentences(body) or [body])[0]  # a short take: the lead sentence only
    text = apply_voice(body, voice, n=n)
    favourites = list((voice.statistics or {}).get("top_hashtags", [])) if voice else []
    count = _hashtag_count(target, voice)
    pool = suggest_hashtags(idea, target.rules, count=count + 2, favourites=favourites)
    shift = (n - 1) % len(pool) if pool else 0
    tags = (pool[shift:] + pool[:shift])[:count]
    if tags:
        sep = "\n\n" if target.limit >= 1000 else " "
        text = f"{text}{sep}{' '.join(tags)}"
    final, thread, how = fit_text(text, target.rules, limit=target.limit,
                                  allow_thread=target.supports_threads)
    notes = [f"{how} to fit {target.platform}"] if how else []
    return Draft(target=target.ref, n=n, text=final, thread=thread, provider="offline",
                 notes=notes)


_INSTRUCTIONS: list[tuple[tuple[str, ...], str]] = [
    (("short", "concise", "brief", "trim", "tighter"), "shorter"),
    (("formal", "professional", "serious"), "formal"),
    (("casual", "friendly", "informal", "relaxed", "warmer"), "casual"),
    (("no emoji", "without emoji", "remove emoji", "remove the emoji", "drop emoji"), "no_emoji"),
    (("emoji",), "emoji"),
    (("no hashtag", "without hashtag", "remove hashtag", "drop hashtag", "remove the hashtag"),
     "no_tags"),
    (("hashtag",), "tags"),
    (("question", "ask "), "question"),
    (("excit", "enthusias", "energetic", "punchy"), "excited"),
]


def rewrite_offline(text: str, target: Target, voice: VoiceBrief | None,
                    instruction: str) -> Draft:
    """Apply the instructions the offline engine understands (shorter, formal, casual, emoji,
    hashtags, question, excited); unknown ones leave a note instead of guessing."""
    low = instruction.lower()
    done: list[str] = []
    for keys, action in _INSTRUCTIONS:
        if not any(k in low for k in keys) or (action == "emoji" and "no_emoji" in done) or (
                action == "tags" and "no_tags" in done):
            continue
        done.append(action)
        if action == "shorter":
            sents = tf.sentences(drop_trailing_hashtags(text)) or [text]
            text = " ".join(sents[:max(1, len(sents) // 2)])
        elif action == "formal":
            text = remove_emoji(expand(text)).replace("!", ".")
        elif action == "casual":
            text = contract(text)
        elif action == "no_emoji":
            text = remove_emoji(text)
        elif action == "emoji" and not tf.emoji_count(text):
            text += " ✨"
        elif action == "no_tags":
            text = " ".join(w for w in text.split(" ") if not w.startswith("#")).strip()
        elif action == "tags":
            text = " ".join([text, *suggest_hashtags(text, target.rules)])
        elif action == "question" and not text.rstrip().endswith("?"):
            text += " What do you think?"
        elif action == "excited":
            text = re.sub(r"\.(\s|$)", r"!\1", text, count=1)
    notes = [] if done else [
        "the offline engine did not understand the instruction; the voice was applied instead"]
    if not done:
        text = apply_voice(text, voice)
    final, thread, how = fit_text(text, target.rules, limit=target.limit,
                                  allow_thread=target.supports_threads)
    return Draft(target=target.ref, n=1, text=final, thread=thread, provider="offline",
                 notes=notes + ([f"{how} to fit {target.platform}"] if how else []))


class OfflineProvider(Provider):
    """Deterministic drafts with no network; every call is logged at zero cost."""

    name = "offline"
    model = MODEL

    def _log(self, usage: UsageLog, task: str, started: float) -> None:
        usage.record(Usage(provider=self.name, model=self.model, task=task,
                           latency_ms=round((time.perf_counter() - started) * 1000)))

    def generate(self, idea: str, targets: list[Target], voice: VoiceBrief | None, *,
                 variants: int, usage: UsageLog, on_draft: OnDraft | None = None,
                 brief: Mapping[str, Any] | None = None) -> list[Draft]:
        """Write every draft in order, handing each to ``on_draft`` at once (a brief's
        topic and key messages are the idea the caller passes; the engine reads no more
        of it)."""
        started = time.perf_counter()
        drafts: list[Draft] = []
        for n in range(1, variants + 1):
            for target in targets:
                draft = compose(idea, target, voice, n)
                drafts.append(draft)
                if on_draft:
                    on_draft(draft)
        self._log(usage, "generate", started)
        return drafts

    def rewrite(self, text: str, target: Target, voice: VoiceBrief | None, instruction: str, *,
                usage: UsageLog) -> Draft:
        """Rewrite by the instructions the engine understands."""
        started = time.perf_counter()
        draft = rewrite_offline(text, target, voice, instruction)
        self._log(usage, "rewrite", started)
        return draft

    def shorten(self, text: str, target: Target, voice: VoiceBrief | None, length: int, *,
                usage: UsageLog) -> str:
        """Trim at a sentence boundary."""
        return trim_to_fit(text, target.rules, target.limit)
