"""Learn a voice from a person's own posts: measurable statistics only, no model calls.

``learn_statistics`` is pure and deterministic: the same samples give the same
numbers, which ``scoring.voice_fit`` later compares a draft against and the
offline engine applies. ``describe_voice`` turns a profile into plain sentences.
"""

from __future__ import annotations

import statistics as st
from collections import Counter
from typing import Any

from socialhub.ai import text_features as tf

# 2: words and sentences in every script; reading grade/ease None for non-Latin text.
STATS_VERSION = 2

# Words common in social posts. Those a person never writes are part of their
# voice ("never says 'excited'"), so drafts using them lose voice fit.
REFERENCE_WORDS = [*tf.wordlist(
    "excited thrilled delighted amazing awesome incredible game-changer synergy leverage "
    "utilize revolutionary innovative disrupt unlock empower seamless cutting-edge journey "
    "passionate humbled grateful blessed literally actually basically honestly very really "
    "super huge epic crazy insane guys folks hey"), "stay tuned", "check out", "don't miss"]


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return float(ordered[idx])


def _frequent_phrases(samples: list[str], limit: int = 10) -> list[str]:
    """Two- and three-word phrases used in at least two posts, not made only of stopwords."""
    seen: Counter[str] = Counter()
    for sample in samples:
        ws = [w.lower() for w in tf.words(sample)]
        grams = set()
        for n in (2, 3):
            for i in range(len(ws) - n + 1):
                gram = ws[i:i + n]
                if all(w in tf.STOPWORDS for w in gram) or gram[0] in tf.STOPWORDS \
                        or gram[-1] in tf.STOPWORDS:
                    continue
                grams.add(" ".join(gram))
        seen.update(grams)
    ranked = sorted(((c, p) for p, c in seen.items() if c >= 2), key=lambda x: (-x[0], x[1]))
    phrases: list[str] = []
    for _, phrase in ranked:
        if any(phrase in longer for longer in phrases):
            continue
        phrases.append(phrase)
        if len(phrases) == limit:
            break
    return phrases


def learn_statistics(samples: list[str]) -> dict[str, Any]:
    """Measure a person's posts and return the statistics of their voice.

    Args:
        samples: One string per post (blank ones are ignored).

    Returns:
        A JSON-ready dict: sentence length distribution (words), post length,
        emoji/hashtag/mention/link rates, question and exclamation rates,
        reading grade and ease (None when most words are not Latin-script:
        the Flesch formulas only hold there), formality markers and a 1–10 formality
        estimate, frequent phrases, top words, top hashtags and emoji, and
        reference words the person never uses. Empty input gives ``{}``.
    """
    posts = [s.strip() for s in samples if s and s.strip()]
    if not posts:
        return {}
    sent_lengths: list[float] = []
    questions = exclamations = n_sentences = 0
    all_words: list[str] = []
    emoji: Counter[str] = Counter()
    tags: Counter[str] = Counter()
    for post in posts:
        for sentence in tf.sentences(tf.strip_entities(post)):
            n = len(tf.words(sentence))
            if n == 0:
                continue
            n_sentences += 1
            sent_lengths.append(float(n))
            questions += tf.ends_question(sentence)
            exclamations += tf.ends_exclamation(sentence)
        all_words.extend(w.lower() for w in tf.words(post))
        emoji.update(tf.emoji_list(post))
        tags.update(t.lower() for t in tf.hashtags(post))
    n_posts = len(posts)
    n_words = max(1, len(all_words))
    joined = "\n".join(posts)
    word_set = set(all_words)
    lowered = joined.lower()
    measurable = tf.readability_measurable(joined)
    # The reference words are English: "never says 'excited'" says nothing of a
    # person who writes in Russian or Japanese.
    never = [w for w in REFERENCE_WORDS
             if (w not in lowered if " " in w else w not in word_set)] \
        if measurable else []
    content_words = Counter(w for w in all_words if w not in tf.STOPWORDS and len(w) > 2)
    emoji_posts = sum(1 for p in posts if tf.emoji_count(p))
    return {
        "version": STATS_VERSION,
        "samples": n_posts,
        "sentences": n_sentences,
        "sentence_words": {
            "mean": round(st.fmean(sent_lengths), 2) if sent_lengths else 0.0,
            "median": _percentile(sent_lengths, 0.5),
            "p10": _percentile(sent_lengths, 0.1),
            "p90": _percentile(sent_lengths, 0.9),
            "stdev": round(st.pstdev(sent_lengths), 2) if len(sent_lengths) > 1 else 0.0,
        },
        "post_chars": {
            "mean": round(st.fmean(len(p) for p in posts), 1),
            "median": _percentile([float(len(p)) for p in posts], 0.5),
            "max": max(len(p) for p in posts),
        },
        "emoji_per_post": round(sum(emoji.values()) / n_posts, 3),
        "emoji_post_share": round(emoji_posts / n_posts, 3),
        "hashtags_per_post": round(sum(tags.values()) / n_posts, 3),
        "mentions_per_post": round(sum(len(tf.mentions(p)) for p in posts) / n_posts, 3),
        "links_per_post": round(sum(len(tf.find_urls(p)) for p in posts) / n_posts, 3),
        "question_rate": round(questions / max(1, n_sentences), 3),
        "exclamation_rate": round(exclamations / max(1, n_sentences), 3),
        "reading_grade": tf.reading_grade(joined) if measurable else None,
        "reading_ease": tf.reading_ease(joined) if measurable else None,
        "contractions_per_100_words": round(
            len(tf.CONTRACTION_RE.findall(joined)) * 100 / n_words, 2),
        "formal_markers_per_100_words": round(
            sum(w in tf.FORMAL_MARKERS for w in all_words) * 100 / n_words, 2),
        "informal_markers_per_100_words": round(
            sum(w in tf.INFORMAL_MARKERS for w in all_words) * 100 / n_words, 2),
        "lowercase_start_share": round(
            sum(1 for p in posts if p[:1].islower()) / n_posts, 3),
        "formality": round(st.fmean(tf.formality_score(p) for p in posts), 1),
        "frequent_phrases": _frequent_phrases(posts),
        "top_words": [w for w, _ in content_words.most_common(12)],
        "top_hashtags": [t for t, _ in tags.most_common(8)],
        "top_emoji": [e for e, _ in emoji.most_common(5)],
        "never_used": never,
    }


def learned_tone(stats: dict[str, Any]) -> list[str]:
    """Tone words that learned statistics support, most telling first (``[]`` untrained).

    Each word stands for a measured fact, so it can be checked against the
    numbers: casual/formal from the formality estimate, enthusiastic from the
    exclamation rate, curious from the question rate, playful from emoji use,
    concise/detailed from the mean sentence length.
    """
    if not stats:
        return []
    tone: list[str] = []
    formality = stats.get("formality")
    if formality is not None:
        if formality <= 4:
            tone.append("casual")
        elif formality >= 7:
            tone.append("formal")
    if stats.get("exclamation_rate", 0) >= 0.25:
        tone.append("enthusiastic")
    if stats.get("question_rate", 0) >= 0.2:
        tone.append("curious")
    if stats.get("emoji_per_post", 0) >= 0.8:
        tone.append("playful")
    mean = (stats.get("sentence_words") or {}).get("mean", 0.0)
    if 0 < mean <= 10:
        tone.append("concise")
    elif mean >= 20:
        tone.append("detailed")
    if not tone:
        tone.append("neutral")
    return tone


def learned_formality(stats: dict[str, Any]) -> float | None:
    """The 1–10 formality measured in training (None when untrained)."""
    value = (stats or {}).get("formality")
    return float(value) if value is not None else None


def emoji_level(per_post: float) -> str:
    """The declared emoji level that matches a measured emoji rate."""
    if per_post < 0.05:
        return "none"
    if per_post < 0.5:
        return "low"
    if per_post < 1.5:
        return "medium"
    return "high"


EMOJI_PER_POST = {"none": 0.0, "low": 0.3, "medium": 1.0, "high": 2.5}


def _rate_words(rate: float) -> str:
    if rate < 0.02:
        return "almost never"
    if rate < 0.1:
        return "sometimes"
    if rate < 0.3:
        return "often"
    return "very often"


def describe_voice(profile: dict[str, Any]) -> list[str]:
    """Explain a voice profile (declared and learned parts) as plain sentences."""
    lines: list[str] = []
    if profile.get("description"):
        lines.append(str(profile["description"]).rstrip(".") + ".")
    if profile.get("tone"):
        lines.append("Tone: " + ", ".join(profile["tone"]) + ".")
    formality = profile.get("formality")
    if formality is not None:
        word = ("very casual" if formality <= 2 else "casual" if formality <= 4 else
                "neutral" if formality <= 6 else "formal" if formality <= 8 else "very formal")
        lines.append(f"Formality {formality}/10: {word}.")
    if profile.get("emoji_use"):
        lines.append(f"Emoji use: {profile['emoji_use']}.")
    if profile.get("phrases_use"):
        lines.append("Likes to say: " + "; ".join(f"“{p}”" for p in profile["phrases_use"]) + ".")
    if profile.get("phrases_avoid"):
        lines.append("Never says: " + "; ".join(f"“{p}”" for p in profile["phrases_avoid"])
                     + ".")
    s = profile.get("statistics") or {}
    if not s:
        lines.append("Nothing learned yet: train it with `socialhub voices train NAME --from "
                     "FILE` to add statistics from real posts.")
        return lines
    sw = s["sentence_words"]
    lines.append(
        f"Learned from {s['samples']} posts ({s['sentences']} sentences). Sentences run "
        f"{sw['mean']:g} words on average (most between {sw['p10']:g} and {sw['p90']:g}); "
        f"posts are about {s['post_chars']['median']:g} characters.")
    lines.append(
        f"Uses {s['emoji_per_post']:g} emoji and {s['hashtags_per_post']:g} hashtags per post; "
        f"asks questions {_rate_words(s['question_rate'])} and exclaims "
        f"{_rate_words(s['exclamation_rate'])}.")
    if s.get("reading_grade") is not None and s.get("reading_ease") is not None:
        reads = (f"Reads at school grade {s['reading_grade']:g} "
                 f"(reading ease {s['reading_ease']:g})")
    else:
        reads = "Reading grade not measured (the Flesch formulas are for Latin-script text)"
    lines.append(
        f"{reads}; {s['contractions_per_100_words']:g} contractions per 100 words; measured "
        f"formality {s['formality']:g}/10.")
    lines.append("Learned tone: " + ", ".join(learned_tone(s)) + ".")
    if s.get("frequent_phrases"):
        lines.append("Frequent phrases: " + ", ".join(f"“{p}”" for p in s["frequent_phrases"][:6])
                     + ".")
    if s.get("top_hashtags"):
        lines.append("Favourite hashtags: " + " ".join(s["top_hashtags"][:5]) + ".")
    if s.get("never_used"):
        lines.append("Never uses: " + ", ".join(s["never_used"][:10]) + ".")
    if s["samples"] < 5:
        lines.append("Few samples: these statistics are rough; train on more posts.")
    return lines
