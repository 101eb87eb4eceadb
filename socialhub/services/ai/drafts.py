"""What an AI provider writes for one target (``Draft``), as the front ends show it."""

from __future__ import annotations

from socialhub.ai.base import Draft

__all__ = ["Draft"]
