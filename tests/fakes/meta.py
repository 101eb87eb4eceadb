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
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import math
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from socialhub.platforms.base import AccountInfo, AppCredentials, MediaItem, Tokens
from tests.fakes.consent import Consent

CLIENT_ID, CLIENT_SECRET = "1234567890", "fake-meta-app-secret"
LONG_LIVED_S = 60 * 86_400
SCOPES = {
    "threads": {"threads_basic", "threads_content_publish", "threads_manage_replies",
                "threads_read_replies", "threads_manage_insights"},
    "instagram": {"instagram_business_basic", "instagram_business_content_publish",
                  "instagram_business_manage_comments", "instagram_business_manage_insights"},
    "facebook": {"pages_show_list", "pages_manage_posts", "pages_read_engagement",
                 "pages_manage_engagement"},
}
_RATE_CODE = {"threads": 4, "instagram": 80002, "facebook": 32}


@dataclass
class Tok:
    owner: str  # user id, or page id for a page token
    kind: str  # "code", "short", "long", "page"
    issued: datetime
    expires: datetime | None
    scopes: set[str]
    revoked: bool = False
    api_expired: bool = False


@dataclass
class Container:
    id: str
    owner: str
    params: dict[str, Any]
    polls_left: int
    status: str = "IN_PROGRESS"
    error: str | None = None


@dataclass
class Post:
    id: str
    owner: str
    text: str
    reply_to: str | None
    kind: str  # "post", "reply", "comment"
    media_type: str
    created: datetime
    children: list[str] = field(default_factory=list)
    media: list[dict[str, Any]] = field(default_factory=list)
    link: str | None = None
    deleted: bool = False
    counters: dict[str, int] = field(default_factory=dict)


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
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.fake = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"

    # -- control (the FakePlatform protocol) ---------------------------------------------
    def start(self) -> FakeMeta:
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def next_id(self) -> str:
        return str(next(self._ids))

    def add_user(self, username: str = "shop", *, pages: list[str] | None = None) -> str:
        """A user (for Facebook, with the named pages they manage); returns the user id."""
        with self.lock:
            uid = self.next_id()
            self.users[uid] = {"id": uid, "username": username, "name": username.title()}
            for name in pages or []:
                pid = self.next_id()
                self.pages[pid] = {"id": pid, "name": name, "admin": uid}
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

    def permalink(self, post: Post) -> str:
        return f"{self.url}/@{post.owner}/post/{post.id}"


def graph_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def fake(self) -> FakeMeta:
        return self.server.fake  # type: ignore[attr-defined]

    # -- answering ---------------------------------------------------------------------------
    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None,
              raw: bytes | None = None, ctype: str = "application/json") -> None:
        data = raw if raw is not None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, message: str, code: int, *, subcode: int | None = None,
               etype: str = "OAuthException", status: int | None = None,
               headers: dict[str, str] | None = None) -> None:
        err: dict[str, Any] = {"message": message, "type": etype, "code": code,
                               "fbtrace_id": secrets.token_urlsafe(8)}
        if subcode is not None:
            err["error_subcode"] = subcode
        if code in (1, 2):
            err["is_transient"] = True
        self._send(status or (500 if code in (1, 2) else 400), {"error": err}, headers)

    def _failure(self, status: int) -> None:
        if status >= 500:
            code, text = ((2, "Service temporarily unavailable") if status == 503
                          else (1, "An unknown error has occurred."))
            return self._error(text, code, status=status)
        if status in (401, 403):
            return self._error("Error validating access token: The user has not authorized "
                               "application 1234567890.", 190, subcode=458, status=status)
        return self._error("(#100) Invalid parameter", 100, status=status)

    def _rate_limited(self, reset_s: int) -> None:
        fake = self.fake
        usage = {"call_count": 100, "total_cputime": 28, "total_time": 31}
        headers = {"X-App-Usage": json.dumps(usage)}
        if not fake.app_usage_only:
            minutes = max(1, math.ceil(reset_s / 60))
            headers["X-Business-Use-Case-Usage"] = json.dumps({"1784140": [{
                "type": "pages" if fake.platform == "facebook" else fake.platform,
                **usage, "estimated_time_to_regain_access": minutes}]})
        code = 4 if fake.app_usage_only else _RATE_CODE[fake.platform]
        text = ("(#4) Application request limit reached" if code == 4 else
                f"(#{code}) There have been too many calls for this account. Wait a bit "
                "and try again.")
        self._error(text, code, status=403 if code == 32 else 400, headers=headers)

    # -- parsing -------------------------------------------------------------------------------
    def _params(self) -> tuple[dict[str, Any], dict[str, bytes]]:
        url = urlsplit(self.path)
        params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(url.query).items()}
        files: dict[str, bytes] = {}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = self.headers.get("Content-Type") or ""
        if raw and ctype.startswith("application/x-www-form-urlencoded"):
            params.update({k: v[-1] for k, v in parse_qs(raw.decode()).items()})
        elif raw and ctype.startswith("application/json"):
            params.update(json.loads(raw))
        elif raw and ctype.startswith("multipart/form-data"):
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                f"Content-Type: {ctype}\r\n\r\n".encode() + raw)
            for part in message.iter_parts():
                name = str(part.get_param("name", header="content-disposition"))
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                if part.get_filename():
                    files[name] = payload
                else:
                    params[name] = payload.decode()
        return params, files

    def _token(self, params: dict[str, Any]) -> str | None:
        auth = self.headers.get("Authorization") or ""
        if auth.startswith(("Bearer ", "OAuth ")):
            return auth.split(" ", 1)[1]
        return params.get("access_token")

    def _check_token(self, token: str | None) -> Tok | None:
        """The token's record, or None after answering the documented 190 error."""
        tok = self.fake.tokens.get(token or "")
        if tok is None or tok.kind == "code":
            self._error("Invalid OAuth access token - Cannot parse access token", 190)
            return None
        if tok.revoked:
            self._error("Error validating access token: The user has not authorized "
                        "application 1234567890.", 190, subcode=458)
            return None
        now = datetime.now(UTC)
        if tok.api_expired or (tok.expires is not None and tok.expires <= now):
            when = (tok.expires or now).strftime("%A, %d-%b-%y %H:%M:%S")
            self._error(f"Error validating access token: Session has expired on {when} UTC. "
                        f"The current time is {now:%A, %d-%b-%y %H:%M:%S} UTC.", 190,
                        subcode=463)
            return None
        return tok

    def _dispatch(self) -> None:
        fake = self.fake
        path = urlsplit(self.path).path.rstrip("/") or "/"
        params, files = self._params()
        token = self._token(params)
        with fake.lock:
            fake.requests.append({"method": self.command, "path": path, "token": token,
                                  "params": {k: v for k, v in params.items()
                                             if k not in ("access_token", "client_secret")}})
            if path.startswith("/media/"):
                return self._send(200, None, raw=b"\xff\xd8\xff\xe0fake-jpeg",
                                  ctype="image/jpeg")
            if path in ("/oauth/authorize", "/dialog/oauth") and self.command == "GET":
                return self._authorize(params)
            if fake.rate_limit_reset_s is not None:
                reset, fake.rate_limit_reset_s = fake.rate_limit_reset_s, None
                return self._rate_limited(reset)
            if path in ("/oauth/access_token", "/access_token", "/refresh_access_token"):
                return _oauth(self, path, params)
            tok = self._check_token(token)
            if tok is None:
                return None
            segments = path.strip("/").split("/")
            failure: tuple[int, bool] | None = None
            if self.command == "POST" and fake.failures:
                status, after_create = fake.failures[0]
                creates = segments[-1] in ("threads_publish", "media_publish", "feed",
                                           "comments") or (
                    segments[-1] == "photos" and params.get("published") != "false")
                if not after_create:
                    fake.failures.pop(0)
                    return self._failure(status)
                if creates:
                    failure = fake.failures.pop(0)
            try:
                answer = _route(self, tok, segments, params, files)
            except Fail as fail:
                return self._error(fail.message, fail.code, subcode=fail.subcode,
                                   status=fail.status)
            if failure is not None:
                return self._failure(failure[0])  # the post exists; the answer is lost
            return self._send(200, answer)

    def _authorize(self, query: dict[str, Any]) -> None:
        """The consent page (threads.net/instagram.com ``/oauth/authorize``, Facebook's
        ``/dialog/oauth``), approving at once as the first user (made if there is none)."""
        fake = self.fake
        refused = fake.consent.refuse({k: str(v) for k, v in query.items()})
        if refused:
            return self._error(f"Invalid request: {refused}", 100)
        uid = next(iter(fake.users), None) or fake.add_user(
            "shop", pages=["Shop Page"] if fake.platform == "facebook" else None)
        wanted = {s for s in str(query.get("scope") or "").split(",") if s}
        code = fake.issue(uid, "code", lifetime_s=600,
                          scopes=(wanted & SCOPES[fake.platform]) or None)
        self.send_response(302)
        self.send_header("Location", fake.consent.approve(query, code))
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_DELETE = _dispatch


def _oauth(h: _Handler, path: str, params: dict[str, Any]) -> None:
    fake = h.fake
    grant = params.get("grant_type")
    if path == "/oauth/access_token" and (grant == "authorization_code" or "code" in params):
        if params.get("client_id") != CLIENT_ID or params.get("client_secret") != CLIENT_SECRET:
            return h._error("Error validating client secret.", 1, etype="OAuthException",
                            status=400)
        code = fake.tokens.get(str(params.get("code")))
        if code is None or code.kind != "code" or fake.consent.redeem(str(params["code"]),
                                                                       params):
            return h._error("Invalid verification code format.", 100)
        del fake.tokens[str(params["code"])]
        short = fake.issue(code.owner, "short", lifetime_s=3600, scopes=code.scopes)
        answer: dict[str, Any] = {"access_token": short}
        if fake.platform == "facebook":
            answer.update(token_type="bearer", expires_in=3600)
        else:
            answer["user_id"] = int(code.owner)
        if fake.platform == "instagram":
            answer["permissions"] = ",".join(sorted(code.scopes))
        return h._send(200, answer)
    exchange = {"threads": ("/access_token", "th_exchange_token", "access_token"),
                "instagram": ("/access_token", "ig_exchange_token", "access_token"),
                "facebook": ("/oauth/access_token", "fb_exchange_token",
                             "fb_exchange_token")}[fake.platform]
    refresh_grant = {"threads": "th_refresh_token", "instagram": "ig_refresh_token"}.get(
        fake.platform)
    if path == exchange[0] and grant == exchange[1]:
        if params.get("client_secret") != CLIENT_SECRET:
            return h._error("Error validating client secret.", 1, status=400)
        tok = h._check_token(params.get(exchange[2]))
        if tok is None:
            return None
        if tok.kind != "short":
            return h._error("Invalid OAuth access token - the token is not short-lived",
                            190)
        long = fake.issue(tok.owner, "long", scopes=tok.scopes)
        return h._send(200, {"access_token": long, "token_type": "bearer",
                             "expires_in": LONG_LIVED_S})
    if path == "/refresh_access_token" and refresh_grant and grant == refresh_grant:
        token = params.get("access_token")
        tok = fake.tokens.get(token or "")
        now = datetime.now(UTC)
        if tok is None or tok.revoked or tok.kind != "long" or (
                tok.expires is not None and tok.expires <= now):
            return h._error("Error validating access token: the token is invalid or has "
                            "expired", 190, subcode=463 if tok and not tok.revoked else 458)
        if now - tok.issued < timedelta(hours=24):
            return h._error("(#100) The access token must be at least 24 hours old to be "
                            "refreshed", 100)
        new = fake.issue(tok.owner, "long", scopes=tok.scopes)
        return h._send(200, {"access_token": new, "token_type": "bearer",
                             "expires_in": LONG_LIVED_S})
    return h._error(f"Unsupported grant_type {grant}", 100)


class Fail(Exception):
    """A Graph error a route answers with."""

    def __init__(self, message: str, code: int, *, subcode: int | None = None,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.message, self.code, self.subcode, self.status = message, code, subcode, status


def _route(h: _Handler, tok: Tok, segments: list[str], params: dict[str, Any],
           files: dict[str, bytes]) -> Any:
    """Serve one API call with the platform's routes, then the shared ones."""
    import importlib

    module = importlib.import_module(f"tests.fakes.{h.fake.platform}")
    answer = module.route(h.fake, h.command, tok, segments, params, files)
    if answer is not None:
        return answer
    return common_route(h.fake, h.command, tok, segments, params)


def need(fake: FakeMeta, tok: Tok, scope: str) -> None:
    """Raise the platform's own permission error unless ``tok`` has ``scope``."""
    if scope in tok.scopes:
        return
    if fake.platform == "facebook":
        raise Fail("(#200) If posting to a page, requires both pages_read_engagement and "
                   f"{scope} permission with page token", 200, status=403)
    if fake.platform == "instagram":
        raise Fail("(#10) Application does not have permission for this action", 10,
                   status=403)
    raise Fail(f"(#10) The user has not granted the {scope} permission", 10, status=403)


def owned_post(fake: FakeMeta, post_id: str) -> Post:
    post = fake.posts_by_id.get(post_id)
    if post is None or post.deleted:
        raise Fail(f"Unsupported get request. Object with ID '{post_id}' does not exist, "
                   "cannot be loaded due to missing permissions, or does not support this "
                   "operation.", 100, subcode=33)
    return post


# -- containers (Threads, Instagram) ---------------------------------------------------------
def make_container(fake: FakeMeta, owner: str, params: dict[str, Any]) -> dict[str, Any]:
    """Create a container; media URLs containing "unreachable" end in ERROR."""
    cid = fake.next_id()
    url = str(params.get("image_url") or params.get("video_url") or "")
    container = Container(cid, owner, dict(params), fake.container_polls)
    if "unreachable" in url:
        container.error = ("Media download has failed. The media URI doesn't meet our "
                           "requirements.")
    for child in str(params.get("children") or "").split(",") if params.get("children") else []:
        if child not in fake.containers:
            raise Fail("(#100) Invalid parameter: children", 100)
    fake.containers[cid] = container
    return {"id": cid}


def container_fields(fake: FakeMeta, container: Container, fields: str) -> dict[str, Any]:
    if container.status == "IN_PROGRESS":
        if container.polls_left > 0:
            container.polls_left -= 1
        else:
            container.status = "ERROR" if container.error else "FINISHED"
    status = container.status
    answer: dict[str, Any] = {"id": container.id}
    if fake.platform == "instagram":
        answer["status_code"] = status
        if "status" in fields.split(","):
            answer["status"] = (f"Error: {container.error}" if status == "ERROR"
                                else status.title())
    else:
        answer["status"] = status
        if status == "ERROR":
            answer["error_message"] = container.error
    return answer


def take_container(fake: FakeMeta, owner: str, creation_id: str) -> Container:
    container = fake.containers.get(creation_id)
    if container is None or container.owner != owner:
        raise Fail("(#100) Param creation_id must be a valid container id", 100)
    if container.status == "PUBLISHED":
        raise Fail("(#100) The media has already been published", 100)
    if container.status != "FINISHED":
        raise Fail("Media ID is not available" if container.status != "ERROR" else
                   "The media could not be published", 9007, subcode=2207027)
    return container


def check_quota(fake: FakeMeta, owner: str, kind: str) -> None:
    total = fake.reply_quota_total if kind == "reply" else fake.quota_total
    if fake.quota_used(owner, kind) >= total:
        raise Fail("The maximum number of posts that can be published per day has been "
                   "reached", 9, subcode=2207042)


def publishing_limit(fake: FakeMeta, owner: str, replies: bool) -> dict[str, Any]:
    row: dict[str, Any] = {"quota_usage": fake.quota_used(owner, "post"),
                           "config": {"quota_total": fake.quota_total,
                                      "quota_duration": fake.quota_duration}}
    if replies:
        row["reply_quota_usage"] = fake.quota_used(owner, "reply")
        row["reply_config"] = {"quota_total": fake.reply_quota_total,
                               "quota_duration": fake.quota_duration}
    return {"data": [row]}


def listing(posts: list[Post], params: dict[str, Any], render: Any) -> dict[str, Any]:
    """Newest first, ``since`` (Unix seconds) and ``limit`` applied, as Graph lists edges."""
    since = params.get("since")
    chosen = [p for p in posts if not p.deleted
              and (since is None or p.created.timestamp() >= float(since))]
    chosen.sort(key=lambda p: p.created, reverse=True)
    return {"data": [render(p) for p in chosen[: int(params.get("limit") or 25)]]}


def common_route(fake: FakeMeta, method: str, tok: Tok, segments: list[str],
                 params: dict[str, Any]) -> Any:
    """``/me``, container status, post fields, insights, comments, delete."""
    if segments == ["me"] and method == "GET":
        who = fake.pages.get(tok.owner) or fake.users.get(tok.owner) or {"id": tok.owner}
        return {k: v for k, v in who.items() if k in ("id", "username", "name")}
    object_id = segments[0]
    if len(segments) == 1 and method == "GET":
        if object_id in fake.containers:
            return container_fields(fake, fake.containers[object_id],
                                    str(params.get("fields") or "status"))
        post = owned_post(fake, object_id)
        return {"id": post.id, "permalink": fake.permalink(post),
                "timestamp": graph_time(post.created), "text": post.text,
                "caption": post.text, "message": post.text, **post.counters}
    if len(segments) == 1 and method == "DELETE":
        post = owned_post(fake, object_id)
        if post.owner != tok.owner:
            raise Fail("(#200) Permissions error", 200, status=403)
        post.deleted = True
        return {"success": True}
    if segments[1:] == ["insights"] and method == "GET":
        post = owned_post(fake, object_id)
        names = str(params.get("metric") or "").split(",")
        return {"data": [{"name": n, "period": "lifetime",
                          "values": [{"value": post.counters.get(n, 0)}],
                          "title": n.title(), "id": f"{post.id}/insights/{n}/lifetime"}
                         for n in names if n]}
    if segments[1:] == ["comments"]:
        parent = owned_post(fake, object_id)
        if method == "POST":
            need(fake, tok, {"facebook": "pages_manage_engagement",
                             "instagram": "instagram_business_manage_comments",
                             "threads": "threads_manage_replies"}[fake.platform])
            text = str(params.get("message") or "")
            if not text:
                raise Fail("(#100) The parameter message is required", 100)
            post = fake.new_post(tok.owner, text, reply_to=parent.id, kind="comment")
            return {"id": post.id}
        comments = [p for p in fake.posts_by_id.values()
                    if p.reply_to == parent.id and p.kind == "comment"]
        return listing(comments, params, lambda p: {
            "id": p.id, "text": p.text, "message": p.text,
            "timestamp": graph_time(p.created), "created_time": graph_time(p.created),
            "from": {"id": p.owner}})
    raise Fail(f"Unknown path components: /{'/'.join(segments[1:])}", 2500)




