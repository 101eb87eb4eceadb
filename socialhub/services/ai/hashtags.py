"""Hashtag suggestions from a text's keywords, sized to a platform's budget."""

from __future__ import annotations

from socialhub.ai import hashtags
from socialhub.services.authoring.text_rules import rules_for

__all__ = ["suggest_hashtags"]


def suggest_hashtags(text: str, platform: str, *, count: int | None = None,
                     favourites: list[str] | None = None) -> list[str]:
    """Suggest hashtags for ``text`` on ``platform`` (``ai.hashtags.suggest_hashtags``).

    Raises:
        ValidationError: the platform is unknown.
    """
    return hashtags.suggest_hashtags(text, rules_for(platform), count=count,
                                     favourites=favourites)
