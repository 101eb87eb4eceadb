"""The shape every platform fake takes, so one scenario table tests every adapter.

Each ``tests/fakes/<platform>.py`` exposes ``start_fake() -> FakePlatform``: a real
HTTP server on 127.0.0.1 that follows the platform's published contract (status
codes, headers, error bodies, rate-limit signals, two-step flows). The adapter is
pointed at it through ``AccountInfo.base_url`` (and ``oauth_spec(base_url)``).
``tests/platforms/test_adapter_contract.py`` runs every registered fake through the same
scenarios, so a new adapter gets the whole suite by adding its fake to ``FAKES``.
"""

from __future__ import annotations

from typing import Any, Protocol

from socialhub.platforms.base import AccountInfo, AppCredentials, MediaItem, Tokens


class FakePlatform(Protocol):
    """A running fake of one platform's API."""

    platform: str
    url: str  # the API base handed to the adapter as AccountInfo.base_url

    def account(self) -> tuple[AccountInfo, Tokens, AppCredentials]:
        """A fresh connected account: its info, valid tokens, and the app's client."""

    def sample_media(self) -> list[MediaItem]:
        """Media the platform accepts for one post (with alt text where it has any);
        an empty list when it takes text-only posts."""

    def posts(self) -> list[dict[str, Any]]:
        """Everything published so far, oldest first; each has at least ``id`` and
        ``text`` (or the caption/title the platform keeps), and ``reply_to`` (the
        parent's id, or None)."""

    def fail_next(self, status: int, *, after_create: bool = False) -> None:
        """The next write answers ``status`` with the platform's own error body;
        with ``after_create`` the post IS created first (a 5xx after the fact)."""

    def rate_limit_next(self, reset_in_s: int = 60) -> None:
        """The next call gets the platform's rate-limit signal, resetting in N s."""

    def expire_access_tokens(self) -> None:
        """Every current access token is now expired; the refresh token still works."""

    def revoke(self) -> None:
        """Every token is revoked: calls and refreshes fail for good."""

    def stop(self) -> None:
        """Shut the server down."""


class ContractOptions(Protocol):
    """Optional for a fake: the publish options the shared scenarios should send.

    ``tests/platforms/test_adapter_contract.py`` calls ``contract_options()`` when a fake has it
    (``{}`` otherwise) and puts the result in every ``PublishRequest.options``. Use it
    only where a platform's default options would make a scenario untestable for a
    documented reason — e.g. TikTok lists only public videos, so the look-up
    scenario publishes with ``{"privacy_level": "PUBLIC_TO_EVERYONE"}`` and the
    private case is covered by TikTok's own tests.
    """

    def contract_options(self) -> dict[str, Any]:
        """Publish options for every request the contract scenarios make."""
