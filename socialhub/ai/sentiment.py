"""Sentiment, flags and language of an inbox item's text.

The offline analyser uses vaderSentiment (a maintained lexicon-and-rules model made
for social media text; English-centred: other languages mostly read as neutral) and
``ai.language`` (fastText's language identification); the
flags are ``core.inbox_flags``. The Anthropic analyser asks the model for all three
in one structured answer and falls back to the offline result when the call fails.
Both load lazily: importing this module costs nothing.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from socialhub.ai.language import detect_language
from socialhub.core.inbox_flags import FLAGS, flags_for

log = logging.getLogger(__name__)

POSITIVE, NEUTRAL, NEGATIVE = "positive", "neutral", "negative"
SENTIMENTS = (POSITIVE, NEUTRAL, NEGATIVE)
#: VADER's customary thresholds on the compound score.
_THRESHOLD = 0.05


@dataclass(frozen=True)
class Analysis:
    """What an analyser found: ``sentiment`` (positive/neutral/negative), its score in
    [-1, 1], flags, and the language (ISO 639-1; None when unsure)."""

    sentiment: str
    score: float
    flags: list[str] = field(default_factory=list)
    language: str | None = None
    analyser: str = "offline"


class Analyser(Protocol):
    """Anything that analyses one text."""

    name: str

    def analyse(self, text: str) -> Analysis:
        """The text's sentiment, flags and language."""
        ...


@functools.cache
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def label(compound: float) -> str:
    """positive, neutral or negative for a compound score (VADER's ±0.05 thresholds)."""
    if compound >= _THRESHOLD:
        return POSITIVE
    if compound <= -_THRESHOLD:
        return NEGATIVE
    return NEUTRAL


class OfflineAnalyser:
    """vaderSentiment + fastText + the flag heuristic; deterministic, no network."""

    name = "offline"

    def analyse(self, text: str) -> Analysis:
        """The text's sentiment, flags and language."""
        compound = float(_vader().polarity_scores(text)["compound"])
        return Analysis(sentiment=label(compound), score=round(compound, 4),
                        flags=flags_for(text, compound), language=detect_language(text))


_PROMPT = (
    "Classify this social media message sent to a brand account. Answer with JSON only: "
    '{"sentiment": "positive|neutral|negative", "score": <-1..1>, '
    '"flags": [zero or more of "spam", "abusive"], "language": "<ISO 639-1 code or null>"}'
    "\n\nMessage:\n")


class AnthropicAnalyser:
    """Asks Anthropic's Messages API; any failure falls back to the offline analyser."""

    name = "anthropic"

    def __init__(self, *, api_key: str, model: str, base_url: str | None = None,
                 timeout_s: float = 30.0) -> None:
        import anthropic

        self._client = anthropic.Anthropic(api_key=api_key, base_url=base_url,
                                           timeout=timeout_s, max_retries=1)
        self._model = model
        self._offline = OfflineAnalyser()

    def analyse(self, text: str) -> Analysis:
        """The model's reading of ``text``, or the offline one when the call or answer fails."""
        try:
            message = self._client.messages.create(
                model=self._model, max_tokens=200,
                messages=[{"role": "user", "content": _PROMPT + text}])
            body = "".join(getattr(block, "text", "") for block in message.content)
            data = json.loads(body[body.index("{"):body.rindex("}") + 1])
            sentiment = str(data["sentiment"])
            if sentiment not in SENTIMENTS:
                raise ValueError(f"unknown sentiment {sentiment!r}")
            score = max(-1.0, min(1.0, float(data.get("score") or 0.0)))
            flags = [f for f in FLAGS if f in (data.get("flags") or [])]
            language = data.get("language")
            return Analysis(sentiment=sentiment, score=round(score, 4), flags=flags,
                            language=str(language)[:10] if language else None,
                            analyser="anthropic")
        except Exception as exc:
            log.warning("anthropic analysis failed, using the offline analyser: %s", exc)
            return self._offline.analyse(text)


def select_analyser(ai: Any, choice: str) -> Analyser:
    """The analyser ``inbox.analyser`` names: anthropic only with a key, else offline.

    ``ai`` is the ``ai`` config section (its key, model, base URL and timeout).
    """
    if choice == "anthropic":
        from socialhub.ai import api_key_for

        key = api_key_for(ai)
        if key:
            return AnthropicAnalyser(api_key=key, model=ai.model, base_url=ai.base_url,
                                     timeout_s=ai.timeout_s)
        log.warning("inbox.analyser is anthropic but no API key is set: using offline")
    return OfflineAnalyser()
