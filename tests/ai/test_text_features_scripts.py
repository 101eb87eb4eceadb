"""Voice statistics in every script: words, sentences and what training learns from them.

Each case is a few real-looking posts in one script with hand-counted
sentences and words, so a splitter that only knows Latin letters (or that
splits CJK at spaces it does not have) fails here.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialhub.ai import text_features as tf
from socialhub.ai.scoring import voice_fit
from socialhub.ai.voice_stats import describe_voice, learn_statistics, learned_tone

# (script, posts, sentences, words per sentence in order, questions, exclamations)
CASES: list[tuple[str, list[str], int, list[int], int, int]] = [
    ("latin",
     ["We shipped the new dashboard today! Do you like it?", "Café crème, s'il vous plaît."],
     3, [6, 4, 5], 1, 1),
    ("cyrillic",
     ["Привет, мир! Как дела?", "Мы выпустили новую версию приложения."],
     3, [2, 2, 5], 1, 1),
    ("greek",
     ["Καλημέρα κόσμε! Τι κάνεις;", "Η νέα έκδοση είναι έτοιμη."],
     3, [2, 2, 5], 1, 1),
    # Han and Kana: one word per character ("今天我们发布了新版本" is ten).
    ("cjk",
     ["今天我们发布了新版本。你喜欢吗？", "東京に行きます！"],
     3, [10, 4, 7], 1, 1),
    ("arabic",
     ["مرحبا بالعالم! كيف حالك؟", "أطلقنا نسخة جديدة من التطبيق اليوم."],
     3, [2, 2, 6], 1, 1),
    # Korean spaces its words: a run of Hangul is one word.
    ("hangul",
     ["안녕하세요 여러분. 새 버전이 나왔어요!"],
     2, [2, 3], 0, 1),
    ("devanagari",
     ["नमस्ते दुनिया। क्या आप तैयार हैं?"],
     2, [2, 4], 1, 0),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize(("script", "posts", "n_sent", "lengths", "questions", "exclaims"),
                         CASES, ids=IDS)
def test_training_counts_sentences_and_words_in_every_script(
        script: str, posts: list[str], n_sent: int, lengths: list[int], questions: int,
        exclaims: int) -> None:
    found = [s for p in posts for s in tf.sentences(p)]
    assert [len(tf.words(s)) for s in found] == lengths, found
    stats = learn_statistics(posts)
    assert stats["sentences"] == n_sent
    assert stats["sentence_words"]["mean"] == round(sum(lengths) / len(lengths), 2)
    assert stats["sentence_words"]["p90"] == max(lengths)
    assert stats["question_rate"] == round(questions / n_sent, 3)
    assert stats["exclamation_rate"] == round(exclaims / n_sent, 3)
    # Top words need three letters or more: single CJK characters are not listed.
    assert bool(stats["top_words"]) == (script != "cjk")
    assert learned_tone(stats) and learned_tone(stats) != ["neutral"]


@pytest.mark.parametrize("script", [c[0] for c in CASES if c[0] != "latin"],
                         ids=[c[0] for c in CASES if c[0] != "latin"])
def test_readability_is_not_made_up_for_non_latin_text(script: str) -> None:
    posts = next(c[1] for c in CASES if c[0] == script)
    stats = learn_statistics(posts)
    assert stats["reading_grade"] is None and stats["reading_ease"] is None
    assert stats["never_used"] == []  # the reference words are English
    text = " ".join(describe_voice({"statistics": stats}))
    assert "Reading grade not measured" in text
    # A draft in the same script still gets a voice fit (grade is left out of it).
    assert 0 <= (voice_fit(posts[0], {"statistics": stats}) or 0) <= 100


def test_english_readability_is_kept() -> None:
    stats = learn_statistics(["We shipped the new dashboard today. It is faster and cleaner."])
    assert stats["reading_grade"] == tf.reading_grade(
        "We shipped the new dashboard today. It is faster and cleaner.")
    assert stats["reading_ease"] is not None and stats["reading_ease"] > 60
    assert "synergy" in stats["never_used"]


def test_english_words_keep_contractions_and_hyphens_and_skip_numbers() -> None:
    assert tf.words("We don't ship game-changers in 2026, see https://example.com/a #tag @a") == [
        "We", "don't", "ship", "game-changers", "in", "see"]
    assert tf.sentences("It is 3.5 times faster. Really? Yes!") == [
        "It is 3.5 times faster.", "Really?", "Yes!"]
    assert tf.sentences("One; two.") == ["One; two."]  # ';' ends only a Greek question


def test_mixed_script_text_counts_every_word() -> None:
    assert tf.words("Релиз v2 готов: 新版本 ready") == [
        "Релиз", "v2", "готов", "新", "版", "本", "ready"]


MIXED = st.sampled_from(list("ab й ж λ 東京 한 ع .!?。？؟;’'-\n #@"))


@settings(max_examples=100, deadline=None)
@given(st.text(MIXED, max_size=40))
def test_splitting_into_sentences_never_loses_or_invents_words(text: str) -> None:
    # Sentence length is words per sentence: the sentences' words must add up
    # to the text's, whatever the script or punctuation.
    assert sum(len(tf.words(s)) for s in tf.sentences(text)) == len(tf.words(text))
