"""Platform name → adapter class, importing each platform module only when asked.

The lowercase platform name is the module name, the registry key, the config
key and the database value (STYLE.md). Lazy imports keep ``socialhub --help``
and every command that never publishes from loading httpx and friends.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING

from socialhub.errors import ValidationError

if TYPE_CHECKING:
    from socialhub.platforms.base import PlatformAdapter

# name → "module:Class". Add a line here when a platform module lands.
_ADAPTERS: dict[str, str] = {
    "sandbox": "socialhub.platforms.sandbox:SandboxAdapter",
    "bluesky": "socialhub.platforms.bluesky:BlueskyAdapter",
    "mastodon": "socialhub.platforms.mastodon:MastodonAdapter",
    "x": "socialhub.platforms.x:XAdapter",
    "linkedin": "socialhub.platforms.linkedin:LinkedInAdapter",
    "threads": "socialhub.platforms.threads:ThreadsAdapter",
    "instagram": "socialhub.platforms.instagram:InstagramAdapter",
    "facebook": "socialhub.platforms.facebook:FacebookAdapter",
    "reddit": "socialhub.platforms.reddit:RedditAdapter",
    "pinterest": "socialhub.platforms.pinterest:PinterestAdapter",
    "youtube": "socialhub.platforms.youtube:YouTubeAdapter",
    "tiktok": "socialhub.platforms.tiktok:TikTokAdapter",
}


def _available(name: str) -> bool:
    module_name = _ADAPTERS[name].partition(":")[0]
    return importlib.util.find_spec(module_name) is not None


def supported_platforms() -> list[str]:
    """The platform names this install can publish to, sorted."""
    return sorted(name for name in _ADAPTERS if _available(name))


def adapter_class(platform: str) -> type[PlatformAdapter]:
    """The adapter class for ``platform`` (e.g. ``"mastodon"``).

    Raises:
        ValidationError: the platform is unknown or not built yet; the message
            names the supported ones.
    """
    target = _ADAPTERS.get(platform.lower())
    if target is None or not _available(platform.lower()):
        supported = ", ".join(supported_platforms())
        raise ValidationError(f"unknown platform {platform!r}: supported are {supported}")
    module_name, _, class_name = target.partition(":")
    module = importlib.import_module(module_name)
    cls: type[PlatformAdapter] = getattr(module, class_name)
    return cls
