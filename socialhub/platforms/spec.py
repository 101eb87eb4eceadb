"""``PlatformSpec``: everything about one network that the rest of socialhub lists.

One spec per network lives in that network's sub-package (``platforms/x/spec.py``)
and one line in ``platforms/registry.py`` registers it. Every list of platforms in
the code — known platforms, badges, display names, text rules, hashtag customs,
developer-app platforms, config sections, help strings — derives from the registry.

A spec is plain data: importing it must stay as cheap as ``socialhub --help``
needs (no httpx, no pydantic, no text-counting libraries). Its text rules are a
``PlatformRules`` value (``core.platform_rules``, standard library only) that
core's counters take as an argument. The pieces that live in heavier modules are
named by import path and resolved on first use:

* the adapter class (``"socialhub.platforms.x.adapter:XAdapter"``);
* the config model (``"socialhub.config:PlatformAppConfig"`` or a subclass of it,
  the type of the ``platforms.<name>`` section of the settings).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from socialhub.core.platform_rules import PlatformRules

if TYPE_CHECKING:
    from socialhub.platforms.base import PlatformAdapter

__all__ = ["ConnectKind", "InboxCapabilities", "PlatformRules", "PlatformSpec"]


class ConnectKind(StrEnum):
    """How ``socialhub accounts connect`` obtains an account's credentials."""

    #: OAuth 2.0 with a developer app the user registers (client id and secret in config).
    OAUTH_APP = "oauth-app"
    #: OAuth 2.0 with an app socialhub registers itself on the user's instance.
    OAUTH_INSTANCE = "oauth-instance"
    #: An app password typed at a prompt (never the main password).
    APP_PASSWORD = "app-password"
    #: A token issued by a local service for a handle (the sandbox network).
    LOCAL_TOKEN = "local-token"


@dataclass(frozen=True)
class InboxCapabilities:
    """What socialhub's inbox reads from a network (``docs/inbox.md`` lists the gaps).

    Each flag says the adapter's ``fetch_inbox`` returns items of that kind;
    all False means the network has no inbox in socialhub.
    """

    comments: bool = False
    mentions: bool = False
    replies: bool = False
    quotes: bool = False
    messages: bool = False

    @property
    def any(self) -> bool:
        """True when the network has an inbox at all."""
        return any((self.comments, self.mentions, self.replies, self.quotes, self.messages))

    def kinds(self) -> tuple[str, ...]:
        """The item kinds this network's inbox holds (``comment``, ``mention``…)."""
        flags = (("comment", self.comments), ("mention", self.mentions),
                 ("reply", self.replies), ("quote", self.quotes), ("message", self.messages))
        return tuple(kind for kind, on in flags if on)


def _resolve(target: str) -> Any:
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


@dataclass(frozen=True)
class PlatformSpec:
    """One network, declared once.

    Attributes:
        name: The lowercase name: module, registry key, config key, database value.
        badge: The two-letter badge on the TUI calendar (``"x "`` keeps two cells).
        connect: How an account of this network is connected.
        adapter: ``"module:Class"`` of the adapter, imported only when asked.
        docs_page: The page that explains the network (developer app, limits, gaps),
            relative to the repository root.
        text_rules: The default text rules: limit, how length is counted, caps,
            display name and hashtag custom (``platform`` is ``name``).
        config_model: ``"module:Class"`` of the pydantic model of the
            ``platforms.<name>`` config section: ``socialhub.config.PlatformAppConfig``
            or a subclass of it (the connect flow and token refresh read its
            ``client_id``, ``client_secret`` and ``base_url``).
        inbox: What the inbox reads from this network (all off: no inbox).
    """

    name: str
    badge: str
    connect: ConnectKind
    adapter: str
    docs_page: str
    text_rules: PlatformRules
    config_model: str = "socialhub.config:PlatformAppConfig"
    inbox: InboxCapabilities = InboxCapabilities()

    @property
    def display_name(self) -> str:
        """The network's name as people write it (``"LinkedIn"``), from its text rules."""
        return self.text_rules.display_name

    @property
    def hashtag_budget(self) -> int:
        """How many hashtags a post here should carry by custom (not a hard cap)."""
        return self.text_rules.hashtag_budget

    @property
    def needs_developer_app(self) -> bool:
        """True when the user must register a developer app before connecting."""
        return self.connect is ConnectKind.OAUTH_APP

    def adapter_class(self) -> type[PlatformAdapter]:
        """Import and return the adapter class (loads httpx and the adapter's module)."""
        cls: type[PlatformAdapter] = _resolve(self.adapter)
        return cls

    def config_model_class(self) -> type[Any]:
        """Import and return the pydantic model of this network's config section."""
        model: type[Any] = _resolve(self.config_model)
        return model
