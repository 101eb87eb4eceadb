"""The names of the networks socialhub knows, for help text and messages.

Front ends may import services but not ``platforms/``; this module hands them
the registry's names. It imports only the registry's small declaration modules
(no adapters, no pydantic), so ``socialhub --help`` stays fast.
"""

from __future__ import annotations

from socialhub.platforms.registry import platform_names, specs


def known_platforms() -> tuple[str, ...]:
    """Every registered network name, in the registry's order."""
    return platform_names()


def platforms_sentence(last_joiner: str = ", ") -> str:
    """The names as one phrase: ``"sandbox, bluesky, …, tiktok"``.

    Args:
        last_joiner: What goes before the last name (``" or "`` gives "…, youtube or tiktok").
    """
    return _sentence(platform_names(), last_joiner)


def developer_app_sentence(last_joiner: str = " and ") -> str:
    """The display names of the networks that need a developer app, as one phrase:
    ``"X, LinkedIn, …, YouTube and TikTok"``."""
    return _sentence([s.display_name for s in specs() if s.needs_developer_app], last_joiner)


def _sentence(names: tuple[str, ...] | list[str], last_joiner: str) -> str:
    if len(names) < 2:
        return "".join(names)
    return ", ".join(names[:-1]) + last_joiner + names[-1]
