"""A fake X API v2 over real HTTP, following the documented contract (PLATFORMS.md §2.1).

What socialhub uses: the OAuth 2.0 token endpoint (authorization code and
refresh with single-use, rotating refresh tokens), ``/2/users/me``,
``POST /2/tweets`` (weighted length by twitter-text, reply chains, media ids,
403 on duplicate content), ``/2/media/upload`` (simple, and
INIT/APPEND/FINALIZE/STATUS with processing), ``/2/media/metadata`` (alt
text), tweet lookup with ``public_metrics`` (a deleted post is a 200 with only
``errors``), delete, the user timeline (text with t.co links and HTML
entities, as X renders it), ``x-rate-limit-*`` headers on every answer, 429s,
RFC 7807 problem bodies and the ``usage-capped`` problem.

This module holds ``FakeX``: its state, the controls tests drive, OAuth and the
routing; the tweet and media endpoints are in ``tests.fakes.x_endpoints`` and
the HTTP plumbing (``JsonFakeServer``, shared with LinkedIn) in
``tests.fakes.plumbing``.
"""

from __future__ import annotations

import base64
import itertools
import re
import secrets
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from socialhub.platforms.base import AccountInfo, AppCredentials, MediaItem, Tokens
from tests.fakes.consent import Consent
from tests.fakes.plumbing import JsonFakeServer, Reply, Request
from tests.fakes.x_endpoints import XEndpoints, problem

TWEPOCH_MS = 1_288_834_974_657
PNG_1x1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f0d6b60000000049454e44ae426082")


@dataclass
class XUser:
    id: str
    username: str
    name: str
    followers: int = 120
    following: int = 45
    tweets: int = 300


@dataclass
class Grant:
    user_id: str
    scopes: list[str]
    expires_at: float


class FakeX(XEndpoints, JsonFakeServer):
    """A local X API: ``start_fake()``, then ``account()`` for an adapter's credentials."""

    platform = "x"
    CLIENT_ID = "fake-x-client"
    CLIENT_SECRET = "fake-x-secret"

    def __init__(self, *, metrics_field: str = "retweet_count", processing_polls: int = 1) -> None:
        super().__init__()
        self.metrics_field = metrics_field
        self.processing_polls = processing_polls
        self.users: dict[str, XUser] = {}
        self.access: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.codes: dict[str, Grant] = {}
        self.tweets: dict[str, dict[str, Any]] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self.failures: list[tuple[int, bool]] = []
        self.rate_limited = 0
        self.rate_reset_in = 60
        self.usage_capped = False
        self._seq = itertools.count(1)
        self.consent = Consent(self.CLIENT_ID, pkce=True)

    # -- control ------------------------------------------------------------
    def next_id(self, at: datetime | None = None) -> str:
        """A snowflake id, as X makes them: the creation time (ms since X's epoch)
        shifted left 22 bits, then a sequence number."""
        when = int((at or datetime.now(UTC)).timestamp() * 1000) - TWEPOCH_MS
        return str((when << 22) | (next(self._seq) % (1 << 22)))

    def add_user(self, username: str = "shop", *, scopes: list[str] | None = None,
                 expires_in: float = 7200) -> tuple[XUser, Tokens]:
        """A user with a fresh access/refresh pair (all scopes unless told otherwise)."""
        with self.lock:
            user = XUser(self.next_id(), username, username.title())
            self.users[user.id] = user
            return user, self._issue(user.id, scopes or list(SCOPES_ALL), expires_in)

    def _issue(self, user_id: str, scopes: list[str], expires_in: float) -> Tokens:
        access, refresh = secrets.token_urlsafe(20), secrets.token_urlsafe(20)
        self.access[access] = Grant(user_id, scopes, time.time() + expires_in)
        if "offline.access" in scopes:
            self.refresh_tokens[refresh] = Grant(user_id, scopes, 0)
        return Tokens(access_token=access,
                      refresh_token=refresh if "offline.access" in scopes else None,
                      scopes=list(scopes))

    def add_code(self, user_id: str, scopes: list[str] | None = None) -> str:
        """An authorization code the token endpoint will exchange (the OAuth redirect's)."""
        code = secrets.token_urlsafe(12)
        with self.lock:
            self.codes[code] = Grant(user_id, scopes or list(SCOPES_ALL), 0)
        return code

    def account(self) -> tuple[AccountInfo, Tokens, AppCredentials]:
        user, tokens = self.add_user(f"user{len(self.users) + 1}")
        info = AccountInfo(account_id=1, platform="x", handle=f"@{user.username}",
                           external_id=user.id, base_url=self.url)
        return info, tokens, AppCredentials(self.CLIENT_ID, self.CLIENT_SECRET)

    def tweet_as(self, user_id: str, text: str, *, reply_to: str | None = None,
                 at: datetime | None = None) -> str:
        """User ``user_id`` posts ``text`` (a reply when ``reply_to``) at ``at`` (now);
        returns its id."""
        with self.lock:
            when = at or datetime.now(UTC)
            tweet_id = self.next_id(when)
            self.tweets[tweet_id] = {
                "id": tweet_id, "text": text, "author": user_id, "reply_to": reply_to,
                "media_ids": [], "deleted": False, "created": when,
                "created_at": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "metrics": {"like_count": 0, "reply_count": 0, self.metrics_field: 0,
                            "quote_count": 0, "bookmark_count": 0, "impression_count": 0},
                "private": {"impression_count": 0, "url_link_clicks": 0,
                            "user_profile_clicks": 0}}
            return tweet_id

    def age(self, tweet_id: str, days: float) -> None:
        """Make post ``tweet_id`` ``days`` older (its private metrics expire at 30)."""
        with self.lock:
            self.tweets[tweet_id]["created"] -= timedelta(days=days)

    def sample_media(self) -> list[MediaItem]:
        path = Path(tempfile.mkdtemp(prefix="fake-x-")) / "dot.png"
        path.write_bytes(PNG_1x1)
        return [MediaItem(path=path, mime="image/png", alt_text="a single dot")]

    def posts(self) -> list[dict[str, Any]]:
        with self.lock:
            return [{"id": t["id"], "text": t["text"], "reply_to": t["reply_to"],
                     "media_ids": t["media_ids"],
                     "media": [{"id": m, "alt": self.media[m]["alt"]} for m in t["media_ids"]]}
                    for t in self.tweets.values() if not t["deleted"]]

    def fail_next(self, status: int, *, after_create: bool = False) -> None:
        with self.lock:
            self.failures.append((status, after_create))

    def rate_limit_next(self, reset_in_s: int = 60) -> None:
        with self.lock:
            self.rate_limited += 1
            self.rate_reset_in = reset_in_s

    def expire_access_tokens(self) -> None:
        with self.lock:
            for grant in self.access.values():
                grant.expires_at = 0

    def revoke(self) -> None:
        with self.lock:
            self.access.clear()
            self.refresh_tokens.clear()

    # -- dispatch -------------------------------------------------------------
    def handle(self, request: Request) -> Reply:
        with self.lock:
            reply = self._route(request)
        reset = int(time.time()) + self.rate_reset_in
        reply.headers.setdefault("x-rate-limit-limit", "100")
        reply.headers.setdefault("x-rate-limit-remaining", "0" if reply.status == 429 else "99")
        reply.headers.setdefault("x-rate-limit-reset", str(reset))
        return reply

    def _route(self, request: Request) -> Reply:
        if request.path == "/2/oauth2/token" and request.method == "POST":
            return self._token(request)
        if request.path == "/i/oauth2/authorize" and request.method == "GET":
            return self._authorize(request)
        if self.rate_limited:
            self.rate_limited -= 1
            return Reply(429, problem(429, "Too Many Requests", "Too Many Requests"))
        if self.usage_capped:
            return Reply(429, problem(429, "UsageCapExceeded", "Usage cap exceeded: Monthly "
                                      "product cap", "https://api.x.com/2/problems/usage-capped",
                                      period="Monthly", scope="Product"))
        auth = request.headers.get("authorization", "")
        grant = self.access.get(auth.removeprefix("Bearer "))
        if grant is None or grant.expires_at < time.time():
            return Reply(401, problem(401, "Unauthorized", "Unauthorized"))
        routes: list[tuple[str, str, Callable[..., Reply]]] = [
            ("GET", r"/2/users/me", self._me),
            ("POST", r"/2/tweets", self._create),
            ("GET", r"/2/tweets/(\d+)", self._lookup),
            ("DELETE", r"/2/tweets/(\d+)", self._delete),
            ("GET", r"/2/users/(\d+)/tweets", self._timeline),
            ("GET", r"/2/users/(\d+)/mentions", self._mentions),
            ("POST", r"/2/media/upload", self._upload),
            ("GET", r"/2/media/upload", self._status),
            ("POST", r"/2/media/metadata", self._metadata),
        ]
        for method, pattern, handler in routes:
            match = re.fullmatch(pattern, request.path)
            if match and method == request.method:
                return handler(request, grant, *match.groups())
        return Reply(404, problem(404, "Not Found Error", "Not found",
                                  "https://api.x.com/2/problems/resource-not-found"))

    def _authorize(self, request: Request) -> Reply:
        """The consent page, approving at once as the first user (made if there is none)."""
        query = request.query
        problem_text = self.consent.refuse(query)
        if problem_text:
            return Reply(400, {"error": "invalid_request", "error_description": problem_text})
        user = next(iter(self.users.values()), None) or self.add_user("shop")[0]
        code = self.add_code(user.id, scopes=query.get("scope", "").split() or None)
        return Reply(302, headers={"Location": self.consent.approve(query, code)})

    def _client_ok(self, request: Request) -> bool:
        """A confidential client authenticates with HTTP Basic; a public one names itself."""
        auth = request.headers.get("authorization", "")
        if auth.startswith("Basic "):
            expected = base64.b64encode(f"{self.CLIENT_ID}:{self.CLIENT_SECRET}".encode())
            return secrets.compare_digest(auth.removeprefix("Basic ").encode(), expected)
        return request.params.get("client_id") == self.CLIENT_ID

    def _token(self, request: Request) -> Reply:
        form = request.params
        kind = form.get("grant_type")
        bad = Reply(400, {"error": "invalid_request",
                          "error_description": "Value passed for the token was invalid."})
        if kind == "authorization_code":
            if not self._client_ok(request):
                return Reply(401, {"error": "unauthorized_client",
                                   "error_description": "Missing valid authorization header"})
            code = str(form.get("code"))
            refused = self.consent.redeem(code, form)
            grant = self.codes.pop(code, None)
            if grant is None or not form.get("code_verifier") or refused:
                return bad
        elif kind == "refresh_token":
            grant = self.refresh_tokens.pop(str(form.get("refresh_token")), None)  # single use
            if grant is None:
                return bad
        else:
            return Reply(400, {"error": "unsupported_grant_type"})
        tokens = self._issue(grant.user_id, grant.scopes, 7200)
        body = {"token_type": "bearer", "expires_in": 7200, "access_token": tokens.access_token,
                "scope": " ".join(grant.scopes)}
        if tokens.refresh_token:
            body["refresh_token"] = tokens.refresh_token
        return Reply(200, body)


SCOPES_ALL = ("tweet.read", "tweet.write", "users.read", "media.write", "offline.access")


def start_fake() -> FakeX:
    """Start a fake X API on a free loopback port."""
    return FakeX()
