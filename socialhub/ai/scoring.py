"""Judge a variant: platform validity, voice fit (0–100), readability, risk flags. Pure.

Voice fit is a distance between the draft's surface statistics and the
profile's (learned statistics first, declared characteristics otherwise),
each feature scaled by a tolerance so no single one dominates.
"""

from __future__ import annotations

import math
import re
from typing import Any

from socialhub.ai import text_features as tf
from socialhub.ai.hashtags import recommended_count
from socialhub.ai.voice_stats import EMOJI_PER_POST
from socialhub.core.text import PlatformRules, count_links, measure

DISCLOSURE_RE = re.compile(
    r"(#ad\b|#advert|#sponsored|#paid\b|#partner|#anzeige|#werbung|#publicidad|#pub\b"
    r"|\bsponsored\b|\bpaid partnership\b|\badvertisement\b|\bin partnership with\b)",
    re.IGNORECASE)


def text_features(text: str) -> dict[str, float]:
    """The surface statistics of one post, on the same scales as ``learn_statistics``."""
    sents = [s for s in tf.sentences(tf.strip_entities(text)) if tf.words(s)]
    lens = [len(tf.words(s)) for s in sents]
    n = max(1, len(sents))
    words = max(1, len(tf.words(text)))
    return {
        "sentence_mean": sum(lens) / n if lens else 0.0,
        "emoji_per_post": float(tf.emoji_count(text)),
        "hashtags_per_post": float(len(tf.hashtags(text))),
        "question_rate": sum(tf.ends_question(s) for s in sents) / n,
        "exclamation_rate": sum(tf.ends_exclamation(s) for s in sents) / n,
        "contractions": len(tf.CONTRACTION_RE.findall(text)) * 100 / words,
        "grade": tf.reading_grade(text),
        "formality": tf.formality_score(text),
    }


def _expected(voice: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """Feature → (expected value, tolerance) from a voice profile."""
    s = voice.get("statistics") or {}
    exp: dict[str, tuple[float, float]] = {}
    if s:
        sw = s["sentence_words"]
        exp["sentence_mean"] = (sw["mean"], max(3.0, sw["stdev"]))
        exp["emoji_per_post"] = (s["emoji_per_post"], max(0.5, s["emoji_per_post"]))
        exp["hashtags_per_post"] = (s["hashtags_per_post"], max(1.0, s["hashtags_per_post"]))
        exp["question_rate"] = (s["question_rate"], 0.25)
        exp["exclamation_rate"] = (s["exclamation_rate"], 0.25)
        c = s["contractions_per_100_words"]
        exp["contractions"] = (c, max(2.0, c))
        if s.get("reading_grade") is not None:  # None: learned from non-Latin text
            exp["grade"] = (s["reading_grade"], 3.0)
        exp["formality"] = (s["formality"], 2.0)
    if voice.get("formality") is not None:
        exp["formality"] = (float(voice["formality"]), 2.0)
    if voice.get("emoji_use") in EMOJI_PER_POST:
        e = EMOJI_PER_POST[voice["emoji_use"]]
        exp["emoji_per_post"] = (e, max(0.5, e))
    return exp


def voice_fit(text: str, voice: dict[str, Any] | None) -> int | None:
    """How close ``text`` is to ``voice``, 0–100 (None when there is no voice to compare).

    Phrases the voice avoids cost 15 points each, reference words it never
    uses 5 each; phrases it likes add 5 each.
    """
    if not voice:
        return None
    exp = _expected(voice)
    feats = text_features(text)
    if exp:
        dist = [min(3.0, abs(feats[k] - v) / tol) for k, (v, tol) in exp.items()]
        fit = 100.0 * math.exp(-0.6 * sum(dist) / len(dist))
    else:
        fit = 100.0
    low = text.lower()
    fit -= 15 * sum(1 for p in voice.get("phrases_avoid") or [] if p.lower() in low)
    word_set = {w.lower() for w in tf.words(text)}
    never = (voice.get("statistics") or {}).get("never_used") or []
    fit -= 5 * sum(1 for w in never if (w in low if " " in w else w in word_set))
    fit += 5 * sum(1 for p in voice.get("phrases_use") or [] if p.lower() in low)
    return max(0, min(100, round(fit)))


def risk_flags(text: str, rules: PlatformRules, *, voice: dict[str, Any] | None = None,
               paid: bool = False) -> list[dict[str, str]]:
    """Risks a reviewer should see: banned phrases, missing paid disclosure, tag/link excess."""
    flags: list[dict[str, str]] = []
    low = text.lower()
    for phrase in (voice or {}).get("phrases_avoid") or []:
        if phrase.lower() in low:
            flags.append({"code": "banned_phrase",
                          "message": f"uses “{phrase}”, which the voice avoids"})
    if paid and not DISCLOSURE_RE.search(text):
        flags.append({"code": "missing_disclosure",
                      "message": "paid post without a disclosure such as #ad or “sponsored”"})
    platform = rules.platform
    n_tags = len(tf.hashtags(text))
    soft = recommended_count(rules)
    if rules.max_hashtags is not None and n_tags > rules.max_hashtags:
        flags.append({"code": "too_many_hashtags",
                      "message": f"{n_tags} hashtags; {platform} allows {rules.max_hashtags}"})
    elif n_tags > max(soft, 0) and n_tags > 1:
        flags.append({"code": "too_many_hashtags",
                      "message": f"{n_tags} hashtags; {soft} or fewer work best on {platform}"})
    links = count_links(text)
    if rules.max_links is not None and links > rules.max_links:
        flags.append({"code": "too_many_links",
                      "message": f"{links} links; {platform} allows {rules.max_links}"})
    elif links > 2:
        flags.append({"code": "too_many_links",
                      "message": f"{links} links; one or two read better on {platform}"})
    return flags


def score_variant(parts: list[str], rules: PlatformRules, *, limit: int | None = None,
                  voice: dict[str, Any] | None = None, paid: bool = False) -> dict[str, Any]:
    """Score one variant (its text, or its thread parts) for the platform of ``rules``.

    Returns:
        ``{"valid", "parts": [{"length", "limit", "unit", "valid", "problems"}],
        "voice_fit", "readability": {"reading_ease", "grade"}, "risks": [...]}``.
    """
    measures = [measure(p, rules, limit=limit) for p in parts] or [
        measure("", rules, limit=limit)]
    whole = "\n\n".join(parts)
    risks = risk_flags(whole, rules, voice=voice, paid=paid)
    for i, m in enumerate(measures, 1):
        if not m.valid:
            where = f"part {i}: " if len(measures) > 1 else ""
            risks.insert(0, {"code": "invalid",
                             "message": where + ("; ".join(m.problems) or "invalid")})
    return {
        "valid": all(m.valid for m in measures),
        "parts": [{"length": m.length, "limit": m.limit, "unit": m.unit, "valid": m.valid,
                   "problems": list(m.problems)} for m in measures],
        "voice_fit": voice_fit(whole, voice),
        "readability": {"reading_ease": tf.reading_ease(whole),
                        "grade": tf.reading_grade(whole)},
        "risks": risks,
    }
