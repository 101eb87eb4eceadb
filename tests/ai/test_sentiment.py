"""Inbox analysis: the offline analyser (vaderSentiment, langdetect, the flag heuristic) and
the Anthropic one against the local Messages API server, falling back when it fails."""

from __future__ import annotations

import pytest

from socialhub.ai.sentiment import AnthropicAnalyser, OfflineAnalyser
from socialhub.core.inbox_flags import flags_for
from tests.fakes.anthropic_server import FakeAnthropic, Fault


@pytest.mark.parametrize(("text", "sentiment", "language"), [
    ("Love this, thank you so much! Best news of the week.", "positive", "en"),
    ("This is terrible, my order still hasn't arrived after three weeks.", "negative", "en"),
    ("When does the shop open on Monday morning?", "neutral", "en"),
    ("Je suis très déçu, la commande n'est jamais arrivée chez moi.", None, "fr"),
    ("Vielen Dank, das ist wirklich großartig und hilft mir sehr!", None, "de"),
], ids=["positive", "negative", "neutral", "french", "german"])
def test_offline_sentiment_and_language(text: str, sentiment: str | None,
                                        language: str) -> None:
    found = OfflineAnalyser().analyse(text)
    if sentiment is not None:
        assert found.sentiment == sentiment
    assert found.language == language
    assert OfflineAnalyser().analyse(text) == found  # the same every time


def test_flags_spam_and_abuse_but_not_ordinary_complaints() -> None:
    assert flags_for("Free followers!!! click the link https://a.example https://b.example") \
        == ["spam"]
    assert flags_for("You are an idiot and your product is trash", -0.8) == ["abusive"]
    assert flags_for("YOU PEOPLE ARE THE WORST, FIX YOUR APP NOW", -0.8) == ["abusive"]
    assert flags_for("Very disappointed with the support, nobody answers.", -0.6) == []
    assert flags_for("Our menu is at https://shop.example/menu") == []


def test_anthropic_reads_the_model_answer_and_falls_back_when_it_fails() -> None:
    with FakeAnthropic() as server:
        analyser = AnthropicAnalyser(api_key="test-key", model="claude-test",
                                     base_url=server.url, timeout_s=5)
        server.queue(Fault(text='{"sentiment": "negative", "score": -0.7, '
                                '"flags": ["abusive"], "language": "en"}'))
        found = analyser.analyse("you people are clowns")
        assert (found.sentiment, found.flags, found.language, found.analyser) == (
            "negative", ["abusive"], "en", "anthropic")
        server.garbage()
        fallback = analyser.analyse("Love this, thank you so much!")
        assert fallback.analyser == "offline" and fallback.sentiment == "positive"
