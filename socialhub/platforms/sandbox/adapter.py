"""The sandbox adapter: a normal adapter for the local sandbox network.

The network itself (a real local HTTP service) is ``socialhub.sandbox_network``.

Same shape as every other platform module. Each part of a thread gets its
own idempotency key (``f"{key}:{index}"``), so a resend after a timeout is
answered with the original post instead of a duplicate, and
``find_by_idempotency_key`` can find what an unconfirmed send created. A first
comment is one more self-reply after the last part, at index ``len(parts)``.
"""

from __future__ import annotations

import base64
import mimetypes
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from socialhub.platforms.base import (
    AccountInfo,
    AccountMetrics,
    AppCredentials,
    Capabilities,
    InboxPage,
    MediaItem,
    Metrics,
    PartCallback,
    PlatformAdapter,
    PublishedPart,
    PublishRequest,
    PublishResult,
    RemoteInboxItem,
    Tokens,
    TokensCallback,
    reply_target,
)
from socialhub.platforms.errors import (
    AuthRevokedError,
    InvalidContentError,
    OutcomeUnknownError,
    RetryLaterError,
)
from socialhub.platforms.http import make_client, raise_for_response, send

DEFAULT_MAX_CHARS = 500
DEFAULT_MAX_MEDIA = 4
_EXPIRED = ("token_expired",)
_REVOKED = ("invalid_token", "invalid_grant")


def part_key(idempotency_key: str, index: int) -> str:
    """The idempotency key of part ``index`` of the delivery keyed ``idempotency_key``."""
    return f"{idempotency_key}:{index}"


def connect(base_url: str, handle: str, *, timeout_s: float = 10.0) -> tuple[str, Tokens]:
    """Create (or reuse) the sandbox account ``handle``; its external id and fresh tokens.

    This is the sandbox's whole "OAuth": the demo and tests use it to connect
    an account without a browser.
    """
    with make_client(base_url, timeout_s=timeout_s) as client:
        response = send(client, "POST", "/oauth/token", platform="sandbox",
                        data={"grant_type": "client_credentials", "handle": handle})
        raise_for_response(response, platform="sandbox")
    data = response.json()
    return str(data["account"]["id"]), Tokens(
        access_token=data["access_token"], refresh_token=data["refresh_token"],
        expires_at=datetime.now(UTC) + timedelta(seconds=data["expires_in"]))


class SandboxAdapter(PlatformAdapter):
    """Publishes to a sandbox service; ``account.base_url`` is the service's URL."""

    name: ClassVar[str] = "sandbox"
    capabilities: ClassVar[Capabilities] = Capabilities(
        threads=True, media=True, alt_text=True, first_comment=True, delete=True,
        metrics=True, refresh=True, idempotency=True, lookup=True)

    def __init__(self, account: AccountInfo, tokens: Tokens, *,
                 on_tokens: TokensCallback | None = None, timeout_s: float = 30.0,
                 app: AppCredentials | None = None) -> None:
        super().__init__(account, tokens, on_tokens=on_tokens, timeout_s=timeout_s, app=app)
        if not account.base_url:
            raise AuthRevokedError(f"sandbox account {account.handle} has no service URL",
                                   hint="reconnect it with the sandbox's URL")
        self._client = make_client(account.base_url, timeout_s=timeout_s)

    # -- helpers ------------------------------------------------------------
    def _call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens.access_token or ''}"}
        headers.update(kw.pop("headers", {}))
        response = send(self._client, method, path, platform=self.name, headers=headers, **kw)
        raise_for_response(response, platform=self.name, expired_codes=_EXPIRED,
                           revoked_codes=_REVOKED)
        return response

    def _limits(self) -> tuple[int, int]:
        settings = self.account.settings
        return (int(settings.get("max_chars", DEFAULT_MAX_CHARS)),
                int(settings.get("max_media", DEFAULT_MAX_MEDIA)))

    def _upload_all(self, items: list[MediaItem]) -> list[str]:
        # An upload that may or may not have arrived leaves at most an orphan
        # attachment nobody sees, so it is an ordinary retry, not "unconfirmed".
        try:
            return [self._upload(item) for item in items]
        except OutcomeUnknownError as exc:
            raise RetryLaterError(exc.message, status=exc.status) from None

    def _upload(self, item: MediaItem) -> str:
        body: dict[str, Any] = {"alt": item.alt_text}
        if item.path is not None:
            try:
                data = item.path.read_bytes()
            except OSError as exc:
                raise InvalidContentError(
                    f"sandbox: cannot read media file {item.path}: {exc.strerror}") from None
            body["data"] = base64.b64encode(data).decode()
            body["mime"] = item.mime or mimetypes.guess_type(item.path.name)[0]
        else:
            body["url"], body["mime"] = item.url, item.mime
        return str(self._call("POST", "/api/media", json=body).json()["id"])

    @staticmethod
    def _part(index: int, data: dict[str, Any], *, comment: bool) -> PublishedPart:
        extra = {"first_comment": True} if comment else {}
        return PublishedPart(index=index, remote_id=str(data["id"]), url=data.get("url"),
                             extra=extra)

    @staticmethod
    def _texts(request: PublishRequest) -> list[str]:
        return list(request.parts) + ([request.first_comment] if request.first_comment else [])

    # -- the interface ----------------------------------------------------------
    def validate(self, request: PublishRequest) -> list[str]:
        """Empty parts, parts over the character limit, too many or unreadable media."""
        max_chars, max_media = self._limits()
        problems = []
        if not request.parts:
            problems.append("nothing to publish: no parts")
        for index, text in enumerate(self._texts(request)):
            what = "first comment" if index >= len(request.parts) else f"part {index + 1}"
            if not text.strip() and not (index == 0 and request.media):
                problems.append(f"{what} is empty")
            if len(text) > max_chars:
                problems.append(f"{what} has {len(text)} characters; the limit is {max_chars}")
        if len(request.media) > max_media:
            problems.append(f"{len(request.media)} media; the limit is {max_media}")
        for item in request.media:
            if item.path is not None and not item.path.is_file():
                problems.append(f"media file {item.path} does not exist")
        return problems

    def publish(self, request: PublishRequest, on_part: PartCallback) -> PublishResult:
        """Publish each part not already published as a self-reply to the one before."""
        done = {p.index: p for p in request.already_published}
        published: list[PublishedPart] = []
        target = reply_target(request)
        previous: PublishedPart | None = (
            PublishedPart(index=-1, remote_id=target.remote_id) if target else None)
        for index, text in enumerate(self._texts(request)):
            if index in done:
                previous = done[index]
                published.append(previous)
                continue
            body: dict[str, Any] = {"text": text}
            if previous is not None:
                body["reply_to"] = previous.remote_id
            if index == 0 and request.media:
                body["media_ids"] = self._upload_all(request.media)
            response = self._call("POST", "/api/posts", json=body, headers={
                "Idempotency-Key": part_key(request.idempotency_key, index)})
            previous = self._part(index, response.json(), comment=index >= len(request.parts))
            on_part(previous)
            published.append(previous)
        return PublishResult(parts=published)

    def fetch_inbox(self, cursor: dict[str, Any], *, limit: int = 100) -> InboxPage:
        """What simulated people sent since ``cursor["since_id"]`` (``GET /api/inbox``)."""
        since = int(cursor.get("since_id") or 0)
        data = self._call("GET", "/api/inbox", params={"since_id": since,
                                                      "limit": limit}).json()
        items = [RemoteInboxItem(
            remote_id=str(i["id"]), kind=str(i["kind"]), author_handle=str(i["author"]),
            author_name=i.get("author_name"), text=str(i.get("text") or ""),
            received_at=datetime.fromtimestamp(float(i["created_at"]), UTC),
            url=i.get("url"), parent_id=i.get("reply_to"),
            conversation_id=i.get("conversation_id")) for i in data.get("items") or []]
        newest = max([since, *(int(i.remote_id) for i in items)])
        return InboxPage(items=items, cursor={"since_id": newest}, more=bool(data.get("more")))

    def find_by_idempotency_key(self, request: PublishRequest) -> list[PublishedPart] | None:
        """Ask the service which parts exist under this delivery's keys (in order)."""
        found: list[PublishedPart] = []
        for index in range(len(self._texts(request))):
            response = self._call("GET", "/api/posts", params={
                "idempotency_key": part_key(request.idempotency_key, index)})
            posts = response.json().get("posts") or []
            if not posts:
                break  # later parts reply to this one, so they cannot exist either
            found.append(self._part(index, posts[0], comment=index >= len(request.parts)))
        return found or None

    def delete(self, remote_id: str) -> None:
        """Delete a post; a post that is already gone counts as deleted."""
        try:
            self._call("DELETE", f"/api/posts/{remote_id}")
        except InvalidContentError as exc:
            if exc.status != 404:
                raise

    def refresh(self) -> Tokens:
        """Trade the refresh token for a new pair (the old refresh token stops working)."""
        if not self.tokens.refresh_token:
            raise AuthRevokedError(f"sandbox account {self.account.handle} has no refresh "
                                   "token", hint="reconnect the account")
        response = send(self._client, "POST", "/oauth/token", platform=self.name, data={
            "grant_type": "refresh_token", "refresh_token": self.tokens.refresh_token})
        if response.status_code in (400, 401, 403):
            raise AuthRevokedError(f"sandbox: refresh refused (HTTP {response.status_code})",
                                   status=response.status_code, hint="reconnect the account")
        raise_for_response(response, platform=self.name)
        data = response.json()
        tokens = Tokens(access_token=data["access_token"], refresh_token=data["refresh_token"],
                        expires_at=datetime.now(UTC) + timedelta(seconds=data["expires_in"]),
                        scopes=list(self.tokens.scopes), extra=dict(self.tokens.extra))
        if self.on_tokens is not None:
            self.on_tokens(tokens)
        self.tokens = tokens
        return tokens

    def fetch_metrics(self, remote_ids: list[str]) -> dict[str, Metrics]:
        """Impressions, likes, replies, reposts and quotes for each live post; clicks
        for a post with a link."""
        result: dict[str, Metrics] = {}
        for remote_id in remote_ids:
            try:
                data = self._call("GET", f"/api/posts/{remote_id}/metrics").json()
            except InvalidContentError as exc:
                if exc.status == 404:
                    continue
                raise
            result[remote_id] = Metrics(
                impressions=data["impressions"], likes=data["likes"], replies=data["replies"],
                reposts=data["reposts"], quotes=data["quotes"], clicks=data.get("clicks"),
                raw=data)
        return result

    def fetch_account_metrics(self) -> AccountMetrics:
        """Followers, following and posts from ``GET /api/me``."""
        data = self._call("GET", "/api/me").json()
        return AccountMetrics(followers=data.get("followers"), following=data.get("following"),
                              posts=data.get("posts"),
                              raw={k: data.get(k) for k in ("followers", "following", "posts")})

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()
