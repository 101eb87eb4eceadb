"""The Instagram adapter: containers (image, Reels, carousels), first comment, quotas.

Facts it relies on (PLATFORMS.md §2.6), using Instagram Login
(``graph.instagram.com``): a post is a container created at
``POST /{ig-user}/media`` — ``image_url`` (+ ``alt_text``), ``media_type=REELS``
with ``video_url`` (every feed video is a Reel), or ``CAROUSEL`` built from
children created with ``is_carousel_item=true`` — polled at
``GET /{container}?fields=status_code`` until ``FINISHED``, then published at
``POST /{ig-user}/media_publish``. There is no text-only post and no thread;
the first comment is ``POST /{media}/comments``. The rolling 24 h publishing
quota is read from ``content_publishing_limit`` before publishing. Long-lived
tokens (60 days) refresh with ``ig_refresh_token`` once 24 h old.

The inbox (``meta.inbox``) reads the comments on the 25 newest media, skipping
those whose ``comments_count`` did not change: ``GET /{media}/comments`` with each
comment's ``replies{…}``. A reply is ``POST /{comment}/replies`` on the top-level
comment (Instagram adds a reply to a reply to its top-level comment anyway).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from socialhub.platforms.base import (
    AccountInfo,
    AccountMetrics,
    AppCredentials,
    Capabilities,
    ConnectedProfile,
    InboxPage,
    MediaItem,
    Metrics,
    OAuthSpec,
    PartCallback,
    PlatformAdapter,
    PublishedPart,
    PublishRequest,
    PublishResult,
    RemoteInboxItem,
    Tokens,
    TokensCallback,
    count_or_none,
    reply_target,
)
from socialhub.platforms.errors import InvalidContentError, RetryLaterError
from socialhub.platforms.instagram.spec import SPEC
from socialhub.platforms.meta.graph import (
    ContainerStatus,
    GraphApi,
    create_container,
    create_post,
    insight_values,
    match_recent,
    publish_container,
    quota_spent_error,
    read_quota,
    wait_until_finished,
)
from socialhub.platforms.meta.inbox import (
    RECENT_POSTS,
    CommentPage,
    comment_to_answer,
    graph_time,
    next_after,
    scan_comments,
)
from socialhub.platforms.meta.media import (
    MediaRules,
    media_kind,
    media_problems,
)
from socialhub.platforms.meta.tokens import (
    refresh_long_lived,
    token_call,
    tokens_from_answer,
)
from socialhub.platforms.timestamps import parse_timestamp

API_URL = "https://graph.instagram.com/v25.0"
TOKEN_ROOT = "https://graph.instagram.com"
AUTHORIZE_URL = "https://www.instagram.com/oauth/authorize"
CODE_URL = "https://api.instagram.com/oauth/access_token"
SCOPES: tuple[str, ...] = ("instagram_business_basic", "instagram_business_content_publish",
                           "instagram_business_manage_comments",
                           "instagram_business_manage_insights")
MAX_CAROUSEL = 10
DEFAULT_QUOTA = 50
STATUS = ContainerStatus(status_field="status_code", message_field="status")
# Meta's content-publishing specification: JPEG only, ≤8 MB, 4:5 to 1.91:1;
# Reels MP4/MOV ≤300 MB, 3 s to 15 min.
MEDIA_RULES = MediaRules(platform="instagram", image_mimes=("image/jpeg",),
                         video_mimes=("video/mp4", "video/quicktime"),
                         image_max_bytes=8_000_000, video_max_bytes=300_000_000,
                         video_min_s=3.0, video_max_s=900.0, min_aspect=0.8, max_aspect=1.91)
_PUBLISH, _COMMENTS = "instagram_business_content_publish", "instagram_business_manage_comments"
_METRICS = "views,reach,likes,comments,shares,saved,total_interactions"
_SCAN_LIMIT = 50
_REPLY_FIELDS = "id,text,username,timestamp,from,parent_id"
_COMMENT_FIELDS = f"{_REPLY_FIELDS},replies{{{_REPLY_FIELDS}}}"


def _roots(base_url: str | None) -> tuple[str, str]:
    if base_url:
        return base_url.rstrip("/"), base_url.rstrip("/")
    return API_URL, TOKEN_ROOT


class InstagramAdapter(PlatformAdapter):
    """Publishes to one Instagram professional account; ``external_id`` is its IG user id.

    ``account.settings["max_hashtags"]`` overrides the hashtag cap (30 by
    default; several 2025 sources report 5 — PLATFORMS.md §2.6).
    """

    name: ClassVar[str] = "instagram"
    capabilities: ClassVar[Capabilities] = Capabilities(
        threads=False, media=True, alt_text=True, first_comment=True, delete=False,
        metrics=True, refresh=True, idempotency=False, lookup=True, text_only=False)

    def __init__(self, account: AccountInfo, tokens: Tokens, *,
                 on_tokens: TokensCallback | None = None, timeout_s: float = 30.0,
                 app: AppCredentials | None = None) -> None:
        super().__init__(account, tokens, on_tokens=on_tokens, timeout_s=timeout_s, app=app)
        self._api_root, self._token_root = _roots(account.base_url)
        self.api = GraphApi(self.name, self._api_root, timeout_s=timeout_s,
                            token=lambda: self.tokens.access_token)
        user = account.external_id or tokens.extra.get("user_id")
        self._user: str | None = str(user) if user else None
        self.container_wait_s = 300.0
        self.poll_s = 1.0
        self.sleep = time.sleep

    # -- connecting ---------------------------------------------------------------------
    @classmethod
    def oauth_spec(cls, base_url: str | None = None) -> OAuthSpec:
        """Instagram Login: comma-separated scopes, secret in the form body, no PKCE."""
        root = base_url.rstrip("/") if base_url else None
        return OAuthSpec(authorize_url=f"{root}/oauth/authorize" if root else AUTHORIZE_URL,
                         token_url=f"{root}/oauth/access_token" if root else CODE_URL,
                         scopes=SCOPES, scope_separator=",", pkce=False, client_auth="body")

    @classmethod
    def finish_connect(cls, token_response: dict[str, Any], *, app: AppCredentials,
                       base_url: str | None = None, timeout_s: float = 30.0
                       ) -> tuple[ConnectedProfile, Tokens]:
        """Exchange the 1 h token for a 60-day one (``ig_exchange_token``) and read ``/me``."""
        api_root, token_root = _roots(base_url)
        data = token_response.get("data")
        answer = data[0] if isinstance(data, list) and data else token_response
        long = token_call(cls.name, f"{token_root}/access_token", {
            "grant_type": "ig_exchange_token", "client_secret": app.client_secret or "",
            "access_token": str(answer.get("access_token") or "")}, timeout_s=timeout_s)
        granted = answer.get("permissions") or answer.get("scope")
        scopes = (granted if isinstance(granted, list)
                  else str(granted).split(",") if granted else list(SCOPES))
        tokens = tokens_from_answer(long, scopes=[str(s).strip() for s in scopes if s])
        api = GraphApi(cls.name, api_root, timeout_s=timeout_s,
                       token=lambda: tokens.access_token)
        try:
            me = api.get("/me", fields="user_id,username,name")
        finally:
            api.close()
        user_id = str(me.get("user_id") or me["id"])
        tokens.extra["user_id"] = user_id
        return ConnectedProfile(handle=f"@{me.get('username') or user_id}",
                                external_id=user_id, display_name=me.get("name")), tokens

    # -- helpers ----------------------------------------------------------------------------
    @property
    def user(self) -> str:
        """The Instagram user id (asked of ``/me`` once when the account does not hold it)."""
        if self._user is None:
            me = self.api.get("/me", fields="user_id")
            self._user = str(me.get("user_id") or me["id"])
        return self._user

    def _container(self, params: dict[str, Any]) -> str:
        container = create_container(self.api, f"/{self.user}/media", params,
                                     permission=_PUBLISH)
        wait_until_finished(self.api, container, STATUS, wait_s=self.container_wait_s,
                            poll_s=self.poll_s, sleep=self.sleep)
        return container

    @staticmethod
    def _item(item: MediaItem, *, carousel: bool) -> dict[str, Any]:
        if media_kind(item) == "video":
            return {"media_type": "VIDEO" if carousel else "REELS", "video_url": item.url,
                    "is_carousel_item": "true" if carousel else None}
        return {"image_url": item.url, "alt_text": item.alt_text,
                "is_carousel_item": "true" if carousel else None}

    def _build(self, request: PublishRequest) -> str:
        caption = request.parts[0] if request.parts else ""
        if len(request.media) == 1:
            params = self._item(request.media[0], carousel=False)
        else:
            children = [self._container(self._item(m, carousel=True)) for m in request.media]
            params = {"media_type": "CAROUSEL", "children": ",".join(children)}
        params["caption"] = caption or None
        return self._container(params)

    def _check_quota(self) -> None:
        data = self.api.get(f"/{self.user}/content_publishing_limit",
                            fields="quota_usage,config")
        quota = read_quota(data, default_total=DEFAULT_QUOTA)
        if quota.spent:
            since = int((datetime.now(UTC) - timedelta(seconds=quota.duration_s)).timestamp())
            try:
                items = self.api.get(f"/{self.user}/media", fields="id,timestamp", since=since,
                                     limit=100).get("data") or []
            except RetryLaterError:
                items = []
            times = [t for t in (parse_timestamp(i.get("timestamp")) for i in items) if t]
            raise quota_spent_error(self.name, "publishing", quota,
                                    min(times) if times else None)

    def _permalink(self, media_id: str) -> str | None:
        try:
            return self.api.get(f"/{media_id}", fields="permalink").get("permalink")
        except (RetryLaterError, InvalidContentError):
            return None

    # -- the interface ----------------------------------------------------------------------
    def validate(self, request: PublishRequest) -> list[str]:
        """Media required (≤10, public URLs, JPEG/MP4 rules), one caption ≤2,200, hashtag cap."""
        from socialhub.core.text import measure

        problems: list[str] = []
        if reply_target(request) is not None:
            text = request.parts[0] if request.parts else ""
            return [f"reply: {p}" for p in measure(text, SPEC.text_rules).problems]
        if not request.media:
            problems.append("instagram needs an image or video: add --media")
        if len(request.parts) > 1:
            problems.append(f"instagram has no threads: {len(request.parts)} parts; publish "
                            "one caption (use a first comment for more)")
        cap = self.account.settings.get("max_hashtags")
        texts = [("caption", request.parts[0] if request.parts else "")]
        if request.first_comment:
            texts.append(("first comment", request.first_comment))
        for what, text in texts:
            if what == "caption" and not text.strip():
                continue  # a caption is optional
            result = measure(text, SPEC.text_rules, max_hashtags=int(cap) if cap else None)
            problems.extend(f"{what}: {p}" for p in result.problems)
        if len(request.media) > MAX_CAROUSEL:
            problems.append(f"{len(request.media)} media; an Instagram carousel takes at most "
                            f"{MAX_CAROUSEL}: remove {len(request.media) - MAX_CAROUSEL}")
        for item in request.media:
            problems.extend(media_problems(item, MEDIA_RULES))
        return problems

    def publish(self, request: PublishRequest, on_part: PartCallback) -> PublishResult:
        """Publish the post (quota permitting), then the first comment if any.

        Raises:
            RateLimitedError: the 24 h publishing quota is spent, before anything is sent.
            InvalidContentError: no media, or Meta could not process it.
        """
        done = {p.index: p for p in request.already_published}
        if reply_target(request) is not None:
            return PublishResult(parts=[done.get(0) or self._reply(request, on_part)])
        if not request.media:
            raise InvalidContentError("instagram needs an image or video: add --media")
        post = done.get(0)
        if post is None:
            self._check_quota()
            container = self._build(request)
            media_id = publish_container(self.api, f"/{self.user}/media_publish", container,
                                         permission=_PUBLISH)
            post = PublishedPart(index=0, remote_id=media_id, url=self._permalink(media_id),
                                 extra={"container_id": container})
            on_part(post)
        parts = [post]
        if request.first_comment:
            comment = done.get(1)
            if comment is None:
                answer = create_post(self.api, f"/{post.remote_id}/comments",
                                     {"message": request.first_comment},
                                     permission=_COMMENTS)
                comment = PublishedPart(index=1, remote_id=str(answer["id"]),
                                        extra={"first_comment": True})
                on_part(comment)
            parts.append(comment)
        return PublishResult(parts=parts)

    def _reply(self, request: PublishRequest, on_part: PartCallback) -> PublishedPart:
        """``POST /{comment}/replies`` on the top-level comment of the one answered."""
        on = comment_to_answer(request)
        answer = create_post(self.api, f"/{on}/replies",
                             {"message": request.parts[0] if request.parts else ""},
                             permission=_COMMENTS)
        part = PublishedPart(index=0, remote_id=str(answer["id"]), extra={"reply_to": on})
        on_part(part)
        return part

    def fetch_inbox(self, cursor: dict[str, Any], *, limit: int = 100) -> InboxPage:
        """Comments and replies on the newest media (``meta.inbox``), oldest first."""
        return scan_comments(cursor, limit=limit, recent_posts=self._recent_posts,
                             comments=self._comments)

    def _recent_posts(self) -> list[tuple[str, int | None]]:
        rows = self.api.request("GET", f"/{self.user}/media", permission=_COMMENTS,
                                params={"fields": "id,timestamp,comments_count",
                                        "limit": RECENT_POSTS}).get("data") or []
        return [(str(r["id"]), count_or_none(r.get("comments_count"))) for r in rows
                if isinstance(r, dict) and r.get("id")]

    def _comments(self, media_id: str, after: str | None, floor: datetime | None,
                  limit: int) -> CommentPage:
        params: dict[str, Any] = {"fields": _COMMENT_FIELDS, "limit": min(limit, 50)}
        if after:
            params["after"] = after
        answer = self.api.request("GET", f"/{media_id}/comments", permission=_COMMENTS,
                                  params=params)
        rows: list[dict[str, Any]] = []
        for row in answer.get("data") or []:
            if not isinstance(row, dict) or not row.get("id"):
                continue
            rows.append(row)
            rows.extend({**r, "parent_id": r.get("parent_id") or row["id"]}
                        for r in (row.get("replies") or {}).get("data") or []
                        if isinstance(r, dict) and r.get("id"))
        items = [self._inbox_item(r, media_id) for r in rows if not self._own(r)]
        # Instagram documents no order for this edge and a new reply can sit under an old
        # comment: every page is read (comments_count already skips unchanged media)
        return CommentPage(items=items, after=next_after(answer), oldest=None)

    def _own(self, row: dict[str, Any]) -> bool:
        who = row.get("from") or {}
        mine = self.account.handle.lstrip("@").casefold()
        return str(who.get("id") or "") == self.user or \
            str(row.get("username") or who.get("username") or "").casefold() == mine

    @staticmethod
    def _inbox_item(row: dict[str, Any], media_id: str) -> RemoteInboxItem:
        who = row.get("from") or {}
        handle = str(row.get("username") or who.get("username") or who.get("id") or "someone")
        parent = str(row.get("parent_id") or "") or None
        return RemoteInboxItem(
            remote_id=str(row["id"]), kind="reply" if parent else "comment",
            author_handle=handle, text=str(row.get("text") or ""),
            received_at=graph_time(row.get("timestamp")),
            url=None, parent_id=parent or media_id, conversation_id=media_id,
            context={"reply_root": parent or str(row["id"]), "media_id": media_id})

    def find_by_idempotency_key(self, request: PublishRequest) -> list[PublishedPart] | None:
        """Find the post among recent media by caption (and its first comment by text);
        a reply among the replies under the comment it answers.

        ``request.options["not_before"]`` keeps an older post with the same caption out.
        """
        not_before = parse_timestamp(request.options.get("not_before"))
        if reply_target(request) is not None:
            on = comment_to_answer(request)
            replies = self.api.get(f"/{on}/replies", fields=_REPLY_FIELDS,
                                   limit=_SCAN_LIMIT).get("data") or []
            hit = match_recent([r for r in replies if self._own(r)], text_field="text",
                               text=request.parts[0] if request.parts else "",
                               time_field="timestamp", not_before=not_before)
            return None if hit is None else [PublishedPart(index=0, remote_id=str(hit["id"]),
                                                           extra={"reply_to": on})]
        items = self.api.get(f"/{self.user}/media", fields="id,caption,timestamp,permalink",
                             limit=_SCAN_LIMIT).get("data") or []
        caption = request.parts[0] if request.parts else ""
        match = match_recent(items, text_field="caption", text=caption,
                             time_field="timestamp", not_before=not_before)
        if match is None:
            return None
        found = [PublishedPart(index=0, remote_id=str(match["id"]), url=match.get("permalink"))]
        if request.first_comment:
            comments = self.api.get(f"/{match['id']}/comments", fields="id,text,timestamp",
                                    limit=_SCAN_LIMIT).get("data") or []
            hit = match_recent(comments, text_field="text", text=request.first_comment,
                               time_field="timestamp", not_before=not_before)
            if hit is not None:
                found.append(PublishedPart(index=1, remote_id=str(hit["id"]),
                                           extra={"first_comment": True}))
        return found

    def refresh(self) -> Tokens:
        """Exchange the long-lived token for a new 60-day one (``ig_refresh_token``).

        A token younger than 24 h cannot be refreshed: the current tokens are
        returned unchanged and nothing is called.

        Raises:
            AuthRevokedError: the token expired or was revoked: reconnect.
            RetryLaterError: Instagram could not be reached.
        """
        return refresh_long_lived(self, self._token_root, "ig_refresh_token")

    def fetch_metrics(self, remote_ids: list[str]) -> dict[str, Metrics]:
        """Views, likes, comments, shares and saves from the media's insights."""
        result: dict[str, Metrics] = {}
        for remote_id in remote_ids:
            try:
                values = insight_values(self.api.get(f"/{remote_id}/insights",
                                                     metric=_METRICS))
            except InvalidContentError:
                continue
            result[remote_id] = Metrics(
                impressions=values.get("views"), likes=values.get("likes"),
                replies=values.get("comments"), reposts=values.get("shares"),
                saves=values.get("saved"), raw=dict(values))
        return result

    def fetch_account_metrics(self) -> AccountMetrics:
        """Followers, following and posts: the IG user's ``followers_count``,
        ``follows_count`` and ``media_count`` fields."""
        data = self.api.get(f"/{self.user}", fields="followers_count,follows_count,media_count")
        return AccountMetrics(followers=count_or_none(data.get("followers_count")),
                              following=count_or_none(data.get("follows_count")),
                              posts=count_or_none(data.get("media_count")),
                              raw={k: v for k, v in data.items() if k != "id"})

    def close(self) -> None:
        """Close the HTTP connections."""
        self.api.close()
