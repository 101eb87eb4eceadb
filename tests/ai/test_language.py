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

