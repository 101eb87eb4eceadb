"""The X adapter (API v2): posts, reply-chain threads, media with alt text, OAuth 2.0 PKCE.

Facts it relies on (PLATFORMS.md §1, §2.1): ``POST /2/tweets`` creates a post
(``reply.in_reply_to_tweet_id`` chains a thread, ``media.media_ids`` takes
1–4 ids); media go up through ``POST /2/media/upload`` — one multipart call
for an image, INIT/APPEND/FINALIZE (+ ``STATUS`` polling) for video and GIF —
and alt text through ``POST /2/media/metadata`` (``media``, which also checks
the files against X's media rules). Text is counted by
twitter-text's weighted rule (``core.text.measure(…, SPEC.text_rules)``).

Access tokens last 2 h; ``offline.access`` yields a refresh token that is
single-use: each refresh returns a new one and the old one stops working, so
the new pair is persisted through ``on_tokens`` before anything else happens.
Rate limits come as ``x-rate-limit-*`` headers (reset = Unix seconds) with a
429; errors are RFC 7807 problems (``type`` ``…/2/problems/usage-capped`` …),
mapped by ``api``, and a 200 may carry ``errors`` beside (or instead of) ``data``.

X has no idempotency key, so an unconfirmed send is looked up among the
user's recent posts (``GET /2/users/:id/tweets``) by text and reply chain.
"""

from __future__ import annotations

import functools
import html
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
from socialhub.platforms.http import get_json, make_client, raise_for_response, send
from socialhub.platforms.timestamps import parse_timestamp
from socialhub.platforms.x.api import raise_for_x, response_json
from socialhub.platforms.x.media import upload_media, x_media_problems
from socialhub.platforms.x.snowflake import posted_at
from socialhub.platforms.x.spec import SPEC

API_BASE = "https://api.x.com"
AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
SCOPES = ("tweet.read", "tweet.write", "users.read", "media.write", "offline.access")
_SCAN_LIMIT = 100  # max_results of GET /2/users/:id/tweets
_TWEET_FIELDS = "created_at,referenced_tweets,entities,conversation_id"
_MENTION_FIELDS = "created_at,referenced_tweets,entities,conversation_id,author_id"
#: X gives a post's private metrics (``non_public_metrics``, ``organic_metrics``: link
#: clicks, profile visits) to its author's user-context token for this long only.
PRIVATE_METRICS_DAYS = 30
_PUBLIC_FIELDS = "public_metrics"
_PRIVATE_FIELDS = "public_metrics,non_public_metrics,organic_metrics"


def oauth_urls(base_url: str | None) -> tuple[str, str]:
    """(authorize URL, token URL), against ``base_url`` when a fake or proxy stands in."""
    if base_url:
        root = base_url.rstrip("/")
        return f"{root}/i/oauth2/authorize", f"{root}/2/oauth2/token"
    return AUTHORIZE_URL, f"{API_BASE}/2/oauth2/token"


def tokens_from(body: dict[str, Any], *, now: datetime | None = None) -> Tokens:
    """Tokens from an X token-endpoint answer (``expires_in`` seconds, ``scope`` words)."""
    now = now or datetime.now(UTC)
    expires_in = body.get("expires_in")
    return Tokens(access_token=body.get("access_token"), refresh_token=body.get("refresh_token"),
                  expires_at=now + timedelta(seconds=int(expires_in)) if expires_in else None,
                  scopes=str(body.get("scope") or "").split())


def plain_text(tweet: dict[str, Any]) -> str:
    """A post's text as we sent it: t.co links expanded, media links dropped, HTML unescaped."""
    text = str(tweet.get("text") or "")
    for url in (tweet.get("entities") or {}).get("urls") or []:
        short = url.get("url")
        if not short:
            continue
        is_media = url.get("media_key") or str(url.get("display_url", "")).startswith("pic.")
        text = text.replace(short, "" if is_media else str(url.get("expanded_url") or short))
    return " ".join(html.unescape(text).split())


class XAdapter(PlatformAdapter):
    """Publishes to one X account with an OAuth 2.0 user-context token."""

    name: ClassVar[str] = "x"
    capabilities: ClassVar[Capabilities] = Capabilities(
        threads=True, media=True, alt_text=True, first_comment=True, delete=True,
        metrics=True, refresh=True, idempotency=False, lookup=True)

    def __init__(self, account: AccountInfo, tokens: Tokens, *,
                 on_tokens: TokensCallback | None = None, timeout_s: float = 30.0,
                 app: AppCredentials | None = None) -> None:
        super().__init__(account, tokens, on_tokens=on_tokens, timeout_s=timeout_s, app=app)
        self._base_url = (account.base_url or API_BASE).rstrip("/")
        self._client = make_client(self._base_url, timeout_s=timeout_s)
        self._user_id = account.external_id
        self.media_poll_s = 1.0  # the floor under X's check_after_secs, tests lower it
        self.chunk_bytes = 4 * 1024 * 1024  # APPEND segment size (X takes up to 5 MB)

    # -- OAuth ------------------------------------------------------------------
    @classmethod
    def oauth_spec(cls, base_url: str | None = None) -> OAuthSpec:
        """Authorization code + PKCE (S256); confidential clients authenticate with HTTP Basic."""
        authorize, token = oauth_urls(base_url)
        return OAuthSpec(authorize_url=authorize, token_url=token, scopes=SCOPES,
                         pkce=True, client_auth="basic")

    @classmethod
    def finish_connect(cls, token_response: dict[str, Any], *, app: AppCredentials,
                       base_url: str | None = None, timeout_s: float = 30.0
                       ) -> tuple[ConnectedProfile, Tokens]:
        """Read ``GET /2/users/me`` with the new token: @username, user id, display name."""
        tokens = tokens_from(token_response)
        data = get_json(base_url or API_BASE, "/2/users/me", access_token=tokens.access_token,
                        platform=cls.name, timeout_s=timeout_s).get("data") or {}
        if not data.get("id"):
            raise AuthRevokedError("x: /2/users/me did not say who this token belongs to")
        profile = ConnectedProfile(handle=f"@{data.get('username') or data['id']}",
                                   external_id=str(data["id"]), display_name=data.get("name"),
                                   base_url=base_url)
        return profile, tokens

    def refresh(self) -> Tokens:
        """Trade the single-use refresh token for a new pair, persisted before returning.

        Raises:
            AuthRevokedError: no refresh token (connected without ``offline.access``),
                or X refused it (already used, revoked): the account must reconnect.
            RetryLaterError: X could not be reached or failed; the old token is untouched.
        """
        if not self.tokens.refresh_token:
            raise AuthRevokedError("x: this account has no refresh token (it was connected "
                                   "without offline.access)",
                                   hint="reconnect it: socialhub accounts connect x")
        _, token_url = oauth_urls(self.account.base_url)
        form = {"grant_type": "refresh_token", "refresh_token": self.tokens.refresh_token,
                "client_id": self.app.client_id or ""}
        auth = ((self.app.client_id or "", self.app.client_secret)
                if self.app.client_secret else None)
        try:
            response = send(self._client, "POST", token_url, platform=self.name, data=form,
                            auth=auth)
        except OutcomeUnknownError as exc:
            # The old refresh token may now be spent; nothing better than retrying exists.
            raise RetryLaterError(exc.message) from None
        if response.status_code in (400, 401):
            raise AuthRevokedError(f"x: the refresh token was refused (HTTP "
                                   f"{response.status_code}); it was used already or revoked",
                                   status=response.status_code,
                                   hint="reconnect it: socialhub accounts connect x")
        raise_for_response(response, platform=self.name)
        new = tokens_from(response.json())
        if not new.access_token:
            raise RetryLaterError("x: the token endpoint answered without an access token")
        new.refresh_token = new.refresh_token or self.tokens.refresh_token
        new.scopes = new.scopes or list(self.tokens.scopes)
        if self.on_tokens is not None:
            self.on_tokens(new)  # before anything can fail: the old refresh token is spent
        self.tokens = new
        return new

    # -- HTTP -------------------------------------------------------------------
    def _call(self, method: str, path: str, *, need: str = "read", **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens.access_token or ''}"}
        headers.update(kw.pop("headers", {}))
        response = send(self._client, method, path, platform=self.name, headers=headers, **kw)
        if response.status_code >= 400:
            raise_for_x(response, need=need, scopes=self.tokens.scopes)
        return response

    def _me(self) -> str:
        if self._user_id is None:
            data = self._call("GET", "/2/users/me").json().get("data") or {}
            self._user_id = str(data["id"])
        return self._user_id

    # -- the interface ----------------------------------------------------------
    def validate(self, request: PublishRequest) -> list[str]:
        """Weighted length per part, and X's media rules (count, mix, size, duration, alt)."""
        from socialhub.core.text import measure

        problems: list[str] = []
        if not request.parts:
            problems.append("nothing to publish: no parts")
        for index, text in enumerate(_texts(request)):
            what = "first comment" if index >= len(request.parts) else f"part {index + 1}"
            if index == 0 and request.media and not text.strip():
                continue  # media carries the post
            problems.extend(f"{what}: {p}" for p in measure(text, SPEC.text_rules).problems)
        problems.extend(x_media_problems(request.media))
        return problems

    def publish(self, request: PublishRequest, on_part: PartCallback) -> PublishResult:
        """Publish each part not yet published, each replying to the one before."""
        done = {p.index: p for p in request.already_published}
        published: list[PublishedPart] = []
        target = reply_target(request)
        previous: PublishedPart | None = (
            PublishedPart(index=-1, remote_id=target.remote_id) if target else None)
        for index, text in enumerate(_texts(request)):
            if index in done:
                previous = done[index]
                published.append(previous)
                continue
            body: dict[str, Any] = {"text": text}
            if previous is not None:
                body["reply"] = {"in_reply_to_tweet_id": previous.remote_id}
            if index == 0 and request.media:
                body["media"] = {"media_ids": self._upload_all(request)}
            if request.options.get("reply_settings") and index == 0:
                body["reply_settings"] = request.options["reply_settings"]
            response = self._call("POST", "/2/tweets", need="tweet", json=body)
            data = (response_json(response) or {}).get("data") or {}
            if not data.get("id"):
                # A 2xx with only ``errors``: X refused the post without an error status.
                raise InvalidContentError(f"x: the post was not created: "
                                          f"{_first_error(response) or 'no id returned'}",
                                          status=response.status_code)
            previous = self._part(index, str(data["id"]), comment=index >= len(request.parts))
            on_part(previous)
            published.append(previous)
        return PublishResult(parts=published)

    def _upload_all(self, request: PublishRequest) -> list[str]:
        # An upload whose answer was lost leaves at most an unused media id, never a post.
        try:
            call = functools.partial(self._call, need="media")
            return [upload_media(call, item, chunk_bytes=self.chunk_bytes,
                                 poll_s=self.media_poll_s, timeout_s=self.timeout_s)
                    for item in request.media]
        except OutcomeUnknownError as exc:
            raise RetryLaterError(exc.message, status=exc.status) from None

    def _part(self, index: int, tweet_id: str, *, comment: bool) -> PublishedPart:
        handle = self.account.handle.lstrip("@") or "i"
        extra: dict[str, Any] = {"first_comment": True} if comment else {}
        return PublishedPart(index=index, remote_id=tweet_id,
                             url=f"https://x.com/{handle}/status/{tweet_id}", extra=extra)

    def find_by_idempotency_key(self, request: PublishRequest) -> list[PublishedPart] | None:
        """Find parts an unconfirmed send created among the user's recent posts.

        Matches, in order, a post with the part's text (t.co links expanded)
        replying to the previous part (the first part: replying to nothing),
        no older than ``request.options["not_before"]`` when given.
        """
        params = {"max_results": _SCAN_LIMIT, "tweet.fields": _TWEET_FIELDS,
                  "exclude": "retweets"}
        not_before = parse_timestamp(request.options.get("not_before"))
        if not_before is not None:
            params["start_time"] = not_before.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        tweets = self._call("GET", f"/2/users/{self._me()}/tweets",
                            params=params).json().get("data") or []
        found: list[PublishedPart] = []
        target = reply_target(request)
        parent: str | None = target.remote_id if target else None
        for index, text in enumerate(_texts(request)):
            wanted = " ".join(text.split())
            match = next((t for t in tweets if _replied_to(t) == parent
                          and plain_text(t) == wanted
                          and (not_before is None
                               or (parse_timestamp(t.get("created_at")) or not_before)
                               >= not_before)), None)
            if match is None:
                break
            found.append(self._part(index, str(match["id"]), comment=index >= len(request.parts)))
            parent = str(match["id"])
        return found or None

    def fetch_inbox(self, cursor: dict[str, Any], *, limit: int = 100) -> InboxPage:
        """New mentions from ``GET /2/users/:id/mentions``, oldest first.

        X lists newest first and pages backwards with ``next_token``; with
        ``since_id`` it stops at the last mention already stored. While paging,
        the cursor keeps the old ``since_id`` plus the page token and the newest id
        seen, and moves ``since_id`` forward only when the last page is read, so a
        sync cut short never leaves a gap. Replies mention their author, so they
        come too (``referenced_tweets`` tells a reply or a quote from a mention).
        """
        params: dict[str, Any] = {
            "max_results": max(5, min(limit, 100)), "tweet.fields": _MENTION_FIELDS,
            "expansions": "author_id", "user.fields": "username,name"}
        if cursor.get("since_id"):
            params["since_id"] = cursor["since_id"]
        if cursor.get("next_token"):
            params["pagination_token"] = cursor["next_token"]
        body = response_json(self._call("GET", f"/2/users/{self._me()}/mentions",
                                        params=params)) or {}
        users = {str(u.get("id")): u for u in (body.get("includes") or {}).get("users") or []}
        tweets = body.get("data") or []
        items = [self._inbox_item(t, users) for t in reversed(tweets)]
        meta = body.get("meta") or {}
        newest = cursor.get("newest") or meta.get("newest_id")
        if meta.get("next_token"):
            next_cursor = {"since_id": cursor.get("since_id"), "next_token": meta["next_token"],
                           "newest": newest}
            return InboxPage(items=items, cursor=next_cursor, more=True)
        return InboxPage(items=items, cursor={"since_id": newest or cursor.get("since_id")})

    def _inbox_item(self, tweet: dict[str, Any], users: dict[str, Any]) -> RemoteInboxItem:
        author = users.get(str(tweet.get("author_id"))) or {}
        handle = str(author.get("username") or tweet.get("author_id") or "?")
        refs = {str(r.get("type")): str(r.get("id")) for r in tweet.get("referenced_tweets") or []}
        kind = "reply" if "replied_to" in refs else "quote" if "quoted" in refs else "mention"
        return RemoteInboxItem(
            remote_id=str(tweet["id"]), kind=kind, author_handle=handle,
            author_name=author.get("name"), text=plain_text(tweet),
            received_at=parse_timestamp(tweet.get("created_at")) or datetime.now(UTC),
            url=f"https://x.com/{handle}/status/{tweet['id']}",
            parent_id=refs.get("replied_to") or refs.get("quoted"),
            conversation_id=str(tweet.get("conversation_id") or tweet["id"]))

    def delete(self, remote_id: str) -> None:
        """Delete a post; one that is already gone counts as deleted."""
        try:
            self._call("DELETE", f"/2/tweets/{remote_id}", need="tweet")
        except InvalidContentError as exc:
            if exc.status != 404:
                raise

    def fetch_metrics(self, remote_ids: list[str]) -> dict[str, Metrics]:
        """Public metrics per post, plus its private ones (link clicks, profile visits)
        while it is younger than ``PRIVATE_METRICS_DAYS``; a deleted post (200 with
        only ``errors``) is left out. An older post's private metrics are absent."""
        result: dict[str, Metrics] = {}
        young_after = datetime.now(UTC) - timedelta(days=PRIVATE_METRICS_DAYS)
        for remote_id in remote_ids:
            created = posted_at(remote_id)
            private = created is not None and created > young_after
            data = self._metrics_of(remote_id, private=private)
            if data is None and private:
                data = self._metrics_of(remote_id, private=False)
            if data:
                result[remote_id] = _metrics(data)
        return result

    def _metrics_of(self, remote_id: str, *, private: bool) -> dict[str, Any] | None:
        """The post's data with its metric fields; None when gone (or, asking for private
        metrics, refused: the caller asks again without them)."""
        try:
            response = self._call("GET", f"/2/tweets/{remote_id}", params={
                "tweet.fields": _PRIVATE_FIELDS if private else _PUBLIC_FIELDS})
        except InvalidContentError as exc:
            if exc.status == 404 or (private and exc.status in (400, 403)):
                return None
            raise
        data = (response_json(response) or {}).get("data")
        return data if isinstance(data, dict) and data else None

    def fetch_account_metrics(self) -> AccountMetrics:
        """Followers, following and posts from ``GET /2/users/me`` (``public_metrics``)."""
        data = response_json(self._call("GET", "/2/users/me", params={
            "user.fields": "public_metrics"})) or {}
        m = (data.get("data") or {}).get("public_metrics") or {}
        return AccountMetrics(followers=count_or_none(m.get("followers_count")),
                              following=count_or_none(m.get("following_count")),
                              posts=count_or_none(m.get("tweet_count")), raw=dict(m))

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()


def _metrics(data: dict[str, Any]) -> Metrics:
    """A post's counts: ``public_metrics``, with link clicks from ``non_public_metrics``
    (or ``organic_metrics``) when X gave them; the raw answer keeps all three
    (``user_profile_clicks`` has no column: it stays there)."""
    public = data.get("public_metrics") or {}
    private = data.get("non_public_metrics") or data.get("organic_metrics") or {}
    raw: dict[str, Any] = dict(public)
    for name in ("non_public_metrics", "organic_metrics"):
        if data.get(name):
            raw[name] = dict(data[name])
    return Metrics(
        impressions=count_or_none(public.get("impression_count")),
        likes=count_or_none(public.get("like_count")),
        replies=count_or_none(public.get("reply_count")),
        reposts=count_or_none(public.get("retweet_count", public.get("repost_count"))),
        quotes=count_or_none(public.get("quote_count")),
        saves=count_or_none(public.get("bookmark_count")),
        clicks=count_or_none(private.get("url_link_clicks")), raw=raw)


def _texts(request: PublishRequest) -> list[str]:
    return list(request.parts) + ([request.first_comment] if request.first_comment else [])


def _first_error(response: httpx.Response) -> str | None:
    body = response_json(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("detail") or errors[0].get("message") or errors[0])
    return None


def _replied_to(tweet: dict[str, Any]) -> str | None:
    for ref in tweet.get("referenced_tweets") or []:
        if ref.get("type") == "replied_to":
            return str(ref.get("id"))
    return None
