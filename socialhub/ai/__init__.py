"""AI providers behind one interface: Anthropic (official SDK) and a deterministic offline engine.

``select_provider`` picks one from the config and an optional override; the
rest of the package (templates, voice statistics, scoring, hashtags, pricing)
is shared by both.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from socialhub.errors import ConfigError

if TYPE_CHECKING:
    from socialhub.ai.base import Provider
    from socialhub.config import AIConfig

PROVIDERS = ("offline", "anthropic")


def api_key_for(ai: AIConfig, env: Mapping[str, str] | None = None) -> str | None:
    """The Anthropic key: ``ai.api_key`` (``SOCIALHUB_AI_API_KEY``), else ``ANTHROPIC_API_KEY``."""
    env = os.environ if env is None else env
    if ai.api_key is not None and ai.api_key.get_secret_value():
        return ai.api_key.get_secret_value()
    return env.get("ANTHROPIC_API_KEY") or None


def select_provider(ai: AIConfig, override: str | None = None,
                    env: Mapping[str, str] | None = None) -> tuple[Provider, str | None]:
    """The provider to use and, when it is not the one asked for, a note saying why.

    ``override`` (``--provider``) wins over ``ai.provider``. ``auto`` and
    ``anthropic`` from the config fall back to offline when no key is set;
    an explicit ``--provider anthropic`` without a key is an error.

    Raises:
        ConfigError: unknown provider, or ``--provider anthropic`` with no key.
    """
    from socialhub.ai.offline import OfflineProvider

    choice = (override or ai.provider).lower()
    if choice not in (*PROVIDERS, "auto"):
        raise ConfigError(f"unknown AI provider {choice!r} (choose offline or anthropic)")
    if choice == "offline":
        return OfflineProvider(), None
    key = api_key_for(ai, env)
    if key is None:
        if override:
            raise ConfigError("no Anthropic API key: set ai.api_key (SOCIALHUB_AI_API_KEY) or "
                              "ANTHROPIC_API_KEY, or use --provider offline")
        return OfflineProvider(), ("no Anthropic API key configured: using the offline engine "
                                   "(set ANTHROPIC_API_KEY to use Anthropic)")
    from socialhub.ai.anthropic_provider import AnthropicProvider

    return AnthropicProvider(api_key=key, model=ai.model, max_tokens=ai.max_tokens,
                             temperature=ai.temperature, base_url=ai.base_url,
                             timeout_s=ai.timeout_s), None
