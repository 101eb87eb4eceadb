"""The Threads adapter: two-step containers, reply-chain threads, carousels, quotas.

Facts it relies on (PLATFORMS.md §2.5): a post is a container created at
``POST /{user}/threads`` (``media_type`` TEXT/IMAGE/VIDEO/CAROUSEL; media
fetched by Meta from a public URL), polled at ``GET /{container}?fields=status``
until ``FINISHED``, then published at ``POST /{user}/threads_publish``. A
thread is a chain of ``reply_to_id``. The rolling 24 h publishing quota (250
posts, 1,000 replies) is read from ``threads_publishing_limit`` before
publishing, so a spent quota waits instead of failing. Long-lived tokens last
60 days and refresh by exchanging themselves (``th_refresh_token``) once they
are 24 h old.

Threads has no idempotency key: ``find_by_idempotency_key`` looks the parts up
among the account's recent posts and replies by text.

The inbox (``meta.inbox``) reads the replies to the 25 newest posts, at every depth:
``GET /{post}/conversation`` (flattened, ``reverse=true``: newest first), leaving out
the account's own (``is_reply_owned_by_me``). A reply to an item is a post whose
container has ``reply_to_id`` set to it.
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
from socialhub.platforms.errors import AuthRevokedError, InvalidContentError, RetryLaterError
from socialhub.platforms.meta.graph import (
    ContainerStatus,
    GraphApi,
    Quota,
    create_container,
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
    graph_time,
    next_after,
    oldest_of,
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
from socialhub.platforms.threads.spec import SPEC
from socialhub.platforms.timestamps import parse_timestamp

API_URL = "https://graph.threads.net/v1.0"
TOKEN_ROOT = "https://graph.threads.net"
AUTHORIZE_URL = "https://threads.net/oauth/authorize"
SCOPES: tuple[str, ...] = ("threads_basic", "threads_content_publish",
                           "threads_manage_replies", "threads_read_replies",
                           "threads_manage_insights")
MAX_CAROUSEL = 20
POST_QUOTA, REPLY_QUOTA = 250, 1000
STATUS = ContainerStatus(status_field="status", message_field="error_message")
# Meta's Threads media specification: JPEG/PNG ≤8 MB; MP4/MOV ≤1 GB, ≤5 min.
MEDIA_RULES = MediaRules(platform="threads", image_mimes=("image/jpeg", "image/png"),
                         video_mimes=("video/mp4", "video/quicktime"),
                         image_max_bytes=8_000_000, video_max_bytes=1_000_000_000,
                         video_max_s=300.0, min_aspect=0.1, max_aspect=10.0)
_METRICS = "views,likes,replies,reposts,quotes,shares"
_SCAN_LIMIT = 50
_PUBLISH, _REPLIES = "threads_content_publish", "threads_manage_replies"
_READ_REPLIES = "threads_read_replies"
_CONVERSATION_FIELDS = ("id,text,username,timestamp,permalink,replied_to,root_post,"
                        "is_reply_owned_by_me")


def _roots(base_url: str | None) -> tuple[str, str]:
    """(API root, token root): a test fake serves both at its own root."""
    if base_url:
        return base_url.rstrip("/"), base_url.rstrip("/")
    return API_URL, TOKEN_ROOT


class ThreadsAdapter(PlatformAdapter):
    """Publishes to one Threads profile; ``account.external_id`` is its Threads user id."""

    name: ClassVar[str] = "threads"
    capabilities: ClassVar[Capabilities] = Capabilities(
        threads=True, media=True, alt_text=True, first_comment=True, delete=True,
        metrics=True, refresh=True, idempotency=False, lookup=True, text_only=True)

    def __init__(self, account: AccountInfo, tokens: Tokens, *,
                 on_tokens: TokensCallback | None = None, timeout_s: float = 30.0,
                 app: AppCredentials | None = None) -> None:
        super().__init__(account, tokens, on_tokens=on_tokens, timeout_s=timeout_s, app=app)
        self._api_root, self._token_root = _roots(account.base_url)
        self.api = GraphApi(self.name, self._api_root, timeout_s=timeout_s,
                            token=lambda: self.tokens.access_token)
        user = account.external_id or tokens.extra.get("user_id")
        self._user: str | None = str(user) if user else None
        self.container_wait_s = 300.0  # video processing takes minutes at worst
        self.poll_s = 1.0
        self.sleep = time.sleep

    # -- connecting ---------------------------------------------------------------------
    @classmethod
    def oauth_spec(cls, base_url: str | None = None) -> OAuthSpec:
        """Threads OAuth: comma-separated scopes, client secret in the form body, no PKCE."""
        _, token_root = _roots(base_url)
        authorize = f"{base_url.rstrip('/')}/oauth/authorize" if base_url else AUTHORIZE_URL
        return OAuthSpec(authorize_url=authorize, token_url=f"{token_root}/oauth/access_token",
                         scopes=SCOPES, scope_separator=",", pkce=False, client_auth="body")

    @classmethod
    def finish_connect(cls, token_response: dict[str, Any], *, app: AppCredentials,
                       base_url: str | None = None, timeout_s: float = 30.0
                       ) -> tuple[ConnectedProfile, Tokens]:
        """Exchange the 1 h token for a 60-day one (``th_exchange_token``) and read ``/me``."""
        api_root, token_root = _roots(base_url)
        answer = token_call(cls.name, f"{token_root}/access_token", {
            "grant_type": "th_exchange_token", "client_secret": app.client_secret or "",
            "access_token": str(token_response.get("access_token") or "")},
            timeout_s=timeout_s)
        granted = token_response.get("scope") or token_response.get("permissions")
        scopes = str(granted).replace(" ", ",").split(",") if granted else list(SCOPES)
        tokens = tokens_from_answer(answer, scopes=[s for s in scopes if s])
        api = GraphApi(cls.name, api_root, timeout_s=timeout_s,
                       token=lambda: tokens.access_token)
        try:
            me = api.get("/me", fields="id,username,name")
        finally:
            api.close()
        tokens.extra["user_id"] = str(me["id"])
        return ConnectedProfile(handle=f"@{me.get('username') or me['id']}",
                                external_id=str(me["id"]), display_name=me.get("name")), tokens

    # -- helpers --------------------------------------------------------------------------
    @property
    def user(self) -> str:
        """The Threads user id (asked of ``/me`` once when the account does not hold it)."""
        if self._user is None:
            self._user = str(self.api.get("/me", fields="id")["id"])
        return self._user

    @staticmethod
    def _texts(request: PublishRequest) -> list[str]:
        return list(request.parts) + ([request.first_comment] if request.first_comment else [])

    def _quotas(self) -> tuple[Quota, Quota]:
        data = self.api.get(f"/{self.user}/threads_publishing_limit",
                            fields="quota_usage,config,reply_quota_usage,reply_config")
        posts = read_quota(data, default_total=POST_QUOTA)
        replies = read_quota(data, used_key="reply_quota_usage", config_key="reply_config",
                             default_total=REPLY_QUOTA)
        return posts, replies

    def _oldest_in_window(self, edge: str, window_s: int) -> datetime | None:
        since = int((datetime.now(UTC) - timedelta(seconds=window_s)).timestamp())
        try:
            items = self.api.get(f"/{self.user}/{edge}", fields="id,timestamp", since=since,
                                 limit=100).get("data") or []
        except RetryLaterError:
            return None
        times = [t for t in (parse_timestamp(i.get("timestamp")) for i in items) if t is not None]
        return min(times) if times else None

    def _media_params(self, item: MediaItem, *, carousel_item: bool) -> dict[str, Any]:
        kind = media_kind(item)
        params: dict[str, Any] = {"media_type": "VIDEO" if kind == "video" else "IMAGE",
                                  "alt_text": item.alt_text}
        params["video_url" if kind == "video" else "image_url"] = item.url
        if carousel_item:
            params["is_carousel_item"] = "true"
        return params

    def _container(self, params: dict[str, Any]) -> str:
        container = create_container(self.api, f"/{self.user}/threads", params,
                                     permission=_PUBLISH)
        wait_until_finished(self.api, container, STATUS, wait_s=self.container_wait_s,
                            poll_s=self.poll_s, sleep=self.sleep)
        return container

    def _post_container(self, request: PublishRequest, text: str, index: int) -> dict[str, Any]:
        params: dict[str, Any] = {"media_type": "TEXT", "text": text or None}
        if index == 0 and len(request.media) == 1:
            params.update(self._media_params(request.media[0], carousel_item=False))
        elif index == 0 and request.media:
            children = [self._container(self._media_params(m, carousel_item=True))
                        for m in request.media]
            params.update(media_type="CAROUSEL", children=",".join(children))
        return params

    def _permalink(self, media_id: str) -> str | None:
        try:
            return self.api.get(f"/{media_id}", fields="permalink").get("permalink")
        except (RetryLaterError, InvalidContentError):
            return None  # the post exists; a missing URL is not worth a failure

    # -- the interface ----------------------------------------------------------------------
    def validate(self, request: PublishRequest) -> list[str]:
        """500 characters (emoji as UTF-8 bytes), ≤5 links, ≤20 carousel items, public URLs."""
        from socialhub.core.text import measure

        problems: list[str] = []
        if not request.parts:
            problems.append("nothing to publish: no parts")
        for index, text in enumerate(self._texts(request)):
            what = "first comment" if index >= len(request.parts) else f"part {index + 1}"
            if index == 0 and request.media and not text.strip():
                continue  # the media carries the post
            problems.extend(f"{what}: {p}" for p in measure(text, SPEC.text_rules).problems)
        if len(request.media) > MAX_CAROUSEL:
            problems.append(f"{len(request.media)} media; a Threads carousel takes at most "
                            f"{MAX_CAROUSEL}: remove {len(request.media) - MAX_CAROUSEL}")
        for item in request.media:
            problems.extend(media_problems(item, MEDIA_RULES))
        return problems

    def publish(self, request: PublishRequest, on_part: PartCallback) -> PublishResult:
        """Publish each missing part as a reply to the one before, quota permitting.

        Raises:
            RateLimitedError: the 24 h post or reply quota is spent (``until``
                is when the oldest post leaves the window), before anything is sent.
        """
        done = {p.index: p for p in request.already_published}
        texts = self._texts(request)
        if all(i in done for i in range(len(texts))):
            return PublishResult(parts=[done[i] for i in range(len(texts))])
        posts_quota, replies_quota = self._quotas()
        left = {"post": posts_quota.total - posts_quota.used,
                "reply": replies_quota.total - replies_quota.used}
        published: list[PublishedPart] = []
        target = reply_target(request)
        previous: PublishedPart | None = (
            PublishedPart(index=-1, remote_id=target.remote_id) if target else None)
        for index, text in enumerate(texts):
            if index in done:
                previous = done[index]
                published.append(previous)
                continue
            kind = "reply" if previous is not None else "post"
            if left[kind] <= 0:
                quota = replies_quota if kind == "reply" else posts_quota
                raise quota_spent_error(
                    self.name, kind, quota,
                    self._oldest_in_window("replies" if kind == "reply" else "threads",
                                           quota.duration_s))
            params = self._post_container(request, text, index)
            if previous is not None:
                params["reply_to_id"] = previous.remote_id
            container = self._container(params)
            media_id = publish_container(self.api, f"/{self.user}/threads_publish", container,
                                         permission=_REPLIES if kind == "reply" else _PUBLISH)
            left[kind] -= 1
            extra: dict[str, Any] = {"container_id": container}
            if index >= len(request.parts):
                extra["first_comment"] = True
            previous = PublishedPart(index=index, remote_id=media_id,
                                     url=self._permalink(media_id), extra=extra)
            on_part(previous)
            published.append(previous)
        return PublishResult(parts=published)

    def find_by_idempotency_key(self, request: PublishRequest) -> list[PublishedPart] | None:
        """Find parts an unconfirmed send created, by text, among recent posts and replies.

        The first part is matched among the profile's posts, later parts among
        its replies to the part before. ``request.options["not_before"]`` (the
        first attempt's start) keeps an older twin — a recurring post — out.
        """
        not_before = parse_timestamp(request.options.get("not_before"))
        fields = "id,text,timestamp,permalink,replied_to"
        found: list[PublishedPart] = []
        replies: list[dict[str, Any]] | None = None
        target = reply_target(request)
        for index, text in enumerate(self._texts(request)):
            if index == 0 and target is None:
                items = self.api.get(f"/{self.user}/threads", fields=fields,
                                     limit=_SCAN_LIMIT).get("data") or []
                match = match_recent(items, text_field="text", text=text,
                                     time_field="timestamp", not_before=not_before)
            else:
                if replies is None:
                    replies = self.api.get(f"/{self.user}/replies", fields=fields,
                                           limit=_SCAN_LIMIT).get("data") or []
                match = match_recent(replies, text_field="text", text=text,
                                     time_field="timestamp", not_before=not_before,
                                     parent=lambda i: (i.get("replied_to") or {}).get("id"),
                                     parent_id=found[-1].remote_id if found
                                     else target.remote_id if target else None)
            if match is None:
                break
            extra = {"first_comment": True} if index >= len(request.parts) else {}
            found.append(PublishedPart(index=index, remote_id=str(match["id"]),
                                       url=match.get("permalink"), extra=extra))
        return found or None

    def fetch_inbox(self, cursor: dict[str, Any], *, limit: int = 100) -> InboxPage:
        """Replies (at every depth) to the newest posts (``meta.inbox``), oldest first."""
        return scan_comments(cursor, limit=limit, recent_posts=self._recent_posts,
                             comments=self._conversation)

    def _recent_posts(self) -> list[tuple[str, int | None]]:
        rows = self.api.request("GET", f"/{self.user}/threads", permission=_READ_REPLIES,
                                params={"fields": "id,timestamp",
                                        "limit": RECENT_POSTS}).get("data") or []
        return [(str(r["id"]), None) for r in rows if isinstance(r, dict) and r.get("id")]

    def _conversation(self, post_id: str, after: str | None, floor: datetime | None,
                      limit: int) -> CommentPage:
        params: dict[str, Any] = {"fields": _CONVERSATION_FIELDS, "reverse": "true",
                                  "limit": min(limit, 100)}
        if after:
            params["after"] = after
        answer = self.api.request("GET", f"/{post_id}/conversation", permission=_READ_REPLIES,
                                  params=params)
        rows = [r for r in answer.get("data") or [] if isinstance(r, dict) and r.get("id")]
        mine = self.account.handle.lstrip("@").casefold()
        items = [self._inbox_item(r, post_id) for r in rows
                 if not r.get("is_reply_owned_by_me")
                 and str(r.get("username") or "").casefold() != mine]
        return CommentPage(items=items, after=next_after(answer),
                           oldest=oldest_of(rows, "timestamp"))

    @staticmethod
    def _inbox_item(row: dict[str, Any], post_id: str) -> RemoteInboxItem:
        parent = str((row.get("replied_to") or {}).get("id") or "") or post_id
        return RemoteInboxItem(
            remote_id=str(row["id"]), kind="reply",
            author_handle=str(row.get("username") or "someone"), text=str(row.get("text") or ""),
            received_at=graph_time(row.get("timestamp")), url=row.get("permalink"),
            parent_id=parent,
            conversation_id=str((row.get("root_post") or {}).get("id") or post_id))

    def delete(self, remote_id: str) -> None:
        """Delete a Threads post; one that is already gone counts as deleted."""
        try:
            self.api.request("DELETE", f"/{remote_id}")
        except InvalidContentError as exc:
            if exc.status not in (400, 404) or exc.code != "100":
                raise

    def refresh(self) -> Tokens:
        """Exchange the long-lived token for a new 60-day one (``th_refresh_token``).

        Meta refuses to refresh a token younger than 24 h; until then this
        returns the current tokens unchanged (no call is made).

        Raises:
            AuthRevokedError: the token expired or was revoked: reconnect.
            RetryLaterError: Threads could not be reached.
        """
        return refresh_long_lived(self, self._token_root, "th_refresh_token")

    def fetch_metrics(self, remote_ids: list[str]) -> dict[str, Metrics]:
        """Views, likes, replies, reposts, quotes and shares from the post's insights."""
        result: dict[str, Metrics] = {}
        for remote_id in remote_ids:
            try:
                values = insight_values(self.api.get(f"/{remote_id}/insights",
                                                     metric=_METRICS))
            except InvalidContentError:
                continue  # deleted, or not ours
            except AuthRevokedError:
                raise
            result[remote_id] = Metrics(
                impressions=values.get("views"), likes=values.get("likes"),
                replies=values.get("replies"), reposts=values.get("reposts"),
                quotes=values.get("quotes"), raw=dict(values))
        return result

    def fetch_account_metrics(self) -> AccountMetrics:
        """Followers from the profile's insights (``threads_insights`` ``followers_count``,
        a current total); Threads gives no following or post count: both absent."""
        values = insight_values(self.api.get(f"/{self.user}/threads_insights",
                                             metric="followers_count"))
        return AccountMetrics(followers=count_or_none(values.get("followers_count")),
                              raw=dict(values))

    def close(self) -> None:
        """Close the HTTP connections."""
        self.api.close()
