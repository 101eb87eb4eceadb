"""The TikTok adapter: Content Posting API video (and photo) posts with status polling.

Facts it relies on (PLATFORMS.md §2.11): every post starts by reading
``creator_info`` (privacy options, longest allowed video, comment/duet/stitch
switches) — TikTok's guidelines require it, and a privacy level it does not
offer is refused. A video is initialised (``FILE_UPLOAD`` with the documented
chunk plan, or ``PULL_FROM_URL``), its chunks are PUT with ``Content-Range``,
and ``status/fetch`` is polled until ``PUBLISH_COMPLETE`` or ``FAILED`` (all in
``upload``, which also checks the file). Unaudited API clients may only
post ``SELF_ONLY``. Every answer has the shape
``{"data":{…},"error":{"code","message","log_id"}}``, read by ``api``.
Refresh tokens rotate:
the new pair is handed to ``on_tokens`` before anything else uses it.

TikTok has no comments, threads, text-only posts or delete through this API.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

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
    RateLimitedError,
    RetryLaterError,
)
from socialhub.platforms.http import make_client, send
from socialhub.platforms.media_info import media_facts
from socialhub.platforms.tiktok.api import answer_data
from socialhub.platforms.tiktok.spec import SPEC
from socialhub.platforms.tiktok.upload import (
    DEFAULT_CHUNK,
    chunk_plan,
    upload_chunks,
    video_problems,
    wait_until_published,
)
from socialhub.platforms.timestamps import parse_timestamp

API_BASE = "https://open.tiktokapis.com"
AUTHORIZE_URL = "https://www.tiktok.com/v2/auth/authorize/"
SCOPES = ("user.info.basic", "user.info.profile", "user.info.stats", "video.publish",
          "video.list")
PHOTO_TITLE_LIMIT, PHOTO_DESCRIPTION_LIMIT, MAX_PHOTOS = 90, 4000, 35
class TikTokAdapter(PlatformAdapter):
    """Posts videos (and photo carousels) to one TikTok creator account."""

    name: ClassVar[str] = "tiktok"
    capabilities: ClassVar[Capabilities] = Capabilities(
        threads=False, media=True, alt_text=False, first_comment=False, delete=False,
        metrics=True, refresh=True, idempotency=False, lookup=True, text_only=False)

    def __init__(self, account: AccountInfo, tokens: Tokens, *,
                 on_tokens: TokensCallback | None = None, timeout_s: float = 30.0,
                 app: AppCredentials | None = None) -> None:
        super().__init__(account, tokens, on_tokens=on_tokens, timeout_s=timeout_s, app=app)
        self._base_url = (account.base_url or API_BASE).rstrip("/")
        self._client = make_client(self._base_url, timeout_s=timeout_s)
        self.chunk_size = DEFAULT_CHUNK
        self.poll_s = 2.0  # first wait between status polls; doubles up to 15 s
        self.publish_timeout_s = 600.0  # how long TikTok may process before "unknown"

    # -- connecting ---------------------------------------------------------
    @classmethod
    def oauth_spec(cls, base_url: str | None = None) -> OAuthSpec:
        """TikTok Login Kit v2 for desktop: ``client_key`` (not ``client_id``),
        comma-separated scopes, client credentials in the form body, and a PKCE
        challenge that is the SHA-256 of the verifier in hex (not base64url)."""
        base = base_url.rstrip("/") if base_url else None
        return OAuthSpec(
            authorize_url=f"{base}/v2/auth/authorize/" if base else AUTHORIZE_URL,
            token_url=f"{base or API_BASE}/v2/oauth/token/", scopes=SCOPES,
            scope_separator=",", pkce=True, client_auth="body",
            client_id_param="client_key", pkce_challenge_encoding="hex")

    @classmethod
    def finish_connect(cls, token_response: dict[str, Any], *, app: AppCredentials,
                       base_url: str | None = None, timeout_s: float = 30.0
                       ) -> tuple[ConnectedProfile, Tokens]:
        """Read the creator (``/v2/user/info/``) and build Tokens (both lifetimes)."""
        tokens = tokens_from_response(token_response)
        with make_client((base_url or API_BASE).rstrip("/"), timeout_s=timeout_s) as client:
            response = send(client, "GET", "/v2/user/info/", platform=cls.name,
                            params={"fields": "open_id,display_name,username"},
                            headers={"Authorization": f"Bearer {tokens.access_token}"})
            user = answer_data(response, scope="user.info.profile").get("user") or {}
        open_id = str(user.get("open_id") or token_response.get("open_id") or "")
        handle = f"@{user['username']}" if user.get("username") else str(
            user.get("display_name") or open_id)
        return ConnectedProfile(handle=handle, external_id=open_id or None,
                                display_name=user.get("display_name"), base_url=base_url), tokens

    # -- helpers --------------------------------------------------------------
    def _call(self, method: str, path: str, *, scope: str = "video.publish",
              **kw: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.tokens.access_token or ''}",
                   "Content-Type": "application/json; charset=UTF-8"}
        response = send(self._client, method, path, platform=self.name, headers=headers, **kw)
        return answer_data(response, scope=scope)

    def creator_info(self) -> dict[str, Any]:
        """The creator's posting options now (privacy levels, longest video, switches)."""
        return self._call("POST", "/v2/post/publish/creator_info/query/", json={})

    @staticmethod
    def _privacy(request: PublishRequest, creator: dict[str, Any]) -> str:
        """The privacy level a post goes out with: the option, else SELF_ONLY if offered."""
        allowed = [str(p) for p in creator.get("privacy_level_options") or []]
        wanted = request.options.get("privacy_level")
        return str(wanted) if wanted else ("SELF_ONLY" if "SELF_ONLY" in allowed
                                           else (allowed or ["SELF_ONLY"])[0])

    def _post_info(self, request: PublishRequest, creator: dict[str, Any],
                   *, photo: bool) -> dict[str, Any]:
        allowed = [str(p) for p in creator.get("privacy_level_options") or []]
        privacy = self._privacy(request, creator)
        if privacy not in allowed:
            raise InvalidContentError(f"tiktok: privacy {privacy} is not offered to this "
                                      f"creator; choose one of {', '.join(allowed) or 'none'}")
        info: dict[str, Any] = {"privacy_level": privacy, "disable_comment": bool(
            request.options.get("disable_comment") or creator.get("comment_disabled"))}
        text = request.parts[0] if request.parts else ""
        if photo:
            info["title"] = str(request.options.get("title") or "")
            info["description"] = text
        else:
            info["title"] = text
            for switch in ("duet", "stitch"):
                info[f"disable_{switch}"] = bool(request.options.get(f"disable_{switch}")
                                                 or creator.get(f"{switch}_disabled"))
            if request.options.get("cover_timestamp_ms") is not None:
                info["video_cover_timestamp_ms"] = int(request.options["cover_timestamp_ms"])
        return info

    # -- the interface --------------------------------------------------------
    def validate(self, request: PublishRequest) -> list[str]:
        """One caption, one video (3 s–10 min, ≤4 GB) or up to 35 photo URLs; no text-only."""
        from socialhub.core.text import measure

        problems: list[str] = []
        if len(request.parts) > 1:
            problems.append(f"{len(request.parts)} parts; TikTok has no threads: publish one "
                            "caption")
        if request.first_comment:
            problems.append("TikTok's API cannot post comments: remove the first comment")
        photos = [m for m in request.media if _is_photo(m)]
        videos = [m for m in request.media if not _is_photo(m)]
        text = request.parts[0] if request.parts else ""
        if not request.media:
            problems.append("tiktok needs a video or photos: add --media (TikTok has no "
                            "text-only posts)")
        elif photos and videos:
            problems.append("a TikTok post is either one video or photos, not both")
        elif videos:
            if len(videos) > 1:
                problems.append(f"{len(videos)} videos; TikTok takes one per post")
            problems.extend(video_problems(videos[0]))
        else:
            if len(photos) > MAX_PHOTOS:
                problems.append(f"{len(photos)} photos; TikTok takes up to {MAX_PHOTOS}")
            problems.extend(f"{m.path}: TikTok photo posts are pulled from a URL on a "
                            "verified domain, not uploaded" for m in photos if m.url is None)
            title = str(request.options.get("title") or "")
            if title:
                problems.extend(f"photo title: {p}" for p in measure(
                    title, SPEC.text_rules, limit=PHOTO_TITLE_LIMIT).problems)
        if text:
            limit = PHOTO_DESCRIPTION_LIMIT if photos and not videos else None
            problems.extend(f"caption: {p}"
                            for p in measure(text, SPEC.text_rules, limit=limit).problems)
        return problems

    def publish(self, request: PublishRequest, on_part: PartCallback) -> PublishResult:
        """Read creator_info, initialise the post, upload it, wait until TikTok publishes it."""
        done = [p for p in request.already_published if p.index == 0]
        if done:
            return PublishResult(parts=done)
        creator = self.creator_info()
        photos = [m for m in request.media if _is_photo(m)]
        if photos:
            publish_id = self._init_photos(request, creator, photos)
        else:
            publish_id = self._init_video(request, creator)
        status = wait_until_published(self._status, publish_id, poll_s=self.poll_s,
                                      timeout_s=self.publish_timeout_s)
        post_ids = status.get("publicaly_available_post_id") or []  # sic: TikTok's spelling
        remote_id = str(post_ids[0]) if post_ids else publish_id
        handle = self.account.handle.lstrip("@")
        url = f"https://www.tiktok.com/@{handle}/video/{remote_id}" if post_ids else None
        part = PublishedPart(index=0, remote_id=remote_id, url=url,
                             extra={"publish_id": publish_id})
        on_part(part)
        return PublishResult(parts=[part])

    def _init_video(self, request: PublishRequest, creator: dict[str, Any]) -> str:
        item = next((m for m in request.media), None)
        if item is None:
            raise InvalidContentError("tiktok needs a video: add --media VIDEO")
        post_info = self._post_info(request, creator, photo=False)
        if item.path is None:
            # TikTok fetches and publishes by itself: a lost answer may still become a post.
            try:
                data = self._call("POST", "/v2/post/publish/video/init/", json={
                    "post_info": post_info,
                    "source_info": {"source": "PULL_FROM_URL", "video_url": item.url}})
            except RetryLaterError as exc:
                if isinstance(exc, RateLimitedError) or (exc.status or 0) < 500:
                    raise
                raise OutcomeUnknownError(exc.message, status=exc.status,
                                          hint="the post may exist; it will be looked up"
                                          ) from None
            return str(data["publish_id"])
        facts = _facts(item.path)
        limit = creator.get("max_video_post_duration_sec")
        if limit and facts.duration_s and facts.duration_s > float(limit):
            raise InvalidContentError(
                f"tiktok: {item.path.name} lasts {facts.duration_s:.0f} s; this creator may post "
                f"videos up to {limit} s: trim it")
        chunk, count = chunk_plan(facts.size, self.chunk_size)
        try:
            data = self._call("POST", "/v2/post/publish/video/init/", json={
                "post_info": post_info,
                "source_info": {"source": "FILE_UPLOAD", "video_size": facts.size,
                                "chunk_size": chunk, "total_chunk_count": count}})
        except OutcomeUnknownError as exc:
            raise RetryLaterError(exc.message) from None  # no bytes, no post
        publish_id = str(data["publish_id"])
        upload_chunks(self._client, str(data["upload_url"]), publish_id, item.path, facts.size,
                      chunk, count, fetch_status=self._status)
        return publish_id

    def _init_photos(self, request: PublishRequest, creator: dict[str, Any],
                     photos: list[MediaItem]) -> str:
        urls = [m.url for m in photos if m.url]
        if len(urls) != len(photos):
            raise InvalidContentError("tiktok: photo posts need URLs on a verified domain")
        data = self._call("POST", "/v2/post/publish/content/init/", json={
            "media_type": "PHOTO", "post_mode": "DIRECT_POST",
            "post_info": self._post_info(request, creator, photo=True),
            "source_info": {"source": "PULL_FROM_URL", "photo_images": urls,
                            "photo_cover_index": int(request.options.get("photo_cover_index",
                                                                         0))}})
        return str(data["publish_id"])

    def _status(self, publish_id: str) -> dict[str, Any]:
        return self._call("POST", "/v2/post/publish/status/fetch/",
                          json={"publish_id": publish_id})

    def find_by_idempotency_key(self, request: PublishRequest) -> list[PublishedPart] | None:
        """Find an unconfirmed post among the creator's recent public videos by caption.

        TikTok lists only public videos (``video.list``): a post with any other
        privacy level (SELF_ONLY, the default and all an unaudited app may post)
        cannot be found, so the look-up refuses rather than risk a duplicate.
        Without a ``privacy_level`` option the level is the one ``publish`` would
        have chosen from ``creator_info``.

        Raises:
            InvalidContentError: the post was not public; a person must check the
                app (never retried: no look-up can ever succeed for it).
        """
        privacy = request.options.get("privacy_level") or self._privacy(
            request, self.creator_info())
        if privacy != "PUBLIC_TO_EVERYONE":
            raise InvalidContentError(
                f"tiktok: a {privacy} post cannot be looked up through the API (TikTok lists "
                "only public videos); check the TikTok app and retry the delivery only if "
                "the post is missing", code="lookup_unavailable_for_private_posts",
                hint="post with privacy_level=PUBLIC_TO_EVERYONE to let socialhub "
                     "reconcile unconfirmed sends itself")
        data = self._call("POST", "/v2/video/list/", scope="video.list",
                          params={"fields": "id,title,create_time,share_url"},
                          json={"max_count": 20})
        caption = request.parts[0] if request.parts else ""
        not_before = parse_timestamp(request.options.get("not_before"))
        for video in data.get("videos") or []:
            created = datetime.fromtimestamp(int(video.get("create_time") or 0), tz=UTC)
            if video.get("title") == caption and (not_before is None or created >= not_before):
                return [PublishedPart(index=0, remote_id=str(video["id"]),
                                      url=video.get("share_url"))]
        return None

    def refresh(self) -> Tokens:
        """Exchange the refresh token; it rotates, so ``on_tokens`` stores the new pair first.

        Raises:
            AuthRevokedError: the refresh token is invalid, expired or revoked.
            RetryLaterError: TikTok could not be reached or the answer was lost.
        """
        if not self.tokens.refresh_token:
            raise AuthRevokedError("tiktok: no refresh token stored",
                                   hint="reconnect: socialhub accounts connect tiktok")
        form = {"client_key": self.app.client_id or "",
                "client_secret": self.app.client_secret or "",
                "grant_type": "refresh_token", "refresh_token": self.tokens.refresh_token}
        try:
            response = send(self._client, "POST", "/v2/oauth/token/", platform=self.name,
                            data=form)
        except OutcomeUnknownError as exc:
            raise RetryLaterError(exc.message) from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400 or "access_token" not in body:
            code = str(body.get("error") or "") if isinstance(body, dict) else ""
            if response.status_code >= 500:
                raise RetryLaterError(f"tiktok: token endpoint HTTP {response.status_code}")
            what = ("the refresh token is invalid, expired or revoked" if code == "invalid_grant"
                    else f"TikTok refused the refresh ({code or response.status_code})")
            raise AuthRevokedError(f"tiktok: {what}", status=response.status_code, code=code,
                                   hint="reconnect: socialhub accounts connect tiktok")
        new = tokens_from_response(body, previous=self.tokens)
        if self.on_tokens is not None:
            self.on_tokens(new)  # the old refresh token may already be dead
        self.tokens = new
        return new

    def fetch_metrics(self, remote_ids: list[str]) -> dict[str, Metrics]:
        """Views, likes, comments, shares (``video.query``; publish ids of private posts: none)."""
        ids = [i for i in remote_ids if i.isdigit()]
        result: dict[str, Metrics] = {}
        for start in range(0, len(ids), 20):
            data = self._call("POST", "/v2/video/query/", scope="video.list", params={
                "fields": "id,view_count,like_count,comment_count,share_count"},
                json={"filters": {"video_ids": ids[start:start + 20]}})
            for video in data.get("videos") or []:
                result[str(video["id"])] = Metrics(
                    video_views=video.get("view_count"), likes=video.get("like_count"),
                    replies=video.get("comment_count"), reposts=video.get("share_count"),
                    raw=dict(video))
        return result

    def fetch_account_metrics(self) -> AccountMetrics | None:
        """Followers, following and videos from ``/v2/user/info/`` (scope
        ``user.info.stats``); None for a token granted without that scope (an account
        connected before socialhub asked for it: reconnect to collect them)."""
        if self.tokens.scopes and "user.info.stats" not in self.tokens.scopes:
            return None
        user = self._call("GET", "/v2/user/info/", scope="user.info.stats", params={
            "fields": "open_id,follower_count,following_count,likes_count,video_count"},
            ).get("user") or {}
        return AccountMetrics(followers=count_or_none(user.get("follower_count")),
                              following=count_or_none(user.get("following_count")),
                              posts=count_or_none(user.get("video_count")),
                              raw={k: v for k, v in user.items() if k != "open_id"})

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()


def tokens_from_response(body: dict[str, Any], previous: Tokens | None = None) -> Tokens:
    """Tokens from TikTok's token endpoint (flat JSON; comma-separated ``scope``)."""
    now = datetime.now(UTC)
    expires_in, refresh_in = body.get("expires_in"), body.get("refresh_expires_in")
    scope = body.get("scope")
    return Tokens(
        access_token=str(body["access_token"]),
        refresh_token=body.get("refresh_token") or (previous.refresh_token if previous else None),
        expires_at=now + timedelta(seconds=int(expires_in)) if expires_in else None,
        refresh_expires_at=now + timedelta(seconds=int(refresh_in)) if refresh_in else None,
        scopes=[s for s in str(scope).split(",") if s] if scope else list(
            previous.scopes if previous else []),
        extra={"open_id": body["open_id"]} if body.get("open_id") else {})


def _is_photo(item: MediaItem) -> bool:
    mime = item.mime or ""
    name = str(item.path or item.url or "").lower()
    return mime.startswith("image/") or name.endswith((".jpg", ".jpeg", ".png", ".webp"))


def _facts(path: Path) -> Any:
    try:
        return media_facts(path)
    except OSError as exc:
        raise InvalidContentError(f"tiktok: cannot read {path}: {exc.strerror}") from None
