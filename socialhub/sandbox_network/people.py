"""Simulated people for the sandbox network's inbox: who writes what, deterministically.

``message(seed, n)`` is the n-th thing a simulated person sends for a given seed: its
author, kind (comment, mention, reply, message), language and text, drawn from a
small set of templates with a mix of sentiments (positive, neutral, negative, a
little spam and abuse) and languages (English, French, German, Spanish). The same
seed and index always give the same message, so the demo and the tests can count
on what the inbox holds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

#: (handle, display name, language) of each simulated person.
PEOPLE: tuple[tuple[str, str, str], ...] = (
    ("ana.people", "Ana Souza", "en"), ("ben.people", "Ben Okafor", "en"),
    ("chloe.people", "Chloé Martin", "fr"), ("dieter.people", "Dieter Braun", "de"),
    ("elena.people", "Elena García", "es"), ("fatima.people", "Fatima Khan", "en"),
    ("gus.people", "Gus Lindqvist", "en"), ("hugo.people", "Hugo Lefèvre", "fr"),
)

_TEXTS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "positive": ("Love this, thank you so much! Best news of the week.",
                     "This is brilliant work, well done to the whole team!",
                     "Great update, I can't wait to try it this weekend."),
        "neutral": ("When does the shop open on Monday morning?",
                    "Is there a tracking number for order 1042?",
                    "Which sizes are available in the blue version?"),
        "negative": ("This is terrible, my order still hasn't arrived after three weeks.",
                     "Very disappointed with the support so far, nobody answers.",
                     "Worst update ever, everything is broken and slow."),
    },
    "fr": {
        "positive": ("Merci beaucoup, c'est vraiment génial ! Bravo à toute l'équipe.",),
        "neutral": ("Quelle est la date de livraison prévue pour ma commande ?",),
        "negative": ("Je suis très déçu, la commande n'est jamais arrivée chez moi.",),
    },
    "de": {
        "positive": ("Vielen Dank, das ist wirklich großartig und hilft mir sehr!",),
        "neutral": ("Wann öffnet der Laden am Montag und gibt es Parkplätze?",),
        "negative": ("Sehr enttäuschend, der Support antwortet seit Tagen nicht.",),
    },
    "es": {
        "positive": ("¡Muchas gracias, me encanta! Es justo lo que necesitaba.",),
        "neutral": ("¿Cuándo llega el pedido número 1042 a Madrid?",),
        "negative": ("Muy decepcionado con el servicio, nada funciona como prometieron.",),
    },
}
_SPAM = "Free followers!!! click the link https://spam.example/a and https://spam.example/b"
_ABUSE = "You are an idiot and your product is trash, shut up."
_KINDS = ("comment", "mention", "mention", "reply", "message")


@dataclass(frozen=True)
class Message:
    """One thing a simulated person sends to an account."""

    author: str
    author_name: str
    kind: str
    language: str
    text: str


def message(seed: int, n: int) -> Message:
    """The ``n``-th message for ``seed``: the same inputs always give the same message."""
    rng = random.Random(f"{seed}:{n}")
    handle, name, language = PEOPLE[rng.randrange(len(PEOPLE))]
    kind = _KINDS[rng.randrange(len(_KINDS))]
    roll = rng.random()
    if roll < 0.04:
        text = _SPAM
    elif roll < 0.07:
        text = _ABUSE
    else:
        mood = ("positive", "neutral", "negative")[rng.randrange(3)]
        text = rng.choice(_TEXTS[language][mood])
    return Message(handle, name, kind, language, text)
