"""The YouTube adapter: resumable video uploads, first comments, statistics (Data API v3).

Facts it relies on (PLATFORMS.md §2.10): a video goes up in two steps — a
``POST /upload/youtube/v3/videos?uploadType=resumable`` with the metadata opens
an upload session (its ``Location``), then the bytes are PUT there. A PUT that
breaks off is resumed: ``Content-Range: bytes */N`` asks how much arrived (308
with ``Range``) and the rest follows; a session whose upload had in fact
finished answers with the video. Creating the session creates nothing visible,
so only the byte transfer can leave an unknown outcome.

Quota is per Google Cloud project and resets at midnight Pacific time: a 403
``quotaExceeded`` / ``uploadLimitExceeded`` is a RateLimitedError until then,
never an error to retry sooner. Google access tokens last about an hour;
refresh tokens do not rotate, and ``invalid_grant`` means a person must
reconnect. There is no idempotency key, so an unconfirmed upload is looked up
among the channel's recent uploads by title (and ``not_before``).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import httpx

from socialhub.platforms.base import (
    AccountInfo,
    AppCredentials,
    Capabilities,
    ConnectedProfile,
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
from socialhub.platforms.http import (
    error_details,
    make_client,
    parse_reset,
    raise_for_response,
    send,
)
from socialhub.platforms.media_info import human_size, media_facts

API_BASE = "https://www.googleapis.com"
AUTHORIZE_URL = "https://accounts.google.com/o/oauth2/v2/auth"
TOKEN_URL = "https://oauth2.googleapis.com/token"
SCOPE_UPLOAD = "https://www.googleapis.com/auth/youtube.upload"
SCOPE_MANAGE = "https://www.googleapis.com/auth/youtube.force-ssl"
PRIVACY_VALUES = ("private", "unlisted", "public")
TITLE_LIMIT = 100  # characters (YouTube counts code points here, unlike the description)
TAGS_LIMIT = 500  # characters of all tags together
COMMENT_LIMIT = 10_000
MAX_DURATION_S = 12 * 3600  # verified accounts; unverified ones stop at 15 min (not checked)
MAX_SIZE = 256 * 1024**3
PACIFIC = ZoneInfo("America/Los_Angeles")
_QUOTA_REASONS = ("quotaExceeded", "uploadLimitExceeded", "dailyLimitExceeded")
_RATE_REASONS = ("rateLimitExceeded", "userRateLimitExceeded")
_REASON_HINTS = {
    "invalidTitle": "the title is empty, over 100 characters or contains < or >",
    "invalidDescription": "the description is over 5000 bytes or contains < or >",
    "invalidTags": "the tags are over 500 characters together",
    "invalidCategoryId": "the category_id option is not a YouTube category",
    "commentsDisabled": "comments are disabled on this video",
    "videoNotFound": "the video does not exist",
}
_CHUNK = 1024 * 1024
_MAX_RESUMES = 5
_VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mov", ".avi", ".wmv", ".flv", ".webm", ".mkv",
                     ".3gp", ".mpg", ".mpeg")


def next_pacific_midnight(now: datetime | None = None) -> datetime:
    """The next midnight in America/Los_Angeles (when YouTube quota resets), in UTC."""
    local = (now or datetime.now(UTC)).astimezone(PACIFIC)
    tomorrow = local.date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=PACIFIC).astimezone(UTC)


def derive_title(request: PublishRequest) -> str:
    """The video title: ``options["title"]``, else the text's first line cut to 100 characters."""
    explicit = request.options.get("title")
    if explicit is not None:
        return str(explicit).strip()
    text = request.parts[0] if request.parts else ""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if len(line) <= TITLE_LIMIT:
        return line
    cut = line[: TITLE_LIMIT - 1].rsplit(" ", 1)[0] or line[: TITLE_LIMIT - 1]
    return cut.rstrip() + "…"


def _description(request: PublishRequest) -> str:
    explicit = request.options.get("description")
    if explicit is not None:
        return str(explicit)
    return request.parts[0] if request.parts else ""


def _tags(request: PublishRequest) -> list[str]:
    raw = request.options.get("tags") or []
    if isinstance(raw, str):
        raw = [t for t in raw.split(",")]
    return [str(t).strip() for t in raw if str(t).strip()]


def _google_reason(response: httpx.Response) -> str | None:
    try:
        errors = response.json()["error"]["errors"]
        return str(errors[0]["reason"])
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def _raise_google(response: httpx.Response, *, scope: str = SCOPE_MANAGE) -> None:
    """YouTube's error body ``{"error":{"code","message","errors":[{"reason"}]}}`` → errors."""
    status = response.status_code
    if status < 400:
        return
    reason = _google_reason(response)
    if reason in _QUOTA_REASONS:
        raise RateLimitedError(
            f"youtube: {reason}: the project's daily YouTube quota is spent; it resets at "
            "midnight Pacific time", until=next_pacific_midnight(), status=status, code=reason)
    if reason in _RATE_REASONS or status == 429:
        until = parse_reset(response.headers) or datetime.now(UTC) + timedelta(seconds=60)
        raise RateLimitedError(f"youtube: HTTP {status}: {reason or 'rate limited'}",
                               until=until, status=status, code=reason)
    if status == 401:
        raise AuthExpiredError(f"youtube: HTTP 401: {reason or 'invalid credentials'}",
                               status=status, code=reason, hint="refreshing the access token")
    if reason in ("insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"):
        raise AuthRevokedError(f"youtube: the token lacks the scope {scope}", status=status,
                               code=reason, hint="reconnect: socialhub accounts connect youtube")
    if reason in _REASON_HINTS and status < 500:
        raise InvalidContentError(f"youtube: HTTP {status}: {reason}: {_REASON_HINTS[reason]}",
                                  status=status, code=reason)
    raise_for_response(response, platform="youtube")


class YouTubeAdapter(PlatformAdapter):
    """Uploads videos to one YouTube channel; ``account.base_url`` replaces googleapis.com."""

    name: ClassVar[str] = "youtube"
    capabilities: ClassVar[Capabilities] = Capabilities(
        threads=False, media=True, alt_text=False, first_comment=True, delete=True,
        metrics=True, refresh=True, idempotency=False, lookup=True, text_only=False)

    def __init__(self, account: AccountInfo, tokens: Tokens, *,
                 on_tokens: TokensCallback | None = None, timeout_s: float = 30.0,
                 app: AppCredentials | None = None) -> None:
        super().__init__(account, tokens, on_tokens=on_tokens, timeout_s=timeout_s, app=app)
        self._base_url = (account.base_url or API_BASE).rstrip("/")
        self._token_url = f"{self._base_url}/token" if account.base_url else TOKEN_URL
        self._client = make_client(self._base_url, timeout_s=timeout_s)

    # -- connecting ---------------------------------------------------------
    @classmethod
    def oauth_spec(cls, base_url: str | None = None) -> OAuthSpec:
        """Google OAuth 2.0 + PKCE; ``access_type=offline`` so Google sends a refresh token."""
        base = base_url.rstrip("/") if base_url else None
        return OAuthSpec(
            authorize_url=f"{base}/o/oauth2/v2/auth" if base else AUTHORIZE_URL,
            token_url=f"{base}/token" if base else TOKEN_URL,
            scopes=(SCOPE_UPLOAD, SCOPE_MANAGE), pkce=True, client_auth="body",
            extra_authorize_params={"access_type": "offline", "prompt": "consent"})

    @classmethod
    def finish_connect(cls, token_response: dict[str, Any], *, app: AppCredentials,
                       base_url: str | None = None, timeout_s: float = 30.0
                       ) -> tuple[ConnectedProfile, Tokens]:
        """Read the token's channel (``channels?part=snippet&mine=true``) and build Tokens."""
        tokens = tokens_from_response(token_response)
        api = (base_url or API_BASE).rstrip("/")
        with make_client(api, timeout_s=timeout_s) as client:
            response = send(client, "GET", "/youtube/v3/channels", platform=cls.name,
                            params={"part": "snippet", "mine": "true"},
                            headers={"Authorization": f"Bearer {tokens.access_token}"})
            _raise_google(response)
            items = response.json().get("items") or []
        if not items:
            raise AuthRevokedError("youtube: this Google account has no YouTube channel",
                                   hint="create a channel on youtube.com, then connect again")
        channel = items[0]
        snippet = channel.get("snippet") or {}
        handle = snippet.get("customUrl") or snippet.get("title") or channel["id"]
        return ConnectedProfile(handle=str(handle), external_id=str(channel["id"]),
                                display_name=snippet.get("title"),
                                base_url=base_url), tokens

    # -- helpers --------------------------------------------------------------
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.access_token or ''}"}

    def _call(self, method: str, path: str, *, scope: str = SCOPE_MANAGE,
              **kw: Any) -> httpx.Response:
        headers = self._auth()
        headers.update(kw.pop("headers", {}))
        response = send(self._client, method, path, platform=self.name, headers=headers, **kw)
        _raise_google(response, scope=scope)
        return response

    def _upload_headers(self, url: str) -> dict[str, str]:
        # The session URL is a capability on its own: the bearer token only goes
        # back to the API's own origin, never to wherever a Location might point.
        target, own = httpx.URL(url), httpx.URL(self._base_url)
        same = (target.scheme, target.host, target.port) == (own.scheme, own.host, own.port)
        return self._auth() if same else {}

    def _snippet(self, request: PublishRequest) -> dict[str, Any]:
        snippet: dict[str, Any] = {"title": derive_title(request),
                                   "description": _description(request),
                                   "categoryId": str(request.options.get("category_id", "22"))}
        tags = _tags(request)
        if tags:
            snippet["tags"] = tags
        return snippet

    def _status(self, request: PublishRequest) -> dict[str, Any]:
        status: dict[str, Any] = {"privacyStatus": str(request.options.get("privacy",
                                                                          "private"))}
        if request.options.get("made_for_kids") is not None:
            status["selfDeclaredMadeForKids"] = bool(request.options["made_for_kids"])
        return status

    # -- the interface --------------------------------------------------------
    def validate(self, request: PublishRequest) -> list[str]:
        """One part, one local video; title, description, tags and privacy as YouTube takes them."""
        from socialhub.core.text import character_problems, measure

        problems: list[str] = []
        if len(request.parts) > 1:
            problems.append(f"{len(request.parts)} parts; YouTube has no threads: publish one "
                            "part (the description)")
        videos = [m for m in request.media if m.path is not None or m.url is not None]
        if not videos:
            problems.append("youtube needs a video: add --media VIDEO (community and text-only "
                            "posts cannot be created through the YouTube API)")
        elif len(videos) > 1:
            problems.append(f"{len(videos)} media; YouTube takes one video per upload")
        for item in videos[:1]:
            problems.extend(_video_problems(item.path, item.url, item.mime))
        title = derive_title(request)
        if not title:
            problems.append("the video needs a title: set the title option or a first line")
        elif len(title) > TITLE_LIMIT:
            problems.append(f"title is {len(title)} characters; YouTube allows {TITLE_LIMIT}")
        problems.extend(f"title {p}" for p in character_problems(title, "youtube"))
        description = _description(request)
        if description:
            problems.extend(f"description: {p}"
                            for p in measure(description, "youtube").problems)
        tags = _tags(request)
        tag_chars = sum(len(t) + (2 if " " in t else 0) for t in tags) + max(len(tags) - 1, 0)
        if tag_chars > TAGS_LIMIT:
            problems.append(f"tags are {tag_chars} characters together; YouTube allows "
                            f"{TAGS_LIMIT}")
        privacy = request.options.get("privacy", "private")
        if privacy not in PRIVACY_VALUES:
            problems.append(f"privacy {privacy!r} is not one of {', '.join(PRIVACY_VALUES)}")
        if request.first_comment and len(request.first_comment) > COMMENT_LIMIT:
            problems.append(f"first comment is {len(request.first_comment)} characters; "
                            f"YouTube allows {COMMENT_LIMIT}")
        return problems

    def publish(self, request: PublishRequest, on_part: PartCallback) -> PublishResult:
        """Upload the video (resuming a broken transfer), then post the first comment."""
        done = {p.index: p for p in request.already_published}
        video = done.get(0)
        if video is None:
            video = self._part(self._upload(request))
            on_part(video)
        parts = [video]
        if request.first_comment:
            index = len(request.parts)
            comment = done.get(index)
            if comment is None:
                comment = self._comment(video.remote_id, request.first_comment, index)
                on_part(comment)
            parts.append(comment)
        return PublishResult(parts=parts)

    def _part(self, video: dict[str, Any]) -> PublishedPart:
        return PublishedPart(index=0, remote_id=str(video["id"]),
                             url=f"https://www.youtube.com/watch?v={video['id']}",
                             extra={"privacy": (video.get("status") or {}).get("privacyStatus")})

    def _upload(self, request: PublishRequest) -> dict[str, Any]:
        item = next((m for m in request.media if m.path is not None), None)
        if item is None or item.path is None:
            raise InvalidContentError("youtube needs a local video file: add --media VIDEO")
        try:
            size = item.path.stat().st_size
        except OSError as exc:
            raise InvalidContentError(f"youtube: cannot read {item.path}: {exc.strerror}") from None
        mime = item.mime or mimetypes.guess_type(item.path.name)[0] or "video/*"
        try:
            response = self._call(
                "POST", "/upload/youtube/v3/videos", scope=SCOPE_UPLOAD,
                params={"uploadType": "resumable", "part": "snippet,status"},
                json={"snippet": self._snippet(request), "status": self._status(request)},
                headers={"X-Upload-Content-Length": str(size), "X-Upload-Content-Type": mime})
        except OutcomeUnknownError as exc:
            # An upload session without bytes is invisible and expires: start over.
            raise RetryLaterError(exc.message) from None
        location = response.headers.get("Location")
        if not location:
            raise RetryLaterError("youtube: the upload session had no Location")
        return self._transfer(location, item.path, size, mime)

    def _transfer(self, location: str, path: Path, size: int, mime: str) -> dict[str, Any]:
        """PUT the bytes from ``offset``; on a break, ask what arrived and send the rest."""
        offset = 0
        for _ in range(_MAX_RESUMES + 1):
            headers = {**self._upload_headers(location), "Content-Type": mime,
                       "Content-Length": str(size - offset)}
            if offset:
                headers["Content-Range"] = f"bytes {offset}-{size - 1}/{size}"
            try:
                response = send(self._client, "PUT", location, platform=self.name,
                                headers=headers, content=_read_from(path, offset))
            except OutcomeUnknownError:
                response = None
            if response is not None and response.status_code in (200, 201):
                return dict(response.json())
            if response is not None and response.status_code < 500:
                _raise_google(response, scope=SCOPE_UPLOAD)
            # Broken off or a 5xx: the upload may have finished or stopped part way.
            state = self._upload_state(location, size)
            if isinstance(state, dict):
                return state
            offset = state
        raise OutcomeUnknownError(f"youtube: the upload broke off {_MAX_RESUMES + 1} times",
                                  hint="the video may exist; it will be looked up")

    def _upload_state(self, location: str, size: int) -> dict[str, Any] | int:
        """The finished video, or the offset to resume from (``bytes */N`` → 308 ``Range``)."""
        headers = {**self._upload_headers(location), "Content-Range": f"bytes */{size}",
                   "Content-Length": "0"}
        try:
            response = send(self._client, "PUT", location, platform=self.name,
                            headers=headers, content=b"")
        except (OutcomeUnknownError, RetryLaterError) as exc:
            raise OutcomeUnknownError(f"youtube: cannot ask how much of the upload arrived: "
                                      f"{exc.message}",
                                      hint="the video may exist; it will be looked up") from None
        if response.status_code in (200, 201):
            return dict(response.json())
        if response.status_code == 308:
            received = response.headers.get("Range", "")
            return int(received.rsplit("-", 1)[1]) + 1 if "-" in received else 0
        if response.status_code == 404:
            raise RetryLaterError("youtube: the upload session expired; uploading again")
        # Whatever else (a 5xx, a 401): the bytes may all have arrived, so the video
        # may exist; only a look-up can tell, never a blind re-upload.
        raise OutcomeUnknownError(f"youtube: asking how much of the upload arrived answered "
                                  f"HTTP {response.status_code}",
                                  status=response.status_code,
                                  hint="the video may exist; it will be looked up")

    def _comment(self, video_id: str, text: str, index: int) -> PublishedPart:
        snippet: dict[str, Any] = {"videoId": video_id,
                                   "topLevelComment": {"snippet": {"textOriginal": text}}}
        if self.account.external_id:
            snippet["channelId"] = self.account.external_id
        thread = self._call("POST", "/youtube/v3/commentThreads", params={"part": "snippet"},
                            json={"snippet": snippet}).json()
        return _comment_part(thread, video_id, index)

    def find_by_idempotency_key(self, request: PublishRequest) -> list[PublishedPart] | None:
        """Find an unconfirmed upload among the channel's recent uploads by its title.

        Only uploads published at or after ``options["not_before"]`` count, when
        given, so an older video with the same title is never taken for this one.
        The first comment is matched by text among the video's comment threads.
        """
        channels = self._call("GET", "/youtube/v3/channels",
                              params={"part": "contentDetails", "mine": "true"}).json()
        items = channels.get("items") or []
        if not items:
            return None
        uploads = items[0]["contentDetails"]["relatedPlaylists"]["uploads"]
        listing = self._call("GET", "/youtube/v3/playlistItems", params={
            "part": "snippet", "playlistId": uploads, "maxResults": 50}).json()
        title = derive_title(request)
        not_before = _as_datetime(request.options.get("not_before"))
        match = None
        for entry in listing.get("items") or []:
            snippet = entry.get("snippet") or {}
            published = _as_datetime(snippet.get("publishedAt"))
            if snippet.get("title") != title:
                continue
            if not_before is not None and published is not None and published < not_before:
                continue
            match = snippet
            break
        if match is None:
            return None
        video_id = str(match["resourceId"]["videoId"])
        found = [PublishedPart(index=0, remote_id=video_id,
                               url=f"https://www.youtube.com/watch?v={video_id}")]
        if request.first_comment:
            threads = self._call("GET", "/youtube/v3/commentThreads", params={
                "part": "snippet", "videoId": video_id, "maxResults": 100}).json()
            for thread in threads.get("items") or []:
                top = thread["snippet"]["topLevelComment"]["snippet"]
                if top.get("textOriginal") == request.first_comment:
                    found.append(_comment_part(thread, video_id, len(request.parts)))
                    break
        return found

    def delete(self, remote_id: str) -> None:
        """Delete a video; one that is already gone counts as deleted."""
        try:
            self._call("DELETE", "/youtube/v3/videos", params={"id": remote_id})
        except InvalidContentError as exc:
            if exc.status != 404:
                raise

    def refresh(self) -> Tokens:
        """Exchange the refresh token at Google's token endpoint (refresh tokens do not rotate).

        Raises:
            AuthRevokedError: ``invalid_grant`` (revoked, expired — 7 days for apps
                in "Testing" — or the password changed) or a rejected client.
            RetryLaterError: Google could not be reached; nothing changed.
        """
        if not self.tokens.refresh_token:
            raise AuthRevokedError("youtube: no refresh token stored",
                                   hint="reconnect: socialhub accounts connect youtube")
        form = {"grant_type": "refresh_token", "refresh_token": self.tokens.refresh_token,
                "client_id": self.app.client_id or "",
                "client_secret": self.app.client_secret or ""}
        try:
            response = send(self._client, "POST", self._token_url, platform=self.name, data=form)
        except OutcomeUnknownError as exc:
            raise RetryLaterError(exc.message) from None  # nothing rotates: a retry is safe
        if response.status_code in (400, 401):
            code, _ = error_details(response)
            what = ("the refresh token was revoked or expired" if code == "invalid_grant"
                    else "Google refused the app's client id/secret (platforms.youtube)")
            raise AuthRevokedError(f"youtube: {what}", status=response.status_code, code=code,
                                   hint="reconnect: socialhub accounts connect youtube")
        raise_for_response(response, platform=self.name)
        new = tokens_from_response(response.json(), previous=self.tokens)
        if self.on_tokens is not None:
            self.on_tokens(new)
        self.tokens = new
        return new

    def fetch_metrics(self, remote_ids: list[str]) -> dict[str, Metrics]:
        """Views, likes and comments from ``videos.list?part=statistics`` (50 ids a call)."""
        result: dict[str, Metrics] = {}
        for start in range(0, len(remote_ids), 50):
            batch = remote_ids[start:start + 50]
            data = self._call("GET", "/youtube/v3/videos", params={
                "part": "statistics", "id": ",".join(batch)}).json()
            for item in data.get("items") or []:
                stats = item.get("statistics") or {}
                result[str(item["id"])] = Metrics(
                    likes=_int(stats.get("likeCount")), replies=_int(stats.get("commentCount")),
                    video_views=_int(stats.get("viewCount")), raw=dict(stats))
        return result

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()


def tokens_from_response(body: dict[str, Any], previous: Tokens | None = None) -> Tokens:
    """Tokens from Google's token endpoint answer (keeps the old refresh token if none is sent)."""
    expires_in = body.get("expires_in")
    scope = body.get("scope")
    return Tokens(
        access_token=str(body["access_token"]),
        refresh_token=body.get("refresh_token") or (previous.refresh_token if previous else None),
        expires_at=(datetime.now(UTC) + timedelta(seconds=int(expires_in))
                    if expires_in is not None else None),
        scopes=str(scope).split() if scope else list(previous.scopes if previous else []))


def _video_problems(path: Path | None, url: str | None, mime: str | None) -> list[str]:
    if path is None:
        return [f"{url}: YouTube uploads need a local file, not a URL"]
    if not path.is_file():
        return [f"video file {path} does not exist"]
    try:
        facts = media_facts(path)
    except OSError as exc:
        return [f"cannot read video file {path}: {exc.strerror}"]
    guessed = mime or facts.mime or ""
    if not guessed.startswith("video/") and path.suffix.lower() not in _VIDEO_EXTENSIONS:
        return [f"{path.name} is not a video; YouTube takes MP4, MOV, WebM, AVI and the like"]
    problems = []
    if facts.size > MAX_SIZE:
        problems.append(f"{path.name} is {human_size(facts.size)}; YouTube takes up to 256 GB")
    duration = facts.duration_s
    if duration is not None and duration > MAX_DURATION_S:
        problems.append(f"{path.name} lasts {duration / 3600:.1f} h; YouTube takes up to 12 h")
    return problems


def _comment_part(thread: dict[str, Any], video_id: str, index: int) -> PublishedPart:
    comment_id = thread["snippet"]["topLevelComment"].get("id") or thread["id"]
    return PublishedPart(index=index, remote_id=str(comment_id),
                         url=f"https://www.youtube.com/watch?v={video_id}&lc={comment_id}",
                         extra={"first_comment": True, "thread_id": thread.get("id")})


def _read_from(path: Path, offset: int) -> Iterator[bytes]:
    with path.open("rb") as fh:
        fh.seek(offset)
        while chunk := fh.read(_CHUNK):
            yield chunk


def _int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None
