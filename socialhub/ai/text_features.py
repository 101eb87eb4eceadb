"""Small pure helpers that read surface features of a text: words, sentences, emoji, syllables.

Shared by ``voice_stats`` (learning), ``scoring`` (judging) and ``offline``
(writing), so the three measure a text the same way.

Words and sentences are found in any script (Unicode letter, mark and number
classes through ``regex``): Latin, Cyrillic, Greek, Arabic, Hebrew, Devanagari…
are split at spaces and punctuation. Chinese and Japanese do not put spaces
between words, so each Han or Kana character counts as one word (the unit
CJK readability measures use); Korean spaces its words, so a run of Hangul is
one word. Readability (Flesch) is an English formula: it is only measured when
most words are in Latin script (see ``readability_measurable``).
"""

from __future__ import annotations

import re

import regex

from socialhub.core.text import find_hashtags, find_urls, graphemes
from socialhub.core.text_entities import is_emoji_grapheme

# One CJK ideograph or kana is a word; otherwise a run of letters, marks and
# digits, joined inside by apostrophes or hyphens ("don't", "game-changer").
# Han/Kana are excluded from the run so "東京に" gives three words.
_CJK = r"\p{Han}\p{Hiragana}\p{Katakana}"
_WORD_PART = rf"[\p{{L}}\p{{M}}\p{{N}}--[{_CJK}]]"
WORD_RE = regex.compile(
    rf"[{_CJK}]|{_WORD_PART}+(?:['’\-]{_WORD_PART}+)*['’]?", regex.VERSION1)
_LETTER_RE = regex.compile(r"\p{L}")
_LATIN_RE = regex.compile(r"\p{Script=Latin}")
# Sentence ends: Latin . ! ? …, full-width and CJK 。！？｡, Arabic ؟ and ۔, Greek
# question mark (U+037E, or the ASCII ";" it normalizes to, after a Greek
# letter only), Devanagari danda । ॥, Armenian ։, Ethiopic ።. Latin marks need
# the space after them (3.5, e.g.); CJK marks are written without one.
_SENTENCE_SPLIT_RE = regex.compile(
    r"(?:(?<=[.!?…؟۔\u037e।॥։።])|(?<=\p{Greek};))[\"'’”)\]»]*\s+"
    r"|(?<=[。！？｡])[\"'’”)\]」』]*\s*|\n+")
QUESTION_MARKS = ("?", "？", "؟", "\u037e")
EXCLAMATION_MARKS = ("!", "！")
_GREEK_QUESTION_RE = regex.compile(r"\p{Greek};\Z")
_CLOSERS = "\"'’”)»」』"
_MENTION_RE = re.compile(r"(?<![\w@])@[\w.]+(?:@[\w.-]+)?")
_VOWEL_GROUP_RE = re.compile(r"[aeiouy]+")


def wordlist(spaced: str) -> list[str]:
    """Split a whitespace-separated word list (keeps long lists readable in source)."""
    return spaced.split()


STOPWORDS = frozenset(wordlist("""
a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further
had has have having he her here hers herself him himself his how i if in into is it its itself
just me more most my myself no nor not now of off on once only or other our ours ourselves out
over own same she should so some such than that the their theirs them themselves then there
these they this those through to too under until up very was we were what when where which
while who whom why will with would you your yours yourself yourselves let lets get got also
one two new via us it's i'm we're you're don't can't won't isn't that's there's here's
"""))

CONTRACTION_RE = re.compile(r"\b\w+(?:'|’)(?:s|t|re|ve|ll|d|m)\b", re.IGNORECASE)
FORMAL_MARKERS = frozenset(wordlist(
    "therefore however furthermore moreover consequently accordingly hence thus regarding "
    "pursuant additionally nevertheless notwithstanding whereas herein sincerely"))
INFORMAL_MARKERS = frozenset(wordlist(
    "lol omg gonna wanna gotta kinda sorta yeah yep nope hey hi folks awesome cool super "
    "tbh imo btw ya y'all stuff guys literally totally huge"))


def words(text: str) -> list[str]:
    """The words of ``text`` in any script; URLs, mentions and tags removed.

    A word is a run of letters, marks and digits (with inner apostrophes or
    hyphens) holding at least one letter, so "2026" is not a word; each Han,
    Hiragana or Katakana character is a word of its own.
    """
    return [w for w in WORD_RE.findall(strip_entities(text)) if _LETTER_RE.search(w)]


def ends_question(sentence: str) -> bool:
    """True when ``sentence`` ends with a question mark of any script."""
    bare = sentence.rstrip(_CLOSERS)
    return bare.endswith(QUESTION_MARKS) or bool(_GREEK_QUESTION_RE.search(bare))


def ends_exclamation(sentence: str) -> bool:
    """True when ``sentence`` ends with an exclamation mark (ASCII or full-width)."""
    return sentence.rstrip(_CLOSERS).endswith(EXCLAMATION_MARKS)


def readability_measurable(text: str) -> bool:
    """True when most words of ``text`` are Latin-script, where the Flesch formulas apply.

    Flesch reading ease and grade count English syllables per word; for
    Cyrillic, Greek, Arabic or CJK text they would measure nothing real, so
    callers store "not measured" instead of a number.
    """
    ws = words(text)
    return bool(ws) and sum(1 for w in ws if _LATIN_RE.search(w)) * 2 > len(ws)


def strip_entities(text: str) -> str:
    """``text`` without URLs, @mentions and #hashtags (they are not prose)."""
    spans = [(u.start, u.end) for u in find_urls(text)]
    spans += [(h.start, h.end) for h in find_hashtags(text)]
    spans += [(m.start(), m.end()) for m in _MENTION_RE.finditer(text)]
    out, cursor = [], 0
    for start, end in sorted(spans):
        if start < cursor:
            continue
        out.append(text[cursor:start])
        cursor = end
    out.append(text[cursor:])
    return " ".join("".join(out).split())


def sentences(text: str) -> list[str]:
    """Sentences of ``text``, blanks dropped.

    Split after ., !, ?, … followed by a space, after the CJK marks 。！？
    (no space needed), after the Arabic, Greek, Devanagari, Armenian and
    Ethiopic sentence marks, and at line breaks.
    """
    return [s.strip() for s in _SENTENCE_SPLIT_RE.split(text) if s and s.strip()]


def emoji_count(text: str) -> int:
    """How many emoji (whole grapheme clusters) ``text`` holds."""
    return sum(1 for g in graphemes(text) if is_emoji_grapheme(g))


def emoji_list(text: str) -> list[str]:
    """The emoji of ``text`` in order."""
    return [g for g in graphemes(text) if is_emoji_grapheme(g)]


def hashtags(text: str) -> list[str]:
    """The hashtags of ``text`` with their ``#``."""
    return [text[h.start:h.end] for h in find_hashtags(text)]


def mentions(text: str) -> list[str]:
    """The @mentions of ``text``."""
    return _MENTION_RE.findall(text)


def syllables(word: str) -> int:
    """An English syllable estimate (vowel groups, silent final e): good enough for grades."""
    w = word.lower().strip("'’-")
    if not w:
        return 0
    groups = len(_VOWEL_GROUP_RE.findall(w))
    if w.endswith("e") and not w.endswith(("le", "ee", "ye")) and groups > 1:
        groups -= 1
    return max(1, groups)


def reading_ease(text: str) -> float:
    """Flesch reading ease (higher is easier; 60–70 is plain English). 100 for no words."""
    ws = words(text)
    if not ws:
        return 100.0
    n_sent = max(1, len(sentences(strip_entities(text))))
    syl = sum(syllables(w) for w in ws)
    return round(206.835 - 1.015 * (len(ws) / n_sent) - 84.6 * (syl / len(ws)), 1)


def reading_grade(text: str) -> float:
    """Flesch–Kincaid grade level (US school years); 0 for no words."""
    ws = words(text)
    if not ws:
        return 0.0
    n_sent = max(1, len(sentences(strip_entities(text))))
    syl = sum(syllables(w) for w in ws)
    return round(max(0.0, 0.39 * (len(ws) / n_sent) + 11.8 * (syl / len(ws)) - 15.59), 1)


def formality_score(text: str) -> float:
    """A 1–10 formality estimate from contractions, slang, emoji, marks and formal connectives."""
    ws = [w.lower() for w in words(text)]
    if not ws:
        return 5.0
    per100 = 100.0 / len(ws)
    score = 6.0
    score -= min(3.0, len(CONTRACTION_RE.findall(text)) * per100 * 0.5)
    score -= min(2.5, sum(w in INFORMAL_MARKERS for w in ws) * per100 * 0.8)
    score -= min(1.5, emoji_count(text) * per100 * 0.5)
    score -= min(1.0, text.count("!") * per100 * 0.3)
    score += min(3.0, sum(w in FORMAL_MARKERS for w in ws) * per100 * 1.5)
    score += min(1.5, max(0.0, (sum(len(w) for w in ws) / len(ws)) - 4.5) * 0.8)
    return round(min(10.0, max(1.0, score)), 1)
