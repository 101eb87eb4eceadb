"""A fake Pinterest API v5 over real HTTP: OAuth with continuous refresh, pins, analytics.

It follows PLATFORMS.md §1b/§2.9: ``/v5/oauth/token`` takes HTTP Basic client
auth and a form; every refresh returns a NEW refresh token (the old one dies)
with ``refresh_token_expires_at``; ``POST /v5/pins`` enforces the OpenAPI
``maxLength``s (title 100, description 800, link 2048, alt_text 500) and
needs ``media_source``; errors are ``{"code": <int>, "message": "…"}``;
expired tokens get 401 ``Authentication failed.``; a missing scope 403; a
spent rate limit 429 with ``Retry-After`` (Pinterest's own rate-limit headers
are unverified).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from socialhub.platforms.base import AccountInfo, AppCredentials, MediaItem, Tokens
from tests.fakes.consent import Consent
from tests.fakes.controls import GrantControls
from tests.fakes.plumbing import LoopbackServer, QuietHandler, form_fields, query_fields

CLIENT_ID = "1234567"
CLIENT_SECRET = "fake-pinterest-secret"
ALL_SCOPES = ("boards:read", "pins:read", "pins:write", "user_accounts:read")
REFRESH_TTL_S = 60 * 24 * 3600
_LIMITS = {"title": 100, "description": 800, "link": 2048, "alt_text": 500}


@dataclass
class Grant:
    user: str
    scopes: set[str]
    expires_at: float


class FakePinterest(GrantControls):
    """A local Pinterest: point an adapter at ``url`` (API and OAuth host)."""

    platform = "pinterest"

    def __init__(self) -> None:
        self.users: dict[str, str] = {}  # username → id
        self.boards: dict[str, str] = {}  # board id → owner username
        self.pins: dict[str, dict[str, Any]] = {}
        self.access: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.codes: dict[str, Grant] = {}
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.RLock()
        self.fail_next_status: int | None = None
        self.fail_after_create = False
        self.rate_limit_reset_s: int | None = None
        self._ids = itertools.count(1_000_000_000_000_001)
        self.consent = Consent(CLIENT_ID)  # Pinterest's code flow has no PKCE
        server = LoopbackServer(self, _Handler)
        self._httpd, self.url = server.httpd, server.url  # GrantControls.stop shuts _httpd
        server.start()

    # -- FakePlatform ------------------------------------------------------------
    def account(self) -> tuple[AccountInfo, Tokens, AppCredentials]:
        """A connected user with every scope and one board (the account's ``board_id``)."""
        user = f"maker{len(self.users) + 1}"
        access, refresh = self.add_user(user)
        board = self.add_board(user)
        info = AccountInfo(account_id=len(self.users), platform="pinterest", handle=user,
                           external_id=self.users[user], base_url=self.url,
                           settings={"board_id": board})
        return info, Tokens(access_token=access, refresh_token=refresh), self.app()

    def sample_media(self) -> list[MediaItem]:
        return [MediaItem(url="https://img.example/pin.jpg", mime="image/jpeg",
                          alt_text="A bowl of ramen on a wooden table")]

    def posts(self) -> list[dict[str, Any]]:
        with self.lock:
            return [{**p, "text": p.get("description") or "", "reply_to": None}
                    for p in self.pins.values()]

    # -- helpers ----------------------------------------------------------------
    @staticmethod
    def app() -> AppCredentials:
        return AppCredentials(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)

    def next_id(self) -> str:
        return str(next(self._ids))

    def add_user(self, name: str, scopes: tuple[str, ...] = ALL_SCOPES) -> tuple[str, str]:
        """Create a user with a grant; returns (access token, refresh token)."""
        with self.lock:
            self.users.setdefault(name, self.next_id())
            grant = Grant(name, set(scopes), 0)
            refresh = secrets.token_urlsafe(16)
            self.refresh_tokens[refresh] = grant
            return self.issue_access(grant), refresh

    def add_board(self, owner: str) -> str:
        with self.lock:
            board = self.next_id()
            self.boards[board] = owner
            return board

    def issue_access(self, grant: Grant) -> str:
        token = secrets.token_urlsafe(16)
        self.access[token] = Grant(grant.user, set(grant.scopes), time.time() + 30 * 86400)
        return token

    def issue_code(self, user: str) -> str:
        with self.lock:
            self.users.setdefault(user, self.next_id())
            code = secrets.token_urlsafe(8)
            self.codes[code] = Grant(user, set(ALL_SCOPES), 0)
            return code

    def token_body(self, grant: Grant) -> dict[str, Any]:
        refresh = secrets.token_urlsafe(16)
        self.refresh_tokens[refresh] = grant
        return {"access_token": self.issue_access(grant), "token_type": "bearer",
                "expires_in": 30 * 86400, "refresh_token": refresh,
                "refresh_token_expires_in": REFRESH_TTL_S,
                "refresh_token_expires_at": int(time.time()) + REFRESH_TTL_S,
                "scope": ",".join(sorted(grant.scopes))}


_SCOPE_OF = [("POST", "/v5/pins", "pins:write"), ("DELETE", "/v5/pins", "pins:write"),
             ("GET", "/v5/pins", "pins:read"), ("GET", "/v5/user_account", "user_accounts:read")]


class _Handler(QuietHandler):
    @property
    def fake(self) -> FakePinterest:
        return self.server.fake  # type: ignore[attr-defined]

    def _error(self, status: int, code: int, message: str) -> None:
        self.send_json(status, {"code": code, "message": message})

    def _dispatch(self) -> None:
        fake = self.fake
        path = urlsplit(self.path).path
        params = query_fields(self.path)
        ctype, raw = self.read_body()
        # Any body that is not JSON is read as a form (the token endpoint's).
        body: dict[str, Any] = json.loads(raw) if raw and ctype.startswith(
            "application/json") else form_fields(raw)
        with fake.lock:
            fake.requests.append({"method": self.command, "path": path, "params": params,
                                  "body": body})
        if path == "/v5/oauth/token" and self.command == "POST":
            return self._token(body)
        if path == "/oauth/" and self.command == "GET":
            return self._authorize(params)
        with fake.lock:
            if fake.rate_limit_reset_s is not None:
                reset, fake.rate_limit_reset_s = fake.rate_limit_reset_s, None
                return self.send_json(429, {"code": 8, "message": "You have exceeded your "
                                            "rate limit. Try again later."},
                                      headers={"Retry-After": str(reset)})
        auth = self.headers.get("Authorization") or ""
        grant = fake.access.get(auth.removeprefix("Bearer "))
        if grant is None or grant.expires_at < time.time():
            return self._error(401, 2, "Authentication failed.")
        needed = next((s for m, p, s in _SCOPE_OF
                       if m == self.command and path.startswith(p)), None)
        if needed is not None and needed not in grant.scopes:
            return self._error(403, 3, f"Missing required scope: {needed}. Reauthorize "
                               "with the scope.")
        if self.command != "GET" and fake.fail_next_status and not fake.fail_after_create:
            status, fake.fail_next_status = fake.fail_next_status, None
            return self._error(status, status, "Internal server error.")
        if path == "/v5/user_account" and self.command == "GET":
            return self.send_json(200, {"username": grant.user, "id": fake.users[grant.user],
                                        "account_type": "BUSINESS", "business_name": "Ramen Co",
                                        "board_count": len([b for b, o in fake.boards.items()
                                                            if o == grant.user]),
                                        "pin_count": len([p for p in fake.pins.values()
                                                          if p.get("owner") == grant.user]),
                                        "follower_count": 310, "following_count": 27,
                                        "monthly_views": 4200})
        if path == "/v5/pins":
            if self.command == "POST":
                return self._create(grant, body)
            return self._list(grant, params)
        match = re.fullmatch(r"/v5/pins/(\d+)(/analytics)?", path)
        if match:
            return self._pin(grant, match.group(1), bool(match.group(2)), params)
        return self._error(404, 404, "Not found.")

    do_GET = do_POST = do_DELETE = _dispatch

    def _authorize(self, query: dict[str, str]) -> None:
        """The consent page, approving at once as the first user (made if there is none)."""
        fake = self.fake
        refused = fake.consent.refuse(query)
        if refused:
            return self._error(400, 1, f"Invalid request: {refused}")
        with fake.lock:
            user = next(iter(fake.users), None) or "shop"
        code = fake.issue_code(user)
        wanted = {s for s in query.get("scope", "").split(",") if s in ALL_SCOPES}
        if wanted:
            fake.codes[code].scopes = wanted
        return self.redirect(fake.consent.approve(query, code))

    def _token(self, form: dict[str, str]) -> None:
        fake = self.fake
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if self.headers.get("Authorization") != f"Basic {expected}":
            return self._error(401, 2, "Authentication failed.")
        with fake.lock:
            if form.get("grant_type") == "authorization_code":
                refused = fake.consent.redeem(form.get("code", ""), form)
                grant = fake.codes.pop(form.get("code", ""), None)
                if grant is None or refused:
                    return self._error(400, 1, "Invalid authorization code.")
                return self.send_json(200, fake.token_body(grant))
            if form.get("grant_type") == "refresh_token":
                grant = fake.refresh_tokens.pop(form.get("refresh_token", ""), None)
                if grant is None:
                    return self._error(400, 1, "Invalid refresh token.")
                return self.send_json(200, fake.token_body(grant))  # rotated: the old one is gone
        return self._error(400, 1, "Unsupported grant type.")

    def _create(self, grant: Grant, body: dict[str, Any]) -> None:
        fake = self.fake
        with fake.lock:
            owner = fake.boards.get(str(body.get("board_id")))
            if owner is None:
                return self._error(404, 404, "Board not found.")
            if owner != grant.user:
                return self._error(403, 403, "Not authorized to access board.")
            for name, limit in _LIMITS.items():
                if len(str(body.get(name) or "")) > limit:
                    return self._error(400, 1, f"Invalid request: '{name}' is longer than "
                                       f"{limit} characters")
            source = body.get("media_source") or {}
            kinds = ("image_url", "image_base64", "multiple_image_urls",
                     "multiple_image_base64")
            if source.get("source_type") not in kinds:
                return self._error(400, 1, "Invalid request: media_source is required")
            if source["source_type"] == "image_base64" and source.get("content_type") not in (
                    "image/jpeg", "image/png"):
                return self._error(400, 1, "Invalid request: content_type must be image/jpeg "
                                   "or image/png")
            pin_id = fake.next_id()
            pin = {"id": pin_id, "board_id": str(body["board_id"]),
                   "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                   "title": body.get("title"), "description": body.get("description"),
                   "link": body.get("link"), "alt_text": body.get("alt_text"),
                   "board_section_id": body.get("board_section_id"),
                   "media_source": source, "owner": grant.user,
                   "metrics": {"IMPRESSION": 0, "SAVE": 0, "PIN_CLICK": 0,
                               "OUTBOUND_CLICK": 0, "TOTAL_COMMENTS": 0, "TOTAL_REACTIONS": 0}}
            fake.pins[pin_id] = pin
            if fake.fail_next_status and fake.fail_after_create:
                status, fake.fail_next_status, fake.fail_after_create = (
                    fake.fail_next_status, None, False)
                return self._error(status, status, "Internal server error.")
            return self.send_json(201, self._public(pin))

    @staticmethod
    def _public(pin: dict[str, Any]) -> dict[str, Any]:
        public = {k: v for k, v in pin.items() if k not in ("media_source", "owner", "metrics")}
        public["media"] = {"media_type": "image"}
        return public

    def _list(self, grant: Grant, params: dict[str, str]) -> None:
        size = min(int(params.get("page_size") or 25), 250)
        with self.fake.lock:
            mine = [self._public(p) for p in self.fake.pins.values() if p["owner"] == grant.user]
        mine.reverse()  # newest first
        self.send_json(200, {"items": mine[:size], "bookmark": None})

    def _pin(self, grant: Grant, pin_id: str, analytics: bool, params: dict[str, str]) -> None:
        with self.fake.lock:
            pin = self.fake.pins.get(pin_id)
            if pin is None or pin["owner"] != grant.user:
                return self._error(404, 50, "Pin not found.")
            if self.command == "DELETE":
                del self.fake.pins[pin_id]
                return self.send_json(204)
            if analytics:
                if not {"start_date", "end_date", "metric_types"} <= set(params):
                    return self._error(400, 1, "Invalid request: missing parameters")
                wanted = params["metric_types"].split(",")
                summary = {k: v for k, v in pin["metrics"].items() if k in wanted}
                return self.send_json(200, {"all": {"daily_metrics": [],
                                                    "summary_metrics": summary}})
            return self.send_json(200, self._public(pin))


def start_fake() -> FakePinterest:
    """Start a fake Pinterest on a free loopback port (the ``FakePlatform`` entry point)."""
    return FakePinterest()
