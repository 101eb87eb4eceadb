"""The adapter interface every platform module implements.

Adapters are synchronous (the delivery engine runs them in a thread pool with
per-platform and per-account caps), hold no database session, and report
progress through callbacks so the engine can save each remote id the moment
the platform answers. They raise only the classes in ``platforms.errors``.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar


@dataclass(frozen=True)
class Capabilities:
    """What a platform supports; the engine and validators consult these flags."""

    threads: bool = False
    media: bool = False
    alt_text: bool = False
    first_comment: bool = False
    delete: bool = False
    metrics: bool = False
    refresh: bool = False
    idempotency: bool = False  # the platform dedupes a repeated key itself
    lookup: bool = False  # find_by_idempotency_key can find an earlier send
    text_only: bool = True  # False: a post needs media (Instagram, TikTok, …)


@dataclass(frozen=True)
class AccountInfo:
    """The non-secret facts about the account being published to."""

    account_id: int
    platform: str
    handle: str
    external_id: str | None = None
    base_url: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class Tokens:
    """An account's decrypted credentials; the repr never shows them."""

    access_token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    scopes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class AppCredentials:
    """The developer app's OAuth client (from config ``platforms.<name>``); never logged."""

    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class OAuthSpec:
    """How to run the OAuth 2.0 authorization-code flow for a platform.

    URLs are absolute; ``oauth_spec(base_url)`` builds them against a local fake
    when the account (or config) names another API base.
    """

    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    scope_separator: str = " "
    pkce: bool = True
    client_auth: str = "basic"  # "basic": HTTP Basic client_id:secret; "body": form fields
    extra_authorize_params: dict[str, str] = field(default_factory=dict)
    client_id_param: str = "client_id"  # TikTok names it client_key
    pkce_challenge_encoding: str = "base64url"  # TikTok's desktop flow wants "hex"
    token_headers: dict[str, str] = field(default_factory=dict)  # e.g. Reddit's User-Agent


@dataclass(frozen=True)
class ConnectedProfile:
    """Who an account connection turned out to be, read from the platform after login."""

    handle: str
    external_id: str | None = None
    display_name: str | None = None
    base_url: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MediaItem:
    """One attachment: a local file (or URL for pull-based platforms) with alt text."""

    path: Path | None = None
    url: str | None = None
    mime: str | None = None
    alt_text: str | None = None


@dataclass(frozen=True)
class PublishedPart:
    """One post that exists on the platform (a thread has several)."""

    index: int
    remote_id: str
    url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. Bluesky's cid


@dataclass(frozen=True)
class PublishRequest:
    """Everything needed to publish one delivery.

    ``parts`` is the thread (one element for a single post); ``media`` goes
    with the first part. ``already_published`` lets a thread resume after the
    last part that went out; the adapter must not resend those.
    """

    idempotency_key: str
    parts: list[str]
    media: list[MediaItem] = field(default_factory=list)
    first_comment: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    already_published: list[PublishedPart] = field(default_factory=list)


@dataclass(frozen=True)
class PublishResult:
    """The outcome of a complete publish: the first part is the post's identity."""

    parts: list[PublishedPart]

    @property
    def remote_id(self) -> str:
        return self.parts[0].remote_id

    @property
    def url(self) -> str | None:
        return self.parts[0].url


@dataclass(frozen=True)
class Metrics:
    """Engagement counts for one remote post; None where the platform has no such count."""

    impressions: int | None = None
    likes: int | None = None
    replies: int | None = None
    reposts: int | None = None
    quotes: int | None = None
    clicks: int | None = None
    saves: int | None = None
    video_views: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AccountMetrics:
    """An account's own counts at one moment; None where the platform does not say."""

    followers: int | None = None
    following: int | None = None
    posts: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)


def count_or_none(value: Any) -> int | None:
    """A count from a network's answer as an int (numbers or digit strings, as YouTube
    sends them); None for anything else (absent, hidden, not a count), never 0."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


@dataclass(frozen=True)
class ReplyTarget:
    """The post a delivery answers (``PublishRequest.options["reply_to"]``).

    ``remote_id`` is the platform's id of the post replied to; ``root_id`` the
    thread's first post when the platform needs it (Bluesky's reply root);
    ``extra`` the platform's other references (Bluesky's ``cid`` and ``root_cid``).
    """

    remote_id: str
    root_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def reply_target(request: PublishRequest) -> ReplyTarget | None:
    """The post ``request`` replies to, or None for an ordinary post."""
    target = request.options.get("reply_to")
    if not isinstance(target, dict) or not target.get("remote_id"):
        return None
    extra = {k: v for k, v in target.items() if k not in ("remote_id", "root_id")}
    return ReplyTarget(remote_id=str(target["remote_id"]),
                       root_id=str(target["root_id"]) if target.get("root_id") else None,
                       extra=extra)


@dataclass(frozen=True)
class RemoteInboxItem:
    """One comment, mention, reply, quote or message as a platform reports it.

    ``kind`` is ``comment``, ``mention``, ``reply``, ``quote`` or ``message``;
    ``parent_id`` the post it answers, ``conversation_id`` the thread or
    conversation it belongs to; ``context`` what a reply to it needs later
    (Bluesky's cid and root); all ids are the platform's.
    """

    remote_id: str
    kind: str
    author_handle: str
    text: str
    received_at: datetime
    author_name: str | None = None
    url: str | None = None
    parent_id: str | None = None
    conversation_id: str | None = None
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InboxPage:
    """What one ``fetch_inbox`` call found, and the cursor to store after saving it.

    ``more`` is True when the platform has more new items than one call reads
    (the next call, with ``cursor``, continues).
    """

    items: list[RemoteInboxItem]
    cursor: dict[str, Any]
    more: bool = False


#: Called with each part the moment the platform confirms it.
PartCallback = Callable[[PublishedPart], None]
#: Called with new tokens the moment a refresh succeeds (rotated refresh tokens!).
TokensCallback = Callable[[Tokens], None]


class PlatformAdapter(abc.ABC):
    """One social network. Subclasses set ``name`` and ``capabilities``."""

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    def __init__(self, account: AccountInfo, tokens: Tokens, *,
                 on_tokens: TokensCallback | None = None, timeout_s: float = 30.0,
                 app: AppCredentials | None = None) -> None:
        self.account = account
        self.tokens = tokens
        self.on_tokens = on_tokens
        self.timeout_s = timeout_s
        self.app = app or AppCredentials()

    def account_capabilities(self) -> Capabilities:
        """What this adapter can do for its account.

        The platform's ``capabilities`` unless the account differs (LinkedIn can
        refresh only with a refresh token); the engine decides refreshes,
        look-ups and metrics by this.
        """
        return self.capabilities

    @classmethod
    def oauth_spec(cls, base_url: str | None = None) -> OAuthSpec | None:
        """The OAuth flow for this platform (None: it connects another way)."""
        return None

    @classmethod
    def finish_connect(cls, token_response: dict[str, Any], *, app: AppCredentials,
                       base_url: str | None = None, timeout_s: float = 30.0
                       ) -> tuple[ConnectedProfile, Tokens]:
        """Turn a token endpoint's answer into stored tokens and the account's profile.

        Platform specifics live here: reading who the user is, exchanging a
        short-lived token for a long-lived one, picking a page token, etc.
        """
        raise NotImplementedError(f"{cls.name} has no OAuth connect flow")

    def validate(self, request: PublishRequest) -> list[str]:
        """Problems that would make the platform refuse ``request`` (empty: looks fine)."""
        return []

    @abc.abstractmethod
    def publish(self, request: PublishRequest, on_part: PartCallback) -> PublishResult:
        """Publish every part not yet in ``request.already_published``, in order.

        Raises:
            AdapterError: a subclass from ``platforms.errors``.
        """

    def find_by_idempotency_key(self, request: PublishRequest) -> list[PublishedPart] | None:
        """Look for parts an earlier, unconfirmed send created; None when nothing is found."""
        return None

    def delete(self, remote_id: str) -> None:
        """Delete a published post."""
        raise NotImplementedError(f"{self.name} cannot delete posts")

    def refresh(self) -> Tokens:
        """Get fresh tokens; must call ``on_tokens`` before returning (rotation is atomic)."""
        raise NotImplementedError(f"{self.name} tokens cannot be refreshed")

    def fetch_metrics(self, remote_ids: list[str]) -> dict[str, Metrics]:
        """Current metrics for each remote id (missing ids: deleted or not visible)."""
        return {}

    def fetch_account_metrics(self) -> AccountMetrics | None:
        """The account's follower, following and post counts, or None where the
        platform's API gives none of them (the default: see docs/analytics.md)."""
        return None

    def fetch_inbox(self, cursor: dict[str, Any], *, limit: int = 100) -> InboxPage:
        """New inbox items since ``cursor`` (empty: the first sync), oldest first.

        The caller stores the returned cursor only after saving the items, so a
        failure here or there never skips an item; an item seen twice is
        deduplicated by its remote id. Only platforms whose spec declares an
        inbox implement it.
        """
        raise NotImplementedError(f"{self.name} has no inbox in socialhub")

    def close(self) -> None:  # noqa: B027 - optional hook; most adapters hold nothing
        """Release network resources."""
