"""The Mastodon adapter: statuses, self-reply threads, media with descriptions (plain httpx).

Facts it relies on (PLATFORMS.md §2.3): the instance publishes its own limits
at ``GET /api/v2/instance``; ``POST /api/v1/statuses`` honours an
``Idempotency-Key`` for about an hour; access tokens never expire and have no
refresh, so every 401 means the token was revoked; rate-limit headers carry an
ISO-8601 reset. Media go up through ``POST /api/v2/media``, which may answer
202 while the instance processes the file; we poll ``GET /api/v1/media/:id``
until it is ready, because a status cannot attach unprocessed media.

Looking a send up (``find_by_idempotency_key``) scans the account's recent
statuses rather than re-POSTing with the same key: a re-POST is a publish,
not a look-up — it would create the post if the first send never arrived,
and after an hour Mastodon forgets the key and it would duplicate.
"""

from __future__ import annotations

import html
import mimetypes
import re
import threading
import time
from datetime import UTC, datetime
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
from socialhub.platforms.http import (
    DEFAULT_REVOKED_CODES,
    make_client,
    raise_for_response,
    send,
)
from socialhub.platforms.mastodon.spec import SPEC
from socialhub.platforms.timestamps import parse_timestamp

DEFAULT_MAX_CHARACTERS = 500
DEFAULT_MAX_MEDIA = 4
DEFAULT_DESCRIPTION_LIMIT = 1500
_INSTANCE_TTL_S = 3600.0
_REVOKED = (*DEFAULT_REVOKED_CODES, "outside the authorized scopes",
            "login is currently disabled")
_SCAN_LIMIT = 40  # statuses per page, Mastodon's maximum

_instance_cache: dict[str, tuple[float, dict[str, int]]] = {}
_instance_lock = threading.Lock()


def part_key(idempotency_key: str, index: int) -> str:
    """The ``Idempotency-Key`` of part ``index`` of the delivery keyed ``idempotency_key``."""
    return f"{idempotency_key}:{index}"


def plain_text(content: str) -> str:
    """A status's HTML ``content`` as comparable plain text (tags dropped, spaces collapsed)."""
    text = re.sub(r"<br\s*/?>|</p>\s*<p>", "\n", content)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return normalise(text)


def normalise(text: str) -> str:
    """Collapse whitespace and ``@user@domain`` → ``@user``, as the HTML rendering shows them."""
    text = re.sub(r"(?<![\w/=])@([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_])?)@[\w.-]+\w", r"@\1",
                  text, flags=re.IGNORECASE)
    return " ".join(text.split())


class MastodonAdapter(PlatformAdapter):
    """Publishes to one Mastodon account; ``account.base_url`` is the instance URL."""

    name: ClassVar[str] = "mastodon"
    capabilities: ClassVar[Capabilities] = Capabilities(
        threads=True, media=True, alt_text=True, first_comment=True, delete=True,
        metrics=True, refresh=False, idempotency=True, lookup=True)

    def __init__(self, account: AccountInfo, tokens: Tokens, *,
                 on_tokens: TokensCallback | None = None, timeout_s: float = 30.0,
                 app: AppCredentials | None = None) -> None:
        super().__init__(account, tokens, on_tokens=on_tokens, timeout_s=timeout_s, app=app)
        if not account.base_url:
            raise AuthRevokedError(f"mastodon account {account.handle} has no instance URL",
                                   hint="reconnect it with its instance")
        self._base_url = account.base_url.rstrip("/")
        self._client = make_client(self._base_url, timeout_s=timeout_s)
        self._account_id = account.external_id
        self.media_poll_s = 0.5  # first wait between media polls; doubles up to 4 s

    # -- helpers ------------------------------------------------------------
    def _call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens.access_token or ''}"}
        headers.update(kw.pop("headers", {}))
        response = send(self._client, method, path, platform=self.name, headers=headers, **kw)
        # Tokens never expire on Mastodon: an empty expired list makes every 401 "revoked".
        raise_for_response(response, platform=self.name, expired_codes=(),
                           revoked_codes=_REVOKED)
        return response

    def instance_limits(self) -> dict[str, int]:
        """This instance's limits from ``/api/v2/instance`` (cached an hour; defaults if down)."""
        now = time.monotonic()
        with _instance_lock:
            cached = _instance_cache.get(self._base_url)
        if cached is not None and now - cached[0] < _INSTANCE_TTL_S:
            return cached[1]
        limits = {"max_characters": DEFAULT_MAX_CHARACTERS,
                  "max_media_attachments": DEFAULT_MAX_MEDIA,
                  "description_limit": DEFAULT_DESCRIPTION_LIMIT}
        try:
            response = send(self._client, "GET", "/api/v2/instance", platform=self.name)
            raise_for_response(response, platform=self.name)
            config = response.json().get("configuration") or {}
        except (RetryLaterError, InvalidContentError, AuthRevokedError, ValueError):
            return limits  # not cached: try again next time
        statuses = config.get("statuses") or {}
        media = config.get("media_attachments") or {}
        for key, source in (("max_characters", statuses),
                            ("max_media_attachments", statuses),
                            ("description_limit", media)):
            if isinstance(source.get(key), int):
                limits[key] = source[key]
        with _instance_lock:
            _instance_cache[self._base_url] = (now, limits)
        return limits

    def _my_id(self) -> str:
        if self._account_id is None:
            data = self._call("GET", "/api/v1/accounts/verify_credentials").json()
            self._account_id = str(data["id"])
        return self._account_id

    def _upload_all(self, items: list[MediaItem]) -> list[str]:
        # An upload that may or may not have arrived leaves at most an orphan
        # attachment nobody sees, so it is an ordinary retry, not "unconfirmed".
        try:
            return [self._upload(item) for item in items]
        except OutcomeUnknownError as exc:
            raise RetryLaterError(exc.message, status=exc.status) from None

    def _upload(self, item: MediaItem) -> str:
        if item.path is None:
            raise InvalidContentError("mastodon: media must be a local file, not a URL")
        try:
            data = item.path.read_bytes()
        except OSError as exc:
            raise InvalidContentError(
                f"mastodon: cannot read media file {item.path}: {exc.strerror}") from None
        mime = item.mime or mimetypes.guess_type(item.path.name)[0] or "application/octet-stream"
        form = {"description": item.alt_text} if item.alt_text else {}
        response = self._call("POST", "/api/v2/media", data=form,
                              files={"file": (item.path.name, data, mime)})
        media = response.json()
        if response.status_code == 202 or media.get("url") is None:
            self._wait_processed(str(media["id"]))
        return str(media["id"])

    def _wait_processed(self, media_id: str) -> None:
        deadline = time.monotonic() + self.timeout_s
        pause = self.media_poll_s
        while time.monotonic() < deadline:
            time.sleep(pause)
            response = self._call("GET", f"/api/v1/media/{media_id}")
            if response.status_code == 200 and response.json().get("url"):
                return
            pause = min(pause * 2, 4.0)
        raise RetryLaterError(f"mastodon: media {media_id} still processing after "
                              f"{self.timeout_s:.0f} s")

    def _status_body(self, request: PublishRequest, text: str) -> dict[str, Any]:
        body: dict[str, Any] = {"status": text,
                                "visibility": request.options.get("visibility", "public")}
        for option in ("language", "spoiler_text", "sensitive"):
            if request.options.get(option) is not None:
                body[option] = request.options[option]
        return body

    @staticmethod
    def _part(index: int, status: dict[str, Any], *, comment: bool) -> PublishedPart:
        extra: dict[str, Any] = {"uri": status.get("uri")}
        if comment:
            extra["first_comment"] = True
        return PublishedPart(index=index, remote_id=str(status["id"]),
                             url=status.get("url") or status.get("uri"), extra=extra)

    @staticmethod
    def _texts(request: PublishRequest) -> list[str]:
        return list(request.parts) + ([request.first_comment] if request.first_comment else [])

    # -- the interface ----------------------------------------------------------
    def validate(self, request: PublishRequest) -> list[str]:
        """Length by the server's rule against the instance's limit; media count and alt text."""
        from socialhub.core.text import measure

        limits = self.instance_limits()
        spoiler = str(request.options.get("spoiler_text") or "")
        problems: list[str] = []
        if not request.parts:
            problems.append("nothing to publish: no parts")
        for index, text in enumerate(self._texts(request)):
            what = "first comment" if index >= len(request.parts) else f"part {index + 1}"
            if index == 0 and request.media and not text.strip():
                continue  # media carries the post
            result = measure(text, SPEC.text_rules, limit=limits["max_characters"],
                             spoiler_text=spoiler)
            problems.extend(f"{what}: {problem}" for problem in result.problems)
        if len(request.media) > limits["max_media_attachments"]:
            problems.append(f"{len(request.media)} media; this instance allows "
                            f"{limits['max_media_attachments']}")
        for item in request.media:
            if item.path is None:
                problems.append("media must be a local file on Mastodon")
            elif not item.path.is_file():
                problems.append(f"media file {item.path} does not exist")
            if item.alt_text and len(item.alt_text) > limits["description_limit"]:
                problems.append(f"alt text of {item.path or item.url} is over "
                                f"{limits['description_limit']} characters")
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
            body = self._status_body(request, text)
            if previous is not None:
                body["in_reply_to_id"] = previous.remote_id
            if index == 0 and request.media:
                body["media_ids"] = self._upload_all(request.media)
            try:
                response = self._call("POST", "/api/v1/statuses", json=body, headers={
                    "Idempotency-Key": part_key(request.idempotency_key, index)})
            except InvalidContentError as exc:
                if "not finished processing" in exc.message:
                    raise RetryLaterError(exc.message, status=exc.status) from None
                raise
            previous = self._part(index, response.json(), comment=index >= len(request.parts))
            on_part(previous)
            published.append(previous)
        return PublishResult(parts=published)

    def find_by_idempotency_key(self, request: PublishRequest) -> list[PublishedPart] | None:
        """Find parts an unconfirmed send created among the account's recent statuses.

        Matches, in order, a status with the part's text that replies to the
        previous part (the first part: replies to nothing). Set
        ``request.options["not_before"]`` (an aware datetime or ISO string,
        e.g. the first attempt's start) so an older post with the same text —
        a recurring post — is never mistaken for this one.
        """
        params: dict[str, Any] = {"limit": _SCAN_LIMIT, "exclude_reblogs": "true"}
        statuses = self._call("GET", f"/api/v1/accounts/{self._my_id()}/statuses",
                              params=params).json()
        not_before = parse_timestamp(request.options.get("not_before"))
        found: list[PublishedPart] = []
        target = reply_target(request)
        parent: str | None = target.remote_id if target else None
        for index, text in enumerate(self._texts(request)):
            wanted = normalise(text)
            match = next((s for s in statuses  # newest first: an older twin is a past post
                          if s.get("in_reply_to_id") == parent
                          and plain_text(s.get("content") or "") == wanted
                          and (not_before is None
                               or (parse_timestamp(s.get("created_at")) or not_before)
                               >= not_before)), None)
            if match is None:
                break
            found.append(self._part(index, match, comment=index >= len(request.parts)))
            parent = str(match["id"])
        return found or None

    def fetch_inbox(self, cursor: dict[str, Any], *, limit: int = 40) -> InboxPage:
        """Mentions since ``cursor["min_id"]`` from ``GET /api/v1/notifications``, oldest first.

        ``types[]=mention`` covers mentions, replies (they mention the author) and
        direct messages (``visibility: direct``). ``min_id`` returns the page right
        after the cursor, so pages walk forward without gaps (the first sync from the
        oldest notification the instance keeps); the page size is
        capped at Mastodon's 80.
        """
        # The first sync starts at min_id 0: the oldest page, then forward (a newest-first
        # read would leave the backlog behind the cursor).
        params: dict[str, Any] = {"types[]": ["mention"], "limit": min(limit, 80),
                                  "min_id": cursor.get("min_id") or "0"}
        notes = self._call("GET", "/api/v1/notifications", params=params).json()
        me = self._account_id
        items = []
        for note in sorted(notes, key=lambda n: _id_key(str(n["id"]))):
            status = note.get("status") or {}
            if not status:
                continue
            author = note.get("account") or status.get("account") or {}
            parent = status.get("in_reply_to_id")
            if status.get("visibility") == "direct":
                kind, conversation = "message", f"dm:{author.get('acct')}"
            elif parent and (me is None or status.get("in_reply_to_account_id") == me):
                kind, conversation = "reply", str(parent)
            else:
                kind, conversation = "mention", str(status["id"])
            items.append(RemoteInboxItem(
                remote_id=str(status["id"]), kind=kind,
                author_handle=str(author.get("acct") or author.get("username") or "?"),
                author_name=author.get("display_name") or None,
                text=plain_text(status.get("content") or ""),
                received_at=parse_timestamp(status.get("created_at")
                                            or note.get("created_at")) or datetime.now(UTC),
                url=status.get("url") or status.get("uri"),
                parent_id=str(parent) if parent else None, conversation_id=conversation,
                context={"notification_id": str(note["id"])}))
        newest = max((str(n["id"]) for n in notes), key=_id_key, default=cursor.get("min_id"))
        next_cursor = {"min_id": newest} if newest else {}
        return InboxPage(items=items, cursor=next_cursor, more=len(notes) >= min(limit, 80))

    def delete(self, remote_id: str) -> None:
        """Delete a status; one that is already gone counts as deleted."""
        try:
            self._call("DELETE", f"/api/v1/statuses/{remote_id}")
        except InvalidContentError as exc:
            if exc.status != 404:
                raise

    def fetch_metrics(self, remote_ids: list[str]) -> dict[str, Metrics]:
        """Replies, boosts (reposts), favourites (likes) and quotes; Mastodon has no impressions."""
        result: dict[str, Metrics] = {}
        for remote_id in remote_ids:
            try:
                status = self._call("GET", f"/api/v1/statuses/{remote_id}").json()
            except InvalidContentError as exc:
                if exc.status == 404:
                    continue
                raise
            result[remote_id] = Metrics(
                likes=status.get("favourites_count"), replies=status.get("replies_count"),
                reposts=status.get("reblogs_count"), quotes=status.get("quotes_count"),
                raw={k: status.get(k) for k in ("id", "replies_count", "reblogs_count",
                                                "favourites_count", "quotes_count")})
        return result

    def fetch_account_metrics(self) -> AccountMetrics:
        """Followers, following and statuses from ``accounts/verify_credentials``."""
        data = self._call("GET", "/api/v1/accounts/verify_credentials").json()
        keys = ("followers_count", "following_count", "statuses_count")
        return AccountMetrics(followers=data.get("followers_count"),
                              following=data.get("following_count"),
                              posts=data.get("statuses_count"),
                              raw={k: data.get(k) for k in keys})

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()


def _id_key(value: str) -> tuple[int, str]:
    """Mastodon ids are numeric strings: order them as numbers (then as text)."""
    return (len(value), value) if value.isdigit() else (0, value)
