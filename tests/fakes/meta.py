"""One fake of Meta's Graph API that serves as Threads, Instagram or Facebook Pages.

It follows the documented contract (PLATFORMS.md §1b, §2.5–2.7), not our
adapters: OAuth code → short-lived token → long-lived exchange
(``th_exchange_token`` / ``ig_exchange_token`` / ``fb_exchange_token``),
refresh only for tokens ≥24 h old and unexpired, page tokens from
``/me/accounts``; containers that stay ``IN_PROGRESS`` for a few polls and end
``FINISHED`` or ``ERROR``; rolling 24 h publishing quotas; Graph error bodies
``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`` with
HTTP 400 (500 for codes 1/2); and ``X-Business-Use-Case-Usage`` /
``X-App-Usage`` headers on throttled calls.

Meta's long-lived tokens refresh by exchanging themselves, so an expired one
cannot be refreshed. The protocol's "expired access token, refresh still
works" state (``expire_access_tokens``) is modelled as a token past 24 h whose
API calls answer 190/463 while the refresh endpoint still accepts it — the
situation just before expiry that the token manager's proactive refresh
targets. ``kill_tokens`` makes them truly expired (refresh refused too).

This module holds ``FakeMeta``: the Graph's state and the controls tests drive.
Its siblings: ``meta_model`` (the app, scopes and records), ``meta_http`` (the
HTTP handler: token checks, errors, throttling, OAuth and dispatch) and
``meta_graph`` (the Graph routes all three platforms share, and the helpers
``threads``/``instagram``/``facebook`` build their own routes from).
"""

from __future__ import annotations

import itertools
import secrets
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from socialhub.platforms.base import AccountInfo, AppCredentials, MediaItem, Tokens
from tests.fakes.consent import Consent
from tests.fakes.meta_http import MetaHandler
from tests.fakes.meta_model import (
    CLIENT_ID,
    CLIENT_SECRET,
    LONG_LIVED_S,
    PROFILE_COUNTS,
    SCOPES,
    Container,
    Post,
    Tok,
)
from tests.fakes.plumbing import LoopbackServer


class FakeMeta:
    """A local Graph API for one of ``threads``, ``instagram``, ``facebook``."""

    def __init__(self, platform: str, *, container_polls: int = 1,
                 quota_total: int | None = None, reply_quota_total: int = 1000) -> None:
        assert platform in SCOPES
        self.platform = platform
        self.container_polls = container_polls
        self.quota_total = quota_total or {"threads": 250, "instagram": 50}.get(platform, 0)
        self.reply_quota_total = reply_quota_total
        self.quota_duration = 86_400
        self.users: dict[str, dict[str, Any]] = {}
        self.pages: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, Tok] = {}
        self.containers: dict[str, Container] = {}
        self.posts_by_id: dict[str, Post] = {}
        self.publish_log: list[tuple[str, str, datetime]] = []  # owner, kind, when
        self.requests: list[dict[str, Any]] = []
        self.failures: list[tuple[int, bool]] = []
        self.rate_limit_reset_s: int | None = None
        self.app_usage_only = False
        self.lock = threading.RLock()
        self._ids = itertools.count(17_841_400_000_000_001)
        self.consent = Consent(CLIENT_ID)  # Meta's code flows take no PKCE
        self._server = LoopbackServer(self, MetaHandler)
        self.url = self._server.url

    # -- control (the FakePlatform protocol) ---------------------------------------------
    def start(self) -> FakeMeta:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def next_id(self) -> str:
        return str(next(self._ids))

    def add_user(self, username: str = "shop", *, pages: list[str] | None = None) -> str:
        """A user (for Facebook, with the named pages they manage); returns the user id."""
        with self.lock:
            uid = self.next_id()
            self.users[uid] = {"id": uid, "username": username, "name": username.title(),
                               **PROFILE_COUNTS.get(self.platform, {})}
            for name in pages or []:
                pid = self.next_id()
                self.pages[pid] = {"id": pid, "name": name, "admin": uid,
                                   "followers_count": 900, "fan_count": 850}
            return uid

    def issue(self, owner: str, kind: str, *, age: timedelta = timedelta(0),
              lifetime_s: int | None = LONG_LIVED_S, scopes: set[str] | None = None) -> str:
        """A token for ``owner`` issued ``age`` ago."""
        with self.lock:
            token = f"{self.platform[:2].upper()}{secrets.token_urlsafe(24)}"
            issued = datetime.now(UTC) - age
            self.tokens[token] = Tok(owner, kind, issued,
                                     issued + timedelta(seconds=lifetime_s)
                                     if lifetime_s else None,
                                     set(SCOPES[self.platform] if scopes is None else scopes))
            return token

    def account(self) -> tuple[AccountInfo, Tokens, AppCredentials]:
        """A connected account: a 2-day-old long-lived token (a page token on Facebook)."""
        uid = self.add_user("shop", pages=["Shop Page"] if self.platform == "facebook" else None)
        if self.platform == "facebook":
            pid = next(p for p in self.pages if self.pages[p]["admin"] == uid)
            token = self.issue(pid, "page", lifetime_s=None)
            info = AccountInfo(account_id=1, platform="facebook", handle="Shop Page",
                               external_id=pid, base_url=self.url)
            return info, Tokens(access_token=token, scopes=sorted(SCOPES["facebook"]),
                                extra={"page_id": pid}), self.app()
        token = self.issue(uid, "long", age=timedelta(days=2))
        tok = self.tokens[token]
        info = AccountInfo(account_id=1, platform=self.platform, handle="@shop",
                           external_id=uid, base_url=self.url)
        return info, Tokens(access_token=token, expires_at=tok.expires,
                            scopes=sorted(tok.scopes),
                            extra={"issued_at": tok.issued.isoformat(), "user_id": uid}), \
            self.app()

    @staticmethod
    def app() -> AppCredentials:
        return AppCredentials(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)

    def sample_media(self) -> list[MediaItem]:
        return [MediaItem(url=f"{self.url}/media/bicycle.jpg", mime="image/jpeg",
                          alt_text="A red bicycle against a wall")]

    def posts(self) -> list[dict[str, Any]]:
        """Live posts, oldest first; each media item keeps the parameters it was created
        with and adds ``alt``: the alt text under the platform's own parameter name
        (``alt_text`` on Threads/Instagram containers, ``alt_text_custom`` on Page photos)."""
        with self.lock:
            return [{"id": p.id, "text": p.text, "reply_to": p.reply_to, "kind": p.kind,
                     "media_type": p.media_type, "media": [self._media_view(m) for m in p.media],
                     "link": p.link}
                    for p in self.posts_by_id.values() if not p.deleted]

    def _media_view(self, params: dict[str, Any]) -> dict[str, Any]:
        name = "alt_text_custom" if self.platform == "facebook" else "alt_text"
        return {**params, "alt": params.get(name) or None}

    def fail_next(self, status: int, *, after_create: bool = False) -> None:
        with self.lock:
            self.failures.append((status, after_create))

    def rate_limit_next(self, reset_in_s: int = 60) -> None:
        with self.lock:
            self.rate_limit_reset_s = reset_in_s

    def expire_access_tokens(self) -> None:
        with self.lock:
            for tok in self.tokens.values():
                tok.api_expired = True
                if tok.kind == "long":
                    tok.issued = min(tok.issued, datetime.now(UTC) - timedelta(hours=25))

    def kill_tokens(self) -> None:
        """Every token is past its 60 days: calls and refreshes fail."""
        with self.lock:
            for tok in self.tokens.values():
                tok.expires = datetime.now(UTC) - timedelta(seconds=1)

    def revoke(self) -> None:
        with self.lock:
            for tok in self.tokens.values():
                tok.revoked = True

    def drop_scope(self, scope: str) -> None:
        """Every token loses ``scope`` (the user unticked it)."""
        with self.lock:
            for tok in self.tokens.values():
                tok.scopes.discard(scope)

    def spend_quota(self, owner: str, count: int | None = None, *, kind: str = "post",
                    age: timedelta = timedelta(hours=3)) -> None:
        """Record ``count`` publishes ``age`` ago (default: the whole quota)."""
        total = self.reply_quota_total if kind == "reply" else self.quota_total
        with self.lock:
            when = datetime.now(UTC) - age
            for _ in range(total if count is None else count):
                self.publish_log.append((owner, kind, when))
                pid = self.next_id()
                self.posts_by_id[pid] = Post(pid, owner, "(earlier post)", None, kind,
                                             "TEXT", when)

    # -- state helpers --------------------------------------------------------------------
    def quota_used(self, owner: str, kind: str) -> int:
        since = datetime.now(UTC) - timedelta(seconds=self.quota_duration)
        return sum(1 for o, k, t in self.publish_log if o == owner and k == kind and t > since)

    def new_post(self, owner: str, text: str, *, reply_to: str | None, kind: str,
                 media_type: str = "TEXT", **kw: Any) -> Post:
        pid = self.next_id()
        if self.platform == "facebook" and kind != "comment":
            pid = f"{owner}_{pid}"
        elif self.platform == "facebook":
            pid = f"{reply_to}_{pid}" if reply_to else pid
        post = Post(pid, owner, text, reply_to, kind, media_type, datetime.now(UTC), **kw)
        self.posts_by_id[pid] = post
        self.publish_log.append((owner, kind, post.created))
        return post

    def comment_as(self, author: str, on: str, text: str, *,
                   age: timedelta = timedelta(0)) -> str:
        """``author`` (a user id from ``add_user``) comments on (Threads: replies to) the post
        or comment ``on``, ``age`` ago; returns the new id."""
        with self.lock:
            kind = "reply" if self.platform == "threads" else "comment"
            pid = self.next_id()
            if self.platform == "facebook":
                pid = f"{on.split('_')[-1]}_{pid}"
            self.posts_by_id[pid] = Post(pid, author, text, on, kind, "TEXT_POST",
                                         datetime.now(UTC) - age)
            return pid

    def author(self, owner: str) -> dict[str, Any]:
        """The user or Page record of ``owner`` (``{"id"}`` alone when unknown)."""
        return self.users.get(owner) or self.pages.get(owner) or {"id": owner}

    def thread_of(self, post_id: str) -> list[Post]:
        """Every live comment or reply under ``post_id``, at any depth."""
        found: list[Post] = []
        frontier = [post_id]
        while frontier:
            parent = frontier.pop()
            for p in self.posts_by_id.values():
                if p.reply_to == parent and not p.deleted:
                    found.append(p)
                    frontier.append(p.id)
        return found

    def permalink(self, post: Post) -> str:
        return f"{self.url}/@{post.owner}/post/{post.id}"
