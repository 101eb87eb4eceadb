"""The Facebook Pages adapter: feed posts with links and photos, first comment, page tokens.

Facts it relies on (PLATFORMS.md §2.7): a Page publishes with a *Page* access
token, read from ``GET /me/accounts`` with the user's long-lived token (the
short-lived one from the login is exchanged with ``fb_exchange_token``). A
Page token obtained that way does not expire, and there is no refresh grant:
a token error always means "reconnect". Text and links go to
``POST /{page}/feed``; one photo to ``POST /{page}/photos``; several photos
are uploaded unpublished and attached with ``attached_media``. The first
comment is ``POST /{post}/comments``.

The inbox (``meta.inbox``) reads the comments on the Page's 25 newest posts,
``GET /{post}/comments`` with ``filter=stream`` (replies to comments too, each with
its ``parent``), ``order=reverse_chronological`` and ``since``; a reply is a comment
on the comment answered (``POST /{comment}/comments``), under its top-level
comment when it answers a reply, as Facebook nests comments two levels deep.

Facebook has no idempotency key: ``find_by_idempotency_key`` looks the post
up among the Page's recent published posts by its message.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, ClassVar

from socialhub.errors import ValidationError
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
from socialhub.platforms.errors import (
    AuthRevokedError,
    InvalidContentError,
    OutcomeUnknownError,
    RetryLaterError,
)
from socialhub.platforms.facebook.spec import SPEC
from socialhub.platforms.meta.graph import (
    GraphApi,
    create_post,
    match_recent,
)
from socialhub.platforms.meta.inbox import (
    RECENT_POSTS,
    CommentPage,
    comment_to_answer,
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
    token_call,
)
from socialhub.platforms.timestamps import parse_timestamp

API_URL = "https://graph.facebook.com/v25.0"
AUTHORIZE_URL = "https://www.facebook.com/v25.0/dialog/oauth"
SCOPES: tuple[str, ...] = ("pages_show_list", "pages_manage_posts", "pages_read_engagement",
                           "pages_manage_engagement")
RECONNECT = "reconnect the Page: socialhub accounts connect facebook"
# Graph /photos: JPEG, PNG, GIF, BMP, TIFF up to 4 MB (PNG ideally under 1 MB).
MEDIA_RULES = MediaRules(platform="facebook",
                         image_mimes=("image/jpeg", "image/png", "image/gif", "image/bmp",
                                      "image/tiff"),
                         video_mimes=(), image_max_bytes=4_000_000, video_max_bytes=None,
                         needs_url=False)
MAX_PHOTOS = 10  # attached_media: Meta gives no number; more than 10 is refused in practice
_PUBLISH, _ENGAGE = "pages_manage_posts", "pages_manage_engagement"
_METRIC_FIELDS = "reactions.summary(total_count).limit(0),comments.summary(true).limit(0),shares"
_SCAN_LIMIT = 50
_COMMENT_FIELDS = "id,from,message,created_time,parent,permalink_url"


class FacebookAdapter(PlatformAdapter):
    """Publishes to one Facebook Page; ``external_id`` is the Page id, the token its Page token."""

    name: ClassVar[str] = "facebook"
    capabilities: ClassVar[Capabilities] = Capabilities(
        threads=False, media=True, alt_text=True, first_comment=True, delete=True,
        metrics=True, refresh=False, idempotency=False, lookup=True, text_only=True)

    def __init__(self, account: AccountInfo, tokens: Tokens, *,
                 on_tokens: TokensCallback | None = None, timeout_s: float = 30.0,
                 app: AppCredentials | None = None) -> None:
        super().__init__(account, tokens, on_tokens=on_tokens, timeout_s=timeout_s, app=app)
        self.api = GraphApi(self.name, (account.base_url or API_URL).rstrip("/"),
                            timeout_s=timeout_s, token=lambda: self.tokens.access_token,
                            refreshable=False, reconnect_hint=RECONNECT)
        page = account.external_id or account.settings.get("page_id") \
            or tokens.extra.get("page_id")
        if not page:
            raise AuthRevokedError(f"facebook account {account.handle} has no Page id",
                                   hint=RECONNECT)
        self.page = str(page)

    # -- connecting ---------------------------------------------------------------------
    @classmethod
    def oauth_spec(cls, base_url: str | None = None) -> OAuthSpec:
        """Facebook Login: comma-separated permissions, secret in the form body."""
        root = (base_url or API_URL).rstrip("/")
        return OAuthSpec(authorize_url=f"{root}/dialog/oauth" if base_url else AUTHORIZE_URL,
                         token_url=f"{root}/oauth/access_token", scopes=SCOPES,
                         scope_separator=",", pkce=False, client_auth="body")

    @classmethod
    def list_pages(cls, user_token: str, *, base_url: str | None = None,
                   timeout_s: float = 30.0) -> list[dict[str, Any]]:
        """The Pages the user manages: ``[{"id", "name", "access_token", "tasks"}]``."""
        api = GraphApi(cls.name, (base_url or API_URL).rstrip("/"), timeout_s=timeout_s,
                       token=lambda: user_token, refreshable=False, reconnect_hint=RECONNECT)
        try:
            pages = api.get("/me/accounts", fields="id,name,access_token,tasks",
                            limit=100).get("data") or []
        finally:
            api.close()
        return [p for p in pages if isinstance(p, dict) and p.get("access_token")]

    @classmethod
    def finish_connect(cls, token_response: dict[str, Any], *, app: AppCredentials,
                       base_url: str | None = None, timeout_s: float = 30.0
                       ) -> tuple[ConnectedProfile, Tokens]:
        """Exchange for a long-lived user token, then take the chosen Page's token.

        The Page is ``token_response["page"]`` (its id or name, as the connect
        command's ``--page`` gives it); with none given, the user's only Page.

        Raises:
            ValidationError: several Pages and none chosen, or the chosen one is
                not among them (the message lists them).
            AuthRevokedError: the exchange was refused, or the user manages no Page.
        """
        root = (base_url or API_URL).rstrip("/")
        long = token_call(cls.name, f"{root}/oauth/access_token", {
            "grant_type": "fb_exchange_token", "client_id": app.client_id or "",
            "client_secret": app.client_secret or "",
            "fb_exchange_token": str(token_response.get("access_token") or "")},
            timeout_s=timeout_s)
        user_token = str(long["access_token"])
        pages = cls.list_pages(user_token, base_url=base_url, timeout_s=timeout_s)
        if not pages:
            raise AuthRevokedError("facebook: this login manages no Page (or pages_show_list "
                                   "was not granted)", hint=RECONNECT)
        wanted = str(token_response.get("page") or "").strip()
        if wanted:
            chosen = [p for p in pages if wanted in (str(p["id"]), )
                      or str(p.get("name", "")).casefold() == wanted.casefold()]
        else:
            chosen = pages if len(pages) == 1 else []
        if len(chosen) != 1:
            names = ", ".join(f"{p.get('name')} ({p['id']})" for p in pages)
            what = f"no Page named {wanted!r}" if wanted else "several Pages"
            raise ValidationError(f"facebook: {what}; this login manages: {names}. Choose "
                                  "one with --page NAME (connect again once per Page)")
        page = chosen[0]
        api = GraphApi(cls.name, root, timeout_s=timeout_s, token=lambda: user_token,
                       refreshable=False)
        try:
            granted = [str(p["permission"]) for p in api.get("/me/permissions").get("data") or []
                       if p.get("status") == "granted"]
        except (RetryLaterError, InvalidContentError):
            granted = list(SCOPES)
        finally:
            api.close()
        tokens = Tokens(access_token=str(page["access_token"]), scopes=granted,
                        extra={"page_id": str(page["id"])})
        return ConnectedProfile(handle=str(page.get("name") or page["id"]),
                                external_id=str(page["id"]), display_name=page.get("name"),
                                settings={"page_id": str(page["id"]),
                                          "page_name": page.get("name")}), tokens

    # -- helpers ----------------------------------------------------------------------------
    def _photo_fields(self, item: MediaItem) -> tuple[dict[str, Any], dict[str, Any]]:
        data: dict[str, Any] = {"alt_text_custom": item.alt_text}
        files: dict[str, Any] = {}
        if item.url:
            data["url"] = item.url
        elif item.path is not None:
            try:
                files["source"] = (item.path.name, item.path.read_bytes(),
                                   item.mime or "application/octet-stream")
            except OSError as exc:
                raise InvalidContentError(f"facebook: cannot read {item.path}: "
                                          f"{exc.strerror}") from None
        return data, files

    def _post(self, request: PublishRequest) -> dict[str, Any]:
        message = request.parts[0] if request.parts else ""
        link = request.options.get("link")
        if len(request.media) == 1:
            data, files = self._photo_fields(request.media[0])
            data["caption"] = message or None
            answer = create_post(self.api, f"/{self.page}/photos", data, permission=_PUBLISH,
                                 **({"files": files} if files else {}))
            return {"id": answer.get("post_id") or answer["id"], "photo_id": answer["id"]}
        attached: list[dict[str, str]] = []
        for item in request.media:
            data, files = self._photo_fields(item)
            data["published"] = "false"
            try:  # an unpublished photo nobody sees: a lost answer is an ordinary retry
                answer = self.api.post(f"/{self.page}/photos", data, permission=_PUBLISH,
                                       **({"files": files} if files else {}))
            except OutcomeUnknownError as exc:
                raise RetryLaterError(exc.message, status=exc.status) from None
            attached.append({"media_fbid": str(answer["id"])})
        body: dict[str, Any] = {"message": message or None, "link": link}
        if attached:
            body["attached_media"] = json.dumps(attached)
        return create_post(self.api, f"/{self.page}/feed", body, permission=_PUBLISH)

    def _permalink(self, post_id: str) -> str | None:
        try:
            return self.api.get(f"/{post_id}", fields="permalink_url").get("permalink_url")
        except (RetryLaterError, InvalidContentError):
            return None

    # -- the interface ----------------------------------------------------------------------
    def validate(self, request: PublishRequest) -> list[str]:
        """One post (no threads), ≤63,206 characters, photos only (≤10, ≤4 MB each)."""
        from socialhub.core.text import measure

        problems: list[str] = []
        if len(request.parts) > 1:
            problems.append(f"facebook has no threads: {len(request.parts)} parts; publish "
                            "one post (use a first comment for more)")
        texts = [("post", request.parts[0] if request.parts else "")]
        if request.first_comment:
            texts.append(("first comment", request.first_comment))
        for what, text in texts:
            if what == "post" and not text.strip() and (request.media
                                                         or request.options.get("link")):
                continue
            problems.extend(f"{what}: {p}" for p in measure(text, SPEC.text_rules).problems)
        if len(request.media) > MAX_PHOTOS:
            problems.append(f"{len(request.media)} photos; socialhub attaches at most "
                            f"{MAX_PHOTOS} to a Page post: remove "
                            f"{len(request.media) - MAX_PHOTOS}")
        for item in request.media:
            if media_kind(item) == "video":
                problems.append(f"{item.path.name if item.path else item.url}: video posts to "
                                "Pages are not supported yet; post photos or a link")
                continue
            problems.extend(media_problems(item, MEDIA_RULES))
            if item.path is None and not item.url:
                problems.append("a media item has neither a file nor a URL")
        return problems

    def publish(self, request: PublishRequest, on_part: PartCallback) -> PublishResult:
        """Publish the Page post (feed, photo or multi-photo), then the first comment."""
        done = {p.index: p for p in request.already_published}
        target = reply_target(request)
        if target is not None:
            return PublishResult(parts=[done.get(0) or self._reply(request, on_part)])
        post = done.get(0)
        if post is None:
            answer = self._post(request)
            post_id = str(answer["id"])
            extra = {"photo_id": answer["photo_id"]} if "photo_id" in answer else {}
            post = PublishedPart(index=0, remote_id=post_id, url=self._permalink(post_id),
                                 extra=extra)
            on_part(post)
        parts = [post]
        if request.first_comment:
            comment = done.get(1)
            if comment is None:
                answer = create_post(self.api, f"/{post.remote_id}/comments",
                                     {"message": request.first_comment}, permission=_ENGAGE)
                comment = PublishedPart(index=1, remote_id=str(answer["id"]),
                                        extra={"first_comment": True})
                on_part(comment)
            parts.append(comment)
        return PublishResult(parts=parts)

    def _reply(self, request: PublishRequest, on_part: PartCallback) -> PublishedPart:
        """A comment on the comment answered (its top-level comment when it is a reply)."""
        on = comment_to_answer(request)
        answer = create_post(self.api, f"/{on}/comments",
                             {"message": request.parts[0] if request.parts else ""},
                             permission=_ENGAGE)
        part = PublishedPart(index=0, remote_id=str(answer["id"]),
                             url=f"https://www.facebook.com/{answer['id']}",
                             extra={"reply_to": on})
        on_part(part)
        return part

    def fetch_inbox(self, cursor: dict[str, Any], *, limit: int = 100) -> InboxPage:
        """Comments and replies to comments on the Page's newest posts (``meta.inbox``)."""
        return scan_comments(cursor, limit=limit, recent_posts=self._recent_posts,
                             comments=self._comments)

    def _recent_posts(self) -> list[tuple[str, int | None]]:
        rows = self.api.request("GET", f"/{self.page}/published_posts", permission=_ENGAGE,
                                params={"fields": "id,created_time",
                                        "limit": RECENT_POSTS}).get("data") or []
        return [(str(r["id"]), None) for r in rows if isinstance(r, dict) and r.get("id")]

    def _comments(self, post_id: str, after: str | None, floor: datetime | None,
                  limit: int) -> CommentPage:
        params: dict[str, Any] = {"fields": _COMMENT_FIELDS, "filter": "stream",
                                  "order": "reverse_chronological", "limit": min(limit, 100)}
        if floor is not None:
            params["since"] = int(floor.timestamp())
        if after:
            params["after"] = after
        answer = self.api.request("GET", f"/{post_id}/comments", permission=_ENGAGE,
                                  params=params)
        rows = [r for r in answer.get("data") or [] if isinstance(r, dict) and r.get("id")]
        items = [self._inbox_item(r, post_id) for r in rows
                 if str((r.get("from") or {}).get("id") or "") != self.page]
        return CommentPage(items=items, after=next_after(answer),
                           oldest=oldest_of(rows, "created_time"))

    @staticmethod
    def _inbox_item(row: dict[str, Any], post_id: str) -> RemoteInboxItem:
        author = row.get("from") or {}
        parent = str((row.get("parent") or {}).get("id") or "") or None
        name = author.get("name")
        return RemoteInboxItem(
            remote_id=str(row["id"]), kind="reply" if parent else "comment",
            # Graph shows a commenter's name and id only to the Page (no handle exists)
            author_handle=str(name or author.get("id") or "someone"), author_name=name,
            text=str(row.get("message") or ""), received_at=graph_time(row.get("created_time")),
            url=row.get("permalink_url"), parent_id=parent or post_id, conversation_id=post_id,
            context={"reply_root": parent or str(row["id"]), "post_id": post_id})

    def find_by_idempotency_key(self, request: PublishRequest) -> list[PublishedPart] | None:
        """Find the post among the Page's recent published posts by message (then its comment);
        a reply among the Page's comments under the comment it answers.

        ``request.options["not_before"]`` keeps an older post with the same text out.
        """
        not_before = parse_timestamp(request.options.get("not_before"))
        if reply_target(request) is not None:
            on = comment_to_answer(request)
            comments = self.api.get(f"/{on}/comments", fields="id,message,created_time,from",
                                    order="reverse_chronological",
                                    limit=_SCAN_LIMIT).get("data") or []
            mine = [c for c in comments if (c.get("from") or {}).get("id") == self.page]
            hit = match_recent(mine, text_field="message",
                               text=request.parts[0] if request.parts else "",
                               time_field="created_time", not_before=not_before)
            return None if hit is None else [PublishedPart(
                index=0, remote_id=str(hit["id"]), url=f"https://www.facebook.com/{hit['id']}",
                extra={"reply_to": on})]
        items = self.api.get(f"/{self.page}/published_posts",
                             fields="id,message,created_time,permalink_url",
                             limit=_SCAN_LIMIT).get("data") or []
        match = match_recent(items, text_field="message",
                             text=request.parts[0] if request.parts else "",
                             time_field="created_time", not_before=not_before)
        if match is None:
            return None
        found = [PublishedPart(index=0, remote_id=str(match["id"]),
                               url=match.get("permalink_url"))]
        if request.first_comment:
            comments = self.api.get(f"/{match['id']}/comments",
                                    fields="id,message,created_time,from",
                                    limit=_SCAN_LIMIT).get("data") or []
            mine = [c for c in comments if (c.get("from") or {}).get("id") == self.page]
            hit = match_recent(mine, text_field="message", text=request.first_comment,
                               time_field="created_time", not_before=not_before)
            if hit is not None:
                found.append(PublishedPart(index=1, remote_id=str(hit["id"]),
                                           extra={"first_comment": True}))
        return found

    def delete(self, remote_id: str) -> None:
        """Delete a Page post; one that is already gone counts as deleted."""
        try:
            self.api.request("DELETE", f"/{remote_id}", permission=_PUBLISH)
        except InvalidContentError as exc:
            if exc.code != "100":
                raise

    def refresh(self) -> Tokens:
        """Page tokens have no refresh grant: always AuthRevokedError (reconnect)."""
        raise AuthRevokedError("facebook: Page tokens cannot be refreshed", hint=RECONNECT)

    def fetch_metrics(self, remote_ids: list[str]) -> dict[str, Metrics]:
        """Reactions (as likes), comments (as replies) and shares (as reposts)."""
        result: dict[str, Metrics] = {}
        for remote_id in remote_ids:
            try:
                data = self.api.get(f"/{remote_id}", fields=_METRIC_FIELDS)
            except InvalidContentError:
                continue
            reactions = ((data.get("reactions") or {}).get("summary") or {}).get("total_count")
            comments = ((data.get("comments") or {}).get("summary") or {}).get("total_count")
            shares = (data.get("shares") or {}).get("count", 0)
            result[remote_id] = Metrics(likes=reactions, replies=comments, reposts=shares,
                                        raw={"reactions": reactions, "comments": comments,
                                             "shares": shares})
        return result

    def fetch_account_metrics(self) -> AccountMetrics:
        """The Page's followers (``followers_count``; ``fan_count``, its likes, is kept
        in the raw answer). A Page follows no one and has no post count: both absent."""
        data = self.api.get(f"/{self.page}", fields="followers_count,fan_count")
        return AccountMetrics(followers=count_or_none(data.get("followers_count")),
                              raw={k: v for k, v in data.items() if k != "id"})

    def close(self) -> None:
        """Close the HTTP connections."""
        self.api.close()
