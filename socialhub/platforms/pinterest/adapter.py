"""The Pinterest adapter (API v5): image pins with board, title, description, link, alt text.

Facts it relies on (PLATFORMS.md §1b, §2.9): ``POST /v5/pins`` creates a pin on
``board_id`` with ``media_source`` (``image_url``, ``image_base64``,
``multiple_image_urls``, ``multiple_image_base64``); title ≤100, description
≤800, link ≤2048, alt_text ≤500; a pin needs an image. Errors are
``{"code": <int>, "message": "…"}``. OAuth tokens come from
``/v5/oauth/token`` with HTTP Basic client auth; refresh tokens are
*continuous*: every refresh returns a new refresh token (60 days, refreshable
indefinitely), so it is handed to ``on_tokens`` before anything else happens.

Where to pin: ``request.options["board_id"]``, else the account setting
``board_id`` (optionally ``board_section_id`` likewise). The description is
the first (only) part; the title and link come from ``options["title"]`` and
``options["link"]``; alt text from the first media item.

Not supported yet: video pins (the ``/v5/media`` register → upload → poll
flow); ``validate`` and ``publish`` refuse a video with a message saying so.
Pinterest has no idempotency key and no comments API: an unconfirmed send is
looked up among the user's recent pins (``GET /v5/pins``).
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from socialhub.platforms.base import (
    AccountInfo,
    AccountMetrics,
    AppCredentials,
    Capabilities,
    ConnectedProfile,
    MediaItem,
    Metrics,
    OAuthSpec,
    PartCallback,
    PlatformAdapter,
    PublishedPart,
    PublishRequest,
    PublishResult,
    Tokens,
    TokensCallback,
    count_or_none,
)
from socialhub.platforms.errors import (
    AuthRevokedError,
    InvalidContentError,
    OutcomeUnknownError,
    RetryLaterError,
)
from socialhub.platforms.http import make_client, raise_for_response, send
from socialhub.platforms.media_info import human_size, media_facts, mime_for
from socialhub.platforms.pinterest.spec import SPEC
from socialhub.platforms.timestamps import parse_timestamp

API_URL = "https://api.pinterest.com"
AUTHORIZE_URL = "https://www.pinterest.com/oauth/"
PIN_URL = "https://www.pinterest.com/pin/{id}/"
SCOPES = ("boards:read", "pins:read", "pins:write", "user_accounts:read")
DESCRIPTION_LIMIT = 800
LINK_LIMIT = 2048
ALT_TEXT_LIMIT = 500
MAX_IMAGES = 5  # carousel size: unverified in PLATFORMS.md, Pinterest's help says 2–5
MAX_IMAGE_BYTES = 20_000_000  # Pinterest's help centre (20 MB); not in the OpenAPI spec
BASE64_TYPES = ("image/jpeg", "image/png")  # the OpenAPI enum of image_base64.content_type
METRIC_TYPES = ("IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK", "TOTAL_COMMENTS",
                "TOTAL_REACTIONS")
_ANALYTICS_DAYS = 89  # analytics reach back 90 days at most
_SCAN_PAGE = 100
# Which scope each endpoint needs, so a 403 about scopes names the missing one.
_SCOPE_FOR = (("POST /v5/pins", "pins:write"), ("DELETE /v5/pins", "pins:write"),
              ("GET /v5/pins", "pins:read"), ("GET /v5/user_account", "user_accounts:read"))


def tokens_from_response(data: dict[str, Any], *, keep_refresh: str | None = None) -> Tokens:
    """Tokens from ``/v5/oauth/token``: expiry from ``expires_in``, the refresh token's own
    expiry from ``refresh_token_expires_at`` (Unix seconds) or ``refresh_token_expires_in``."""
    now = datetime.now(UTC)
    expires_in = data.get("expires_in")
    refresh_at: datetime | None = None
    if data.get("refresh_token_expires_at"):
        refresh_at = datetime.fromtimestamp(float(data["refresh_token_expires_at"]), tz=UTC)
    elif data.get("refresh_token_expires_in"):
        refresh_at = now + timedelta(seconds=float(data["refresh_token_expires_in"]))
    scope = str(data.get("scope") or "")
    return Tokens(access_token=str(data["access_token"]),
                  refresh_token=data.get("refresh_token") or keep_refresh,
                  expires_at=now + timedelta(seconds=float(expires_in)) if expires_in else None,
                  refresh_expires_at=refresh_at,
                  scopes=[s for s in re.split(r"[\s,]+", scope) if s])


def media_kind(item: MediaItem) -> str:
    """``image``, ``video`` or ``other`` from the item's MIME type or file name."""
    mime = item.mime or mime_for(urlsplit(item.url).path if item.url else str(item.path)) or ""
    return "image" if mime.startswith("image/") else "video" if mime.startswith(
        "video/") else "other"


class PinterestAdapter(PlatformAdapter):
    """Publishes image pins to one board of one Pinterest account."""

    name: ClassVar[str] = "pinterest"
    capabilities: ClassVar[Capabilities] = Capabilities(
        threads=False, media=True, alt_text=True, first_comment=False, delete=True,
        metrics=True, refresh=True, idempotency=False, lookup=True, text_only=False)

    def __init__(self, account: AccountInfo, tokens: Tokens, *,
                 on_tokens: TokensCallback | None = None, timeout_s: float = 30.0,
                 app: AppCredentials | None = None) -> None:
        super().__init__(account, tokens, on_tokens=on_tokens, timeout_s=timeout_s, app=app)
        self._base = account.base_url.rstrip("/") if account.base_url else None
        self._client = make_client(self._base or API_URL, timeout_s=timeout_s)

    # -- OAuth ----------------------------------------------------------------
    @classmethod
    def oauth_spec(cls, base_url: str | None = None) -> OAuthSpec:
        """Pinterest's code flow: comma-separated scopes, Basic client auth, no PKCE."""
        base = base_url.rstrip("/") if base_url else None
        return OAuthSpec(authorize_url=f"{base}/oauth/" if base else AUTHORIZE_URL,
                         token_url=f"{base or API_URL}/v5/oauth/token", scopes=SCOPES,
                         scope_separator=",", pkce=False, client_auth="basic")

    @classmethod
    def finish_connect(cls, token_response: dict[str, Any], *, app: AppCredentials,
                       base_url: str | None = None, timeout_s: float = 30.0
                       ) -> tuple[ConnectedProfile, Tokens]:
        """Read the account from ``/v5/user_account``; the handle is the username."""
        tokens = tokens_from_response(token_response)
        with make_client(base_url.rstrip("/") if base_url else API_URL,
                         timeout_s=timeout_s) as client:
            response = send(client, "GET", "/v5/user_account", platform=cls.name,
                            headers={"Authorization": f"Bearer {tokens.access_token}"})
            raise_for_response(response, platform=cls.name)
            user = response.json()
        profile = ConnectedProfile(
            handle=str(user["username"]), external_id=str(user["id"]) if user.get("id") else None,
            display_name=user.get("business_name") or user.get("username"), base_url=base_url)
        return profile, tokens

    def refresh(self) -> Tokens:
        """Exchange the refresh token for new tokens; the NEW refresh token is stored first.

        Sends ``continuous_refresh=true`` (required of apps created before
        2025-09-25) unless the account setting ``continuous_refresh`` is false.

        Raises:
            AuthRevokedError: no refresh token, or Pinterest refused it (revoked
                or past its 60 days): a person must reconnect.
            RetryLaterError: Pinterest could not be reached, or the answer was lost.
        """
        if not self.tokens.refresh_token:
            raise AuthRevokedError("pinterest: no refresh token stored",
                                   hint="reconnect the account (socialhub accounts connect "
                                        "pinterest)")
        form = {"grant_type": "refresh_token", "refresh_token": self.tokens.refresh_token}
        if self.account.settings.get("continuous_refresh", True):
            form["continuous_refresh"] = "true"
        try:
            response = send(self._client, "POST", "/v5/oauth/token", platform=self.name,
                            auth=(self.app.client_id or "", self.app.client_secret or ""),
                            data=form)
        except OutcomeUnknownError as exc:
            # A lost answer may have rotated the token; the engine retries and, if the
            # old one was consumed, the retry fails as revoked and asks for a reconnect.
            raise RetryLaterError(exc.message) from None
        if response.status_code in (400, 401, 403):
            raise AuthRevokedError(f"pinterest: the refresh token was refused "
                                   f"(HTTP {response.status_code})",
                                   status=response.status_code,
                                   hint="reconnect the account (socialhub accounts connect "
                                        "pinterest)")
        raise_for_response(response, platform=self.name)
        tokens = tokens_from_response(response.json(), keep_refresh=self.tokens.refresh_token)
        if self.on_tokens is not None:
            self.on_tokens(tokens)  # the old refresh token may be dead already
        self.tokens = tokens
        return tokens

    # -- helpers ----------------------------------------------------------------
    def _call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens.access_token or ''}"}
        response = send(self._client, method, path, platform=self.name, headers=headers, **kw)
        if response.status_code == 403 and "scope" in response.text.lower():
            where = f"{method} {path}"
            scope = next((s for p, s in _SCOPE_FOR if where.startswith(p)), "?")
            raise AuthRevokedError(f"pinterest: the token lacks the {scope!r} scope needed "
                                   f"for {method} {path}", status=403,
                                   hint="reconnect the account to grant it")
        raise_for_response(response, platform=self.name)
        return response

    def board_id(self, request: PublishRequest) -> str | None:
        """The board to pin to: ``options["board_id"]``, else the account setting."""
        value = request.options.get("board_id") or self.account.settings.get("board_id")
        return str(value) if value else None

    def _pin_url(self, pin_id: str) -> str:
        return f"{self._base}/pin/{pin_id}/" if self._base else PIN_URL.format(id=pin_id)

    def _media_source(self, media: list[MediaItem]) -> dict[str, Any]:
        if any(media_kind(m) == "video" for m in media):
            raise InvalidContentError("pinterest: video pins are not supported by socialhub "
                                      "yet: use an image")
        if all(m.url for m in media):
            if len(media) == 1:
                return {"source_type": "image_url", "url": media[0].url}
            return {"source_type": "multiple_image_urls",
                    "items": [{"url": m.url} for m in media]}
        if any(m.url for m in media):
            raise InvalidContentError("pinterest: mix of media URLs and files: use only one")
        items = [self._base64(m) for m in media]
        if len(items) == 1:
            return {"source_type": "image_base64", **items[0]}
        return {"source_type": "multiple_image_base64", "items": items}

    @staticmethod
    def _base64(item: MediaItem) -> dict[str, str]:
        assert item.path is not None
        try:
            data = item.path.read_bytes()
        except OSError as exc:
            raise InvalidContentError(
                f"pinterest: cannot read media file {item.path}: {exc.strerror}") from None
        mime = item.mime or mime_for(item.path) or ""
        return {"content_type": mime, "data": base64.b64encode(data).decode()}

    def _part(self, pin: dict[str, Any]) -> PublishedPart:
        return PublishedPart(index=0, remote_id=str(pin["id"]), url=self._pin_url(str(pin["id"])),
                             extra={"board_id": pin.get("board_id")})

    # -- the interface ----------------------------------------------------------
    def validate(self, request: PublishRequest) -> list[str]:
        """Image required, one part, board set, field lengths, image types and sizes."""
        from socialhub.core.text import PINTEREST_TITLE_LIMIT, measure

        problems: list[str] = []
        if len(request.parts) > 1:
            problems.append(f"pinterest has no threads: publish one part, not "
                            f"{len(request.parts)}")
        if request.first_comment:
            problems.append("pinterest has no comments: drop the first comment")
        if self.board_id(request) is None:
            problems.append("pinterest needs a board: set the account setting 'board_id' or "
                            "the post option board_id=…")
        text = request.parts[0] if request.parts else ""
        if text.strip():
            problems.extend(f"description: {p}" for p in measure(text, SPEC.text_rules).problems)
        title = str(request.options.get("title") or "")
        if title:
            problems.extend(f"title: {p}" for p in
                            measure(title, SPEC.text_rules, limit=PINTEREST_TITLE_LIMIT).problems)
        link = str(request.options.get("link") or "")
        if link and (len(link) > LINK_LIMIT or not link.startswith(("http://", "https://"))):
            problems.append(f"link must be an http(s) URL of at most {LINK_LIMIT} characters")
        problems.extend(_media_problems(request.media))
        return problems

    def publish(self, request: PublishRequest, on_part: PartCallback) -> PublishResult:
        """Create the pin (once: an already published part 0 is returned as is)."""
        done = [p for p in request.already_published if p.index == 0]
        if done:
            return PublishResult(parts=done)
        board = self.board_id(request)
        if board is None:
            raise InvalidContentError("pinterest: no board: set the account setting 'board_id' "
                                      "or the post option board_id=…")
        if not request.media:
            raise InvalidContentError("pinterest needs an image: add --media")
        body: dict[str, Any] = {"board_id": board,
                                "media_source": self._media_source(request.media)}
        text = request.parts[0] if request.parts else ""
        if text.strip():
            body["description"] = text
        for option in ("title", "link", "board_section_id"):
            if request.options.get(option):
                body[option] = str(request.options[option])
        if request.media[0].alt_text:
            body["alt_text"] = request.media[0].alt_text
        try:
            response = self._call("POST", "/v5/pins", json=body)
        except InvalidContentError as exc:
            if exc.status == 404 and "board" in exc.message.lower():
                raise InvalidContentError(f"{exc.message}: check board_id {board}",
                                          status=404, code=exc.code) from None
            raise
        part = self._part(response.json())
        on_part(part)
        return PublishResult(parts=[part])

    def find_by_idempotency_key(self, request: PublishRequest) -> list[PublishedPart] | None:
        """Find an unconfirmed pin among the user's recent pins.

        Matches board, description and title; with ``options["not_before"]``
        an older pin with the same text (a recurring post) is never taken.
        """
        board = self.board_id(request)
        text = _norm(request.parts[0] if request.parts else "")
        title = _norm(request.options.get("title"))
        not_before = parse_timestamp(request.options.get("not_before"))
        data = self._call("GET", "/v5/pins", params={"page_size": _SCAN_PAGE}).json()
        for pin in data.get("items") or []:  # newest first: an older twin is a past post
            created = parse_timestamp(pin.get("created_at"))
            if (str(pin.get("board_id")) == board and _norm(pin.get("description")) == text
                    and _norm(pin.get("title")) == title
                    and (not_before is None or created is None
                         or created >= not_before.replace(microsecond=0)
                         - timedelta(seconds=1))):
                return [self._part(pin)]
        return None

    def delete(self, remote_id: str) -> None:
        """Delete a pin; one that is already gone counts as deleted."""
        try:
            self._call("DELETE", f"/v5/pins/{remote_id}")
        except InvalidContentError as exc:
            if exc.status != 404:
                raise

    def fetch_metrics(self, remote_ids: list[str]) -> dict[str, Metrics]:
        """Impressions, saves, outbound clicks, comments and reactions over the last 90 days.

        ``clicks`` is OUTBOUND_CLICK (visits to the link); PIN_CLICK is in ``raw``.
        """
        today = date.today()
        params = {"start_date": (today - timedelta(days=_ANALYTICS_DAYS)).isoformat(),
                  "end_date": today.isoformat(), "metric_types": ",".join(METRIC_TYPES)}
        result: dict[str, Metrics] = {}
        for remote_id in remote_ids:
            try:
                data = self._call("GET", f"/v5/pins/{remote_id}/analytics",
                                  params=params).json()
            except InvalidContentError as exc:
                if exc.status == 404:
                    continue
                raise
            summary = (data.get("all") or {}).get("summary_metrics") or {}
            result[remote_id] = Metrics(
                impressions=summary.get("IMPRESSION"), saves=summary.get("SAVE"),
                clicks=summary.get("OUTBOUND_CLICK"), replies=summary.get("TOTAL_COMMENTS"),
                likes=summary.get("TOTAL_REACTIONS"), raw=dict(summary))
        return result

    def fetch_account_metrics(self) -> AccountMetrics:
        """Followers, following and pins from ``GET /v5/user_account``
        (``follower_count``, ``following_count``, ``pin_count``)."""
        data = self._call("GET", "/v5/user_account").json()
        counts = {k: data.get(k) for k in ("follower_count", "following_count", "pin_count",
                                           "board_count", "monthly_views") if k in data}
        return AccountMetrics(followers=count_or_none(data.get("follower_count")),
                              following=count_or_none(data.get("following_count")),
                              posts=count_or_none(data.get("pin_count")), raw=counts)

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()


def _media_problems(media: list[MediaItem]) -> list[str]:
    if not media:
        return ["pinterest needs an image: add --media"]
    problems: list[str] = []
    if len(media) > MAX_IMAGES:
        problems.append(f"{len(media)} images; a pinterest carousel takes at most {MAX_IMAGES}")
    if any(m.url for m in media) and any(m.url is None for m in media):
        problems.append("pinterest media must be all URLs or all files, not a mix")
    for item in media:
        name = str(item.path or item.url)
        kind = media_kind(item)
        if kind == "video":
            problems.append(f"{name}: video pins are not supported by socialhub yet: use an "
                            "image")
        elif kind != "image":
            problems.append(f"{name}: pinterest takes images (PNG or JPEG)")
        if item.alt_text and len(item.alt_text) > ALT_TEXT_LIMIT:
            problems.append(f"alt text of {name} is {len(item.alt_text)} characters; "
                            f"pinterest takes at most {ALT_TEXT_LIMIT}")
        if item.path is None or kind != "image":
            continue
        problems.extend(_file_problems(item, name))
    return problems


def _file_problems(item: MediaItem, name: str) -> list[str]:
    assert item.path is not None
    if not item.path.is_file():
        return [f"media file {name} does not exist"]
    facts = media_facts(item.path)
    mime = item.mime or facts.mime or ""
    problems = []
    if mime not in BASE64_TYPES:
        problems.append(f"{name} is {mime or 'of unknown type'}; pinterest takes uploaded "
                        "images as PNG or JPEG (or give a URL)")
    if facts.size > MAX_IMAGE_BYTES:
        problems.append(f"{name} is {human_size(facts.size)}; pinterest takes images up to "
                        f"{human_size(MAX_IMAGE_BYTES)}")
    return problems


def _norm(value: Any) -> str:
    return " ".join(str(value or "").split())
