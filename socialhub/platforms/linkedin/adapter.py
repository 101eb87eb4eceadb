"""The LinkedIn adapter (Posts API): member and organization posts, images, first comment.

Facts it relies on (PLATFORMS.md §1, §2.4): ``POST /rest/posts`` with the
``LinkedIn-Version: YYYYMM`` and ``X-Restli-Protocol-Version: 2.0.0`` headers
answers 201 with the new post's URN in ``x-restli-id``. ``commentary`` is
"little" text: the characters ``\\ | { } @ [ ] ( ) < > # * _ ~`` are syntax,
and an unescaped one makes LinkedIn cut the post there *while answering 201*,
so ``escape_little`` escapes all of them except intended ``#hashtags`` and
``@[Name](urn:li:…)`` mentions. Images go up through the Images API
(``initializeUpload`` → PUT to the upload URL) and are attached by URN with
alt text. There are no threads; a first comment goes through socialActions.

Access tokens last 60 days. Only approved partners get refresh tokens, so
``capabilities.refresh`` is decided per account: without a refresh token
``refresh()`` tells the user to reconnect before the token expires. Daily
quotas reset at midnight UTC and come back as 429s without reset headers.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

import httpx

from socialhub.platforms.base import (
    AccountInfo,
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
)
from socialhub.platforms.errors import (
    AuthExpiredError,
    AuthRevokedError,
    InvalidContentError,
    OutcomeUnknownError,
    RateLimitedError,
    RetryLaterError,
)
from socialhub.platforms.http import get_json, make_client, raise_for_response, send
from socialhub.platforms.linkedin.spec import SPEC
from socialhub.platforms.media_info import media_facts
from socialhub.platforms.timestamps import parse_timestamp

API_BASE = "https://api.linkedin.com"
OAUTH_BASE = "https://www.linkedin.com"
DEFAULT_VERSION = "202601"
MEMBER_SCOPES = ("openid", "profile", "email", "w_member_social")
ORGANIZATION_SCOPE = "w_organization_social"
COMMENT_LIMIT = 1250
ALT_TEXT_MAX = 4086
MAX_IMAGES = 20
MAX_PIXELS = 36_152_320
_IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif")
_RESERVED = set("\\|{}@[]()<>#*_~")
# Intended syntax that must stay unescaped: a mention, or a hashtag at a word start.
_SYNTAX_RE = re.compile(r"@\[[^\[\]()\\]+\]\(urn:li:(?:person|organization):[\w-]+\)"
                        r"|(?<![\w#\\])#[^\W_]+")
_EXPIRED = ("EXPIRED_ACCESS_TOKEN", "65602", "expired")
_REVOKED = ("REVOKED_ACCESS_TOKEN", "INVALID_ACCESS_TOKEN", "65600", "65601", "revoked")
_SCAN_COUNT = 50


def escape_little(text: str) -> str:
    """Escape every reserved little-format character except #hashtags and @[Name](urn) mentions.

    An unescaped reserved character makes LinkedIn silently truncate the post there.
    """
    out: list[str] = []
    pos = 0
    for match in _SYNTAX_RE.finditer(text):
        out.append(_escape_plain(text[pos:match.start()]))
        out.append(match.group(0))
        pos = match.end()
    out.append(_escape_plain(text[pos:]))
    return "".join(out)


def _escape_plain(text: str) -> str:
    return "".join("\\" + ch if ch in _RESERVED else ch for ch in text)


def unescape_little(text: str) -> str:
    """The text a reader sees for little-format ``commentary`` (backslash escapes removed)."""
    return re.sub(r"\\(.)", r"\1", text)


def oauth_urls(base_url: str | None) -> tuple[str, str]:
    """(authorize URL, token URL) on www.linkedin.com, or on ``base_url`` for a fake."""
    root = base_url.rstrip("/") if base_url else OAUTH_BASE
    return f"{root}/oauth/v2/authorization", f"{root}/oauth/v2/accessToken"


def tokens_from(body: dict[str, Any], *, now: datetime | None = None) -> Tokens:
    """Tokens from LinkedIn's token answer (``expires_in``, ``refresh_token_expires_in``)."""
    now = now or datetime.now(UTC)

    def after(key: str) -> datetime | None:
        return now + timedelta(seconds=int(body[key])) if body.get(key) else None

    return Tokens(access_token=body.get("access_token"), refresh_token=body.get("refresh_token"),
                  expires_at=after("expires_in"),
                  refresh_expires_at=after("refresh_token_expires_in"),
                  scopes=[s for s in re.split(r"[ ,]", str(body.get("scope") or "")) if s])


def post_url(urn: str) -> str:
    """The public web address of a post URN."""
    return f"https://www.linkedin.com/feed/update/{urn}/"


class LinkedInAdapter(PlatformAdapter):
    """Publishes as a member, or as an organization when ``settings["organization"]`` is set."""

    name: ClassVar[str] = "linkedin"
    capabilities: ClassVar[Capabilities] = Capabilities(
        threads=False, media=True, alt_text=True, first_comment=True, delete=True,
        metrics=True, refresh=True, idempotency=False, lookup=True)

    def __init__(self, account: AccountInfo, tokens: Tokens, *,
                 on_tokens: TokensCallback | None = None, timeout_s: float = 30.0,
                 app: AppCredentials | None = None) -> None:
        super().__init__(account, tokens, on_tokens=on_tokens, timeout_s=timeout_s, app=app)
        self._base_url = (account.base_url or API_BASE).rstrip("/")
        version = str(account.settings.get("linkedin_version") or DEFAULT_VERSION)
        self._client = make_client(self._base_url, timeout_s=timeout_s, headers={
            "LinkedIn-Version": version, "X-Restli-Protocol-Version": "2.0.0"})

    def account_capabilities(self) -> Capabilities:
        """The platform's capabilities, refreshing only with a refresh token.

        LinkedIn grants refresh tokens to partner apps only; other accounts
        reconnect every 60 days.
        """
        return replace(self.capabilities, refresh=bool(self.tokens.refresh_token))

    @property
    def author(self) -> str:
        """The author URN: the configured organization, else the member."""
        org = self.account.settings.get("organization")
        if org:
            org = str(org)
            return org if org.startswith("urn:li:organization:") else f"urn:li:organization:{org}"
        return f"urn:li:person:{self.account.external_id}"

    # -- OAuth ------------------------------------------------------------------
    @classmethod
    def oauth_spec(cls, base_url: str | None = None) -> OAuthSpec:
        """Authorization code; client id and secret in the form body (LinkedIn takes no Basic)."""
        authorize, token = oauth_urls(base_url)
        return OAuthSpec(authorize_url=authorize, token_url=token, scopes=MEMBER_SCOPES,
                         pkce=False, client_auth="body")

    @classmethod
    def finish_connect(cls, token_response: dict[str, Any], *, app: AppCredentials,
                       base_url: str | None = None, timeout_s: float = 30.0
                       ) -> tuple[ConnectedProfile, Tokens]:
        """Read the member from ``GET /v2/userinfo`` (OpenID Connect): id, email, name."""
        tokens = tokens_from(token_response)
        info = get_json(base_url or API_BASE, "/v2/userinfo", access_token=tokens.access_token,
                        platform=cls.name, timeout_s=timeout_s)
        if not info.get("sub"):
            raise AuthRevokedError("linkedin: /v2/userinfo did not name the member "
                                   "(is the openid scope granted?)")
        profile = ConnectedProfile(handle=str(info.get("email") or info["sub"]),
                                   external_id=str(info["sub"]), display_name=info.get("name"),
                                   base_url=base_url)
        return profile, tokens

    def refresh(self) -> Tokens:
        """Use the refresh token where LinkedIn granted one; else ask the user to reconnect.

        Raises:
            AuthRevokedError: no refresh token (most apps), or LinkedIn refused it.
            RetryLaterError: LinkedIn could not be reached; nothing changed.
        """
        if not self.tokens.refresh_token:
            when = (f" before {self.tokens.expires_at:%Y-%m-%d}" if self.tokens.expires_at
                    else "")
            raise AuthRevokedError(
                "linkedin: access tokens last 60 days and this app has no refresh grant "
                f"(refresh tokens are for approved partners only); reconnect{when}",
                hint="socialhub accounts connect linkedin")
        _, token_url = oauth_urls(self.account.base_url)
        form = {"grant_type": "refresh_token", "refresh_token": self.tokens.refresh_token,
                "client_id": self.app.client_id or "",
                "client_secret": self.app.client_secret or ""}
        try:
            response = send(self._client, "POST", token_url, platform=self.name, data=form)
        except OutcomeUnknownError as exc:
            raise RetryLaterError(exc.message) from None
        if response.status_code in (400, 401):
            raise AuthRevokedError(f"linkedin: the refresh token was refused (HTTP "
                                   f"{response.status_code}); it expired or was revoked",
                                   status=response.status_code,
                                   hint="socialhub accounts connect linkedin")
        raise_for_response(response, platform=self.name)
        new = tokens_from(response.json())
        new.refresh_token = new.refresh_token or self.tokens.refresh_token
        # The refresh window is fixed at first consent: refreshing never extends it.
        new.refresh_expires_at = new.refresh_expires_at or self.tokens.refresh_expires_at
        new.scopes = new.scopes or list(self.tokens.scopes)
        if self.on_tokens is not None:
            self.on_tokens(new)
        self.tokens = new
        return new

    # -- HTTP -------------------------------------------------------------------
    def _call(self, method: str, url: str, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens.access_token or ''}"}
        headers.update(kw.pop("headers", {}))
        response = send(self._client, method, url, platform=self.name, headers=headers, **kw)
        if response.status_code >= 400:
            self._raise(response)
        return response

    def _raise(self, response: httpx.Response) -> None:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        code = str(body.get("code") or body.get("serviceErrorCode") or "")
        message = str(body.get("message") or response.reason_phrase)
        if status == 401 and (code in _EXPIRED or "expired" in message.lower()):
            raise AuthExpiredError(f"linkedin: HTTP 401: {message}", status=401, code=code)
        if status == 401:
            raise AuthRevokedError(f"linkedin: HTTP 401: {message}", status=401, code=code,
                                   hint="reconnect it: socialhub accounts connect linkedin")
        if status == 403 and code == "ACCESS_DENIED":
            scope = (ORGANIZATION_SCOPE if self.author.startswith("urn:li:organization:")
                     else "w_member_social")
            raise AuthRevokedError(f"linkedin: HTTP 403: the token lacks permission {scope} "
                                   f"for {self.author} ({message})", status=403, code=code,
                                   hint="reconnect with that permission granted (and, for a "
                                   "page, as one of its admins)")
        if status == 429:
            # Daily quotas reset at 00:00 UTC and LinkedIn sends no reset header.
            tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(
                hour=0, minute=0, second=0, microsecond=0)
            raise RateLimitedError(f"linkedin: daily quota reached: {message}",
                                   until=tomorrow, code=code or None)
        raise_for_response(response, platform=self.name)

    # -- the interface ----------------------------------------------------------
    def validate(self, request: PublishRequest) -> list[str]:
        """One part only, 3000 characters, images only (count, type, pixels, alt text)."""
        from socialhub.core.text import measure

        problems: list[str] = []
        if len(request.parts) > 1:
            problems.append(f"LinkedIn has no threads: this variant has {len(request.parts)} "
                            "parts; join them into one post")
        if not request.parts:
            problems.append("nothing to publish: no parts")
        elif request.parts[0].strip() or not request.media:
            problems.extend(f"post: {p}"
                            for p in measure(request.parts[0], SPEC.text_rules).problems)
        if request.first_comment and len(request.first_comment) > COMMENT_LIMIT:
            problems.append(f"first comment is {len(request.first_comment)} characters; "
                            f"LinkedIn takes up to {COMMENT_LIMIT}")
        problems.extend(_media_problems(request.media))
        return problems

    def publish(self, request: PublishRequest, on_part: PartCallback) -> PublishResult:
        """Create the post (and its first comment), reporting each the moment it exists."""
        if len(request.parts) > 1:
            raise InvalidContentError("linkedin: LinkedIn has no threads; publish one part")
        done = {p.index: p for p in request.already_published}
        published: list[PublishedPart] = []
        post = done.get(0)
        if post is None:
            body: dict[str, Any] = {
                "author": self.author, "commentary": escape_little(request.parts[0]),
                "visibility": request.options.get("visibility", "PUBLIC"),
                "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                                 "thirdPartyDistributionChannels": []},
                "lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": False}
            if request.media:
                body["content"] = self._content(request.media)
            response = self._call("POST", "/rest/posts", json=body)
            urn = response.headers.get("x-restli-id")
            if not urn:
                raise OutcomeUnknownError("linkedin: 201 without the post URN (x-restli-id)")
            post = PublishedPart(index=0, remote_id=urn, url=post_url(urn))
            on_part(post)
        published.append(post)
        if request.first_comment and 1 not in done:
            response = self._call("POST", f"/rest/socialActions/{quote(post.remote_id, safe='')}"
                                  "/comments", json={"actor": self.author,
                                                     "object": post.remote_id,
                                                     "message": {"text": request.first_comment}})
            comment_urn = response.headers.get("x-restli-id") or (
                response.json() if response.content else {}).get("$URN") or post.remote_id
            comment = PublishedPart(index=1, remote_id=str(comment_urn), url=post.url,
                                    extra={"first_comment": True})
            on_part(comment)
            published.append(comment)
        elif 1 in done:
            published.append(done[1])
        return PublishResult(parts=published)

    def _content(self, media: list[MediaItem]) -> dict[str, Any]:
        try:
            images = [{"id": self._upload(item), "altText": item.alt_text or ""}
                      for item in media]
        except OutcomeUnknownError as exc:  # an orphan image is harmless: retry
            raise RetryLaterError(exc.message) from None
        if len(images) == 1:
            return {"media": images[0]}
        return {"multiImage": {"images": images}}

    def _upload(self, item: MediaItem) -> str:
        if item.path is None:
            raise InvalidContentError("linkedin: media must be a local file, not a URL")
        try:
            data = item.path.read_bytes()
        except OSError as exc:
            raise InvalidContentError(
                f"linkedin: cannot read {item.path}: {exc.strerror}") from None
        answer = self._call("POST", "/rest/images", params={"action": "initializeUpload"},
                            json={"initializeUploadRequest": {"owner": self.author}}).json()
        value = answer.get("value") or {}
        upload_url, image = value.get("uploadUrl"), value.get("image")
        if not upload_url or not image:
            raise RetryLaterError("linkedin: initializeUpload gave no upload URL")
        host = urlsplit(upload_url).hostname or ""
        # The token goes only to LinkedIn (or the configured fake), never to a stray host.
        trusted = host.endswith(".linkedin.com") or host == urlsplit(self._base_url).hostname
        if not trusted:
            raise InvalidContentError(f"linkedin: refusing to upload to unexpected host {host}")
        self._call("PUT", upload_url, content=data,
                   headers={"Content-Type": "application/octet-stream"})
        return str(image)

    def find_by_idempotency_key(self, request: PublishRequest) -> list[PublishedPart] | None:
        """Find the post an unconfirmed send created among the author's recent posts (by text)."""
        if not request.parts:
            return None
        answer = self._call("GET", "/rest/posts", params={
            "author": self.author, "q": "author", "count": _SCAN_COUNT,
            "sortBy": "CREATED"}).json()
        not_before = parse_timestamp(request.options.get("not_before"))
        wanted = " ".join(request.parts[0].split())
        for element in answer.get("elements") or []:  # newest first
            created = element.get("createdAt")
            if not_before is not None and isinstance(created, int | float) and (
                    datetime.fromtimestamp(created / 1000, tz=UTC) < not_before):
                continue
            if " ".join(unescape_little(str(element.get("commentary") or "")).split()) == wanted:
                urn = str(element["id"])
                return [PublishedPart(index=0, remote_id=urn, url=post_url(urn))]
        return None

    def delete(self, remote_id: str) -> None:
        """Delete a post; one that is already gone counts as deleted."""
        try:
            self._call("DELETE", f"/rest/posts/{quote(remote_id, safe='')}")
        except InvalidContentError as exc:
            if exc.status not in (404, 410):
                raise

    def fetch_metrics(self, remote_ids: list[str]) -> dict[str, Metrics]:
        """Likes and comments from socialActions (impressions need partner analytics access)."""
        result: dict[str, Metrics] = {}
        for urn in remote_ids:
            try:
                data = self._call("GET", f"/rest/socialActions/{quote(urn, safe='')}").json()
            except InvalidContentError as exc:
                if exc.status in (404, 410):
                    continue
                raise
            likes = (data.get("likesSummary") or {}).get("totalLikes")
            comments = (data.get("commentsSummary") or {}).get("aggregatedTotalComments")
            result[urn] = Metrics(likes=likes, replies=comments, raw=data)
        return result

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()


def _media_problems(media: list[MediaItem]) -> list[str]:
    problems: list[str] = []
    if len(media) > MAX_IMAGES:
        problems.append(f"{len(media)} images; LinkedIn takes up to {MAX_IMAGES} per post")
    for item in media:
        if item.path is None:
            problems.append(f"{item.url}: LinkedIn needs a local file; download it first")
            continue
        try:
            facts = media_facts(item.path)
        except OSError:
            problems.append(f"media file {item.path} does not exist or cannot be read")
            continue
        mime = item.mime or facts.mime
        name = item.path.name
        if mime not in _IMAGE_TYPES:
            problems.append(f"{name} ({mime or 'unknown type'}): socialhub posts JPEG, PNG or "
                            "GIF images to LinkedIn; video and documents are not supported yet")
            continue
        if facts.width and facts.height and facts.width * facts.height > MAX_PIXELS:
            problems.append(f"{name} is {facts.width}x{facts.height}; LinkedIn takes up to "
                            f"{MAX_PIXELS:,} pixels: resize it")
        if item.alt_text and len(item.alt_text) > ALT_TEXT_MAX:
            problems.append(f"alt text of {name} is {len(item.alt_text)} characters; LinkedIn "
                            f"takes up to {ALT_TEXT_MAX}")
    return problems
