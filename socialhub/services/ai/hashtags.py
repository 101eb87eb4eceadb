"""Hashtag suggestions from a text's keywords, sized to a platform's budget."""

from __future__ import annotations

from socialhub.ai.hashtags import suggest_hashtags

__all__ = ["suggest_hashtags"]
