"""The YouTube adapter: resumable video uploads, first comments, statistics (Data API v3).

Facts it relies on (PLATFORMS.md §2.10): a video goes up in two steps — a
``POST /upload/youtube/v3/videos?uploadType=resumable`` with the metadata opens
an upload session (its ``Location``), then the bytes are PUT there and resumed
when they break off (``upload``, which also checks the file). Creating
the session creates nothing visible, so only the byte transfer can leave an
unknown outcome.

Quota is per Google Cloud project and resets at midnight Pacific time
(``api`` maps Google's error answers). Google access tokens last about
an hour; refresh tokens do not rotate, and ``invalid_grant`` means a person must
reconnect. There is no idempotency key, so an unconfirmed upload is looked up
among the channel's recent uploads by title (and ``not_before``).
"""

from __future__ import annotations

import mimetypes
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from socialhub.platforms.base import (
    AccountInfo,
    AccountMetrics,
    AppCredentials,
    Capabilities,
    ConnectedProfile,
    InboxPage,
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
    reply_target,
)
from socialhub.platforms.errors import (
    AuthRevokedError,
    InvalidContentError,
    OutcomeUnknownError,
    RetryLaterError,
)
from socialhub.platforms.http import error_details, make_client, raise_for_response, send
from socialhub.platforms.timestamps import parse_timestamp
from socialhub.platforms.youtube.api import SCOPE_MANAGE, SCOPE_UPLOAD, raise_for_google
from socialhub.platforms.youtube.spec import SPEC
from socialhub.platforms.youtube.upload import transfer_video, video_problems

API_BASE = "https://www.googleapis.com"
AUTHORIZE_URL = "https://accounts.google.com/o/oauth2/v2/auth"
TOKEN_URL = "https://oauth2.googleapis.com/token"
PRIVACY_VALUES = ("private", "unlisted", "public")
TITLE_LIMIT = 100  # characters (YouTube counts code points here, unlike the description)
TAGS_LIMIT = 500  # characters of all tags together
COMMENT_LIMIT = 10_000


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
            raise_for_google(response)
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
        raise_for_google(response, scope=scope)
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

    @property
    def channel_id(self) -> str:
        """The channel's id (the account's external id, else asked of ``channels?mine``)."""
        if not self.account.external_id:
            items = self._call("GET", "/youtube/v3/channels",
                               params={"part": "id", "mine": "true"}).json().get("items") or []
            if not items:
                raise AuthRevokedError("youtube: this Google account has no YouTube channel")
            self.account = replace(self.account, external_id=str(items[0]["id"]))
        return str(self.account.external_id)

    # -- the interface --------------------------------------------------------
    def validate(self, request: PublishRequest) -> list[str]:
        """One part, one local video; title, description, tags and privacy as YouTube takes them.

        A reply to a comment (``options["reply_to"]``) is text alone, one part of at
        most ``COMMENT_LIMIT`` characters.
        """
        from socialhub.core.text import character_problems, measure

        problems: list[str] = []
        if reply_target(request) is not None:
            if len(request.parts) != 1:
                problems.append("a YouTube reply is one comment: YouTube has no threads")
            for part in request.parts[:1]:
                if not part.strip():
                    problems.append("the reply is empty")
                elif len(part) > COMMENT_LIMIT:
                    problems.append(f"reply is {len(part)} characters; YouTube allows "
                                    f"{COMMENT_LIMIT}")
            return problems
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
            problems.extend(video_problems(item.path, item.url, item.mime))
        title = derive_title(request)
        if not title:
            problems.append("the video needs a title: set the title option or a first line")
        elif len(title) > TITLE_LIMIT:
            problems.append(f"title is {len(title)} characters; YouTube allows {TITLE_LIMIT}")
        problems.extend(f"title {p}" for p in character_problems(title, SPEC.text_rules))
        description = _description(request)
        if description:
            problems.extend(f"description: {p}"
                            for p in measure(description, SPEC.text_rules).problems)
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
        """Upload the video (resuming a broken transfer), then post the first comment.

        A reply (``options["reply_to"]``) is ``comments.insert`` with ``parentId``: the
        thread's top-level comment (YouTube threads are one level deep); 50 quota units.
        """
        target = reply_target(request)
        if target is not None:
            if request.already_published:
                return PublishResult(parts=list(request.already_published[:1]))
            problems = self.validate(request)
            if problems:
                raise InvalidContentError("youtube: " + "; ".join(problems))
            body = self._call("POST", "/youtube/v3/comments", params={"part": "snippet"},
                              json={"snippet": {"parentId": target.root_id or target.remote_id,
                                                "textOriginal": request.parts[0]}}).json()
            part = _reply_part(body, target.extra.get("video_id"))
            on_part(part)
            return PublishResult(parts=[part])
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
        return transfer_video(self._client, location, item.path, size, mime,
                              auth=self._upload_headers(location))

    def _comment(self, video_id: str, text: str, index: int) -> PublishedPart:
        snippet: dict[str, Any] = {"videoId": video_id,
                                   "topLevelComment": {"snippet": {"textOriginal": text}}}
        if self.account.external_id:
            snippet["channelId"] = self.account.external_id
        thread = self._call("POST", "/youtube/v3/commentThreads", params={"part": "snippet"},
                            json={"snippet": snippet}).json()
        return _comment_part(thread, video_id, index)

    def _find_reply(self, request: PublishRequest) -> list[PublishedPart] | None:
        target = reply_target(request)
        assert target is not None
        parent = target.root_id or target.remote_id
        listing = self._call("GET", "/youtube/v3/comments", params={
            "part": "snippet", "parentId": parent, "maxResults": 100,
            "textFormat": "plainText"}).json()
        mine = self.channel_id
        for comment in listing.get("items") or []:
            snippet = comment.get("snippet") or {}
            author = (snippet.get("authorChannelId") or {}).get("value")
            if author == mine and snippet.get("textOriginal") == request.parts[0]:
                return [_reply_part(comment, target.extra.get("video_id"))]
        return None

    def fetch_inbox(self, cursor: dict[str, Any], *, limit: int = 100) -> InboxPage:
        """New comments on the channel's videos and replies in their threads (see
        ``youtube.inbox``); 1 quota unit a call, at most ``inbox.DAILY_UNITS`` a day."""
        from socialhub.platforms.youtube.inbox import fetch_inbox

        return fetch_inbox(self, cursor, limit)

    def find_by_idempotency_key(self, request: PublishRequest) -> list[PublishedPart] | None:
        """Find an unconfirmed upload among the channel's recent uploads by its title.

        A reply is looked up among the replies to its comment (``comments.list``
        with ``parentId``) by the channel's authorship and its text.

        Only uploads published at or after ``options["not_before"]`` count, when
        given, so an older video with the same title is never taken for this one.
        The first comment is matched by text among the video's comment threads.
        """
        if reply_target(request) is not None:
            return self._find_reply(request)
        channels = self._call("GET", "/youtube/v3/channels",
                              params={"part": "contentDetails", "mine": "true"}).json()
        items = channels.get("items") or []
        if not items:
            return None
        uploads = items[0]["contentDetails"]["relatedPlaylists"]["uploads"]
        listing = self._call("GET", "/youtube/v3/playlistItems", params={
            "part": "snippet", "playlistId": uploads, "maxResults": 50}).json()
        title = derive_title(request)
        not_before = parse_timestamp(request.options.get("not_before"))
        match = None
        for entry in listing.get("items") or []:
            snippet = entry.get("snippet") or {}
            published = parse_timestamp(snippet.get("publishedAt"))
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

    def fetch_account_metrics(self) -> AccountMetrics:
        """Subscribers (as followers) and videos (as posts) from
        ``channels?part=statistics&mine=true``. YouTube rounds ``subscriberCount`` down
        to three significant figures, and a channel that hides it gives none (absent);
        a channel follows no one: following is absent."""
        channels = self._call("GET", "/youtube/v3/channels",
                              params={"part": "statistics", "mine": "true"}).json()
        items = channels.get("items") or []
        stats = (items[0].get("statistics") or {}) if items else {}
        hidden = bool(stats.get("hiddenSubscriberCount"))
        return AccountMetrics(
            followers=None if hidden else count_or_none(stats.get("subscriberCount")),
            posts=count_or_none(stats.get("videoCount")), raw=dict(stats))

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


def _comment_part(thread: dict[str, Any], video_id: str, index: int) -> PublishedPart:
    comment_id = thread["snippet"]["topLevelComment"].get("id") or thread["id"]
    return PublishedPart(index=index, remote_id=str(comment_id),
                         url=f"https://www.youtube.com/watch?v={video_id}&lc={comment_id}",
                         extra={"first_comment": True, "thread_id": thread.get("id")})


def _reply_part(comment: dict[str, Any], video_id: Any) -> PublishedPart:
    comment_id = str(comment["id"])
    url = (f"https://www.youtube.com/watch?v={video_id}&lc={comment_id}" if video_id
           else None)
    return PublishedPart(index=0, remote_id=comment_id, url=url,
                         extra={"parent_id": (comment.get("snippet") or {}).get("parentId")})


def _int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None
