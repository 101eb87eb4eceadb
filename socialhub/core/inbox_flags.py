"""Flags for inbox items that need a person's eye: ``spam`` and ``abusive``.

Pure: a small, documented heuristic over the text and the offline sentiment score.
No maintained library fits: the profanity filters on PyPI are unmaintained word
lists (better-profanity's last release is from 2020) and the classifiers that do
this well need a model download (detoxify: PyTorch and weights), which socialhub
cannot fetch at run time. The rules, in full:

* ``spam``: two or more links; or one of a few phrases spam uses ("free followers",
  "dm me for", "crypto giveaway", "click the link"…); or a run of 6+ identical
  characters together with a link.
* ``abusive``: one of a short list of insults or slurs addressed at someone; or a
  strongly negative text (sentiment compound ≤ -0.75) that addresses the reader
  ("you", "your") and shouts (mostly capitals) or swears.

False positives are cheap (a flag is a hint in the list, nothing is hidden) and the
Anthropic analyser, when configured, replaces these flags with its own.
"""

from __future__ import annotations

import re

SPAM = "spam"
ABUSIVE = "abusive"
FLAGS = (SPAM, ABUSIVE)

_LINK = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_SPAM_PHRASES = (
    "free followers", "buy followers", "dm me for", "dm for promo", "crypto giveaway",
    "click the link", "click my link", "check my bio", "earn $", "make money fast",
    "promo code", "100% free", "limited offer", "work from home and earn",
)
_REPEAT = re.compile(r"(.)\1{5,}")
_INSULTS = (
    "idiot", "moron", "stupid", "loser", "scum", "trash company", "pathetic", "shut up",
    "kill yourself", "kys", "dumbass", "retard",
)
_SWEARS = ("fuck", "shit", "bastard", "bitch", "crap", "damn")
_YOU = re.compile(r"\b(you|your|you're|u|ur)\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z']+")


def _has_any(lowered: str, needles: tuple[str, ...]) -> bool:
    words = set(_WORD.findall(lowered))
    return any((n in words) if " " not in n and n.isalpha() else (n in lowered)
               for n in needles)


def _shouts(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.7


def flags_for(text: str, compound: float | None = None) -> list[str]:
    """The flags ``text`` earns (``spam``, ``abusive``), in that order; empty when clean.

    ``compound`` is the offline sentiment score in [-1, 1] (None: unknown).
    """
    lowered = text.lower()
    found: list[str] = []
    links = len(_LINK.findall(text))
    if (links >= 2 or _has_any(lowered, _SPAM_PHRASES)
            or (links and _REPEAT.search(text) is not None)):
        found.append(SPAM)
    addressed = _YOU.search(text) is not None
    if (_has_any(lowered, _INSULTS) and addressed) or (
            compound is not None and compound <= -0.75 and addressed
            and (_shouts(text) or _has_any(lowered, _SWEARS))):
        found.append(ABUSIVE)
    return found
