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

``JsonFakeServer`` (the HTTP plumbing) is reused by the LinkedIn fake.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import html
import itertools
import json
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from twitter_text import parse_tweet

from socialhub.platforms.base import AccountInfo, AppCredentials, MediaItem, Tokens
from tests.fakes.consent import Consent

_URL_RE = re.compile(r"https?://[^\s<>\"']+")
PNG_1x1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f0d6b60000000049454e44ae426082")


@dataclass
class Request:
    """One request as the fake saw it (tests assert on these)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    params: dict[str, Any]
    files: dict[str, dict[str, Any]]
    raw: bytes


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


class JsonFakeServer:
    """A ThreadingHTTPServer on 127.0.0.1:0 that hands each parsed request to ``handle``."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.requests: list[Request] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _any(self) -> None:
                request = _parse(self)
                with server.lock:
                    server.requests.append(request)
                reply = server.handle(request)
                data = reply.raw if reply.raw is not None else (
                    b"" if reply.body is None else json.dumps(reply.body).encode())
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _any

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True).start()

    def handle(self, request: Request) -> Reply:
        raise NotImplementedError

    def stop(self) -> None:
        """Shut the server down."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def calls(self, method: str, path: str) -> list[Request]:
        """Requests seen with this method and path."""
        with self.lock:
            return [r for r in self.requests if r.method == method and r.path == path]


def _parse(handler: BaseHTTPRequestHandler) -> Request:
    url = urlsplit(handler.path)
    query = {k: v[-1] for k, v in parse_qs(url.query).items()}
    length = int(handler.headers.get("Content-Length") or 0)
    raw = handler.rfile.read(length) if length else b""
    ctype = handler.headers.get("Content-Type") or ""
    params: dict[str, Any] = {}
    files: dict[str, dict[str, Any]] = {}
    if raw and ctype.startswith("application/json"):
        params = json.loads(raw)
    elif raw and ctype.startswith("application/x-www-form-urlencoded"):
        params = {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
    elif raw and ctype.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {ctype}\r\n\r\n".encode() + raw)
        for part in message.iter_parts():
            name = str(part.get_param("name", header="content-disposition"))
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            if part.get_filename():
                files[name] = {"filename": part.get_filename(), "bytes": payload,
                               "mime": part.get_content_type()}
            else:
                params[name] = payload.decode()
    headers = {k.lower(): v for k, v in handler.headers.items()}
    return Request(handler.command, url.path, query, headers, params, files, raw)


def problem(status: int, title: str, detail: str, kind: str = "about:blank",
            **extra: Any) -> dict[str, Any]:
    """An RFC 7807 problem body as X sends it."""
    return {"title": title, "detail": detail, "type": kind, "status": status, **extra}


@dataclass
class XUser:
    id: str
    username: str
    name: str


@dataclass
class Grant:
    user_id: str
    scopes: list[str]
    expires_at: float


class FakeX(JsonFakeServer):
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
        self._ids = itertools.count(1_880_000_000_000_000_001)
        self.consent = Consent(self.CLIENT_ID, pkce=True)

    # -- control ------------------------------------------------------------
    def next_id(self) -> str:
        return str(next(self._ids))

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

    def _me(self, request: Request, grant: Grant) -> Reply:
        user = self.users[grant.user_id]
        return Reply(200, {"data": {"id": user.id, "name": user.name,
                                    "username": user.username}})

    def _failure(self) -> tuple[int, bool] | None:
        return self.failures.pop(0) if self.failures else None

    def _create(self, request: Request, grant: Grant) -> Reply:
        if "tweet.write" not in grant.scopes:
            return Reply(403, problem(403, "Forbidden", "You are not permitted to perform this "
                                      "action.", "https://api.x.com/2/problems/client-forbidden"))
        failure = self._failure()
        if failure and not failure[1]:
            return Reply(failure[0], _status_problem(failure[0]))
        body = request.params
        text = str(body.get("text") or "")
        media_ids = [str(m) for m in (body.get("media") or {}).get("media_ids") or []]
        parsed = parse_tweet(text)
        if (not text and not media_ids) or (text and not parsed.valid):
            return Reply(400, {"errors": [{"parameters": {"text": [text[:20]]},
                                           "message": "Your Tweet text is too long."}],
                               "title": "Invalid Request", "detail": "One or more parameters to "
                               "your request was invalid.",
                               "type": "https://api.x.com/2/problems/invalid-request"})
        for tweet in self.tweets.values():
            if (tweet["author"] == grant.user_id and tweet["text"] == text
                    and not tweet["deleted"]):
                return Reply(403, problem(403, "Forbidden", "You are not allowed to create a "
                                          "Tweet with duplicate content."))
        for media_id in media_ids:
            media = self.media.get(media_id)
            if media is None or media["state"] != "succeeded":
                return Reply(400, problem(400, "Invalid Request", f"Your media IDs are invalid: "
                                          f"{media_id}", "https://api.x.com/2/problems/"
                                          "invalid-request"))
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if reply_to is not None and reply_to not in self.tweets:
            return Reply(400, problem(400, "Invalid Request", "The replied-to tweet does not "
                                      "exist", "https://api.x.com/2/problems/invalid-request"))
        tweet_id = self.next_id()
        self.tweets[tweet_id] = {
            "id": tweet_id, "text": text, "author": grant.user_id, "reply_to": reply_to,
            "media_ids": media_ids, "deleted": False,
            "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "metrics": {"like_count": 3, "reply_count": 1, self.metrics_field: 2,
                        "quote_count": 0, "bookmark_count": 1, "impression_count": 40}}
        if failure:
            return Reply(failure[0], _status_problem(failure[0]))
        return Reply(201, {"data": {"id": tweet_id, "text": text,
                                    "edit_history_tweet_ids": [tweet_id]}})

    def render(self, tweet: dict[str, Any]) -> dict[str, Any]:
        """A post as the API returns it: t.co links (with entities), HTML entities, media link."""
        urls: list[dict[str, Any]] = []

        def shorten(match: re.Match[str]) -> str:
            short = f"https://t.co/{secrets.token_hex(5)}"
            urls.append({"url": short, "expanded_url": match.group(0),
                         "display_url": match.group(0).split("://", 1)[1][:25]})
            return short

        text = _URL_RE.sub(shorten, tweet["text"])
        if tweet["media_ids"]:
            short = f"https://t.co/{secrets.token_hex(5)}"
            text += f" {short}"
            urls.append({"url": short, "expanded_url": f"https://x.com/i/{tweet['id']}/photo/1",
                         "display_url": "pic.x.com/abc", "media_key": f"3_{tweet['media_ids'][0]}"})
        data: dict[str, Any] = {"id": tweet["id"], "text": html.escape(text, quote=False),
                                "created_at": tweet["created_at"], "entities": {"urls": urls},
                                "edit_history_tweet_ids": [tweet["id"]]}
        if tweet["reply_to"]:
            data["referenced_tweets"] = [{"type": "replied_to", "id": tweet["reply_to"]}]
        return data

    def _lookup(self, request: Request, grant: Grant, tweet_id: str) -> Reply:
        tweet = self.tweets.get(tweet_id)
        if tweet is None or tweet["deleted"]:
            return Reply(200, {"errors": [{
                "value": tweet_id, "detail": f"Could not find tweet with id: [{tweet_id}].",
                "title": "Not Found Error", "resource_type": "tweet", "parameter": "id",
                "resource_id": tweet_id, "type": "https://api.x.com/2/problems/resource-not-found"}]})
        data = self.render(tweet)
        if "public_metrics" in request.query.get("tweet.fields", ""):
            data["public_metrics"] = dict(tweet["metrics"])
        return Reply(200, {"data": data})

    def _delete(self, request: Request, grant: Grant, tweet_id: str) -> Reply:
        tweet = self.tweets.get(tweet_id)
        if tweet is None or tweet["deleted"] or tweet["author"] != grant.user_id:
            return Reply(404, problem(404, "Not Found Error", "Not found",
                                      "https://api.x.com/2/problems/resource-not-found"))
        tweet["deleted"] = True
        return Reply(200, {"data": {"deleted": True}})

    def _timeline(self, request: Request, grant: Grant, user_id: str) -> Reply:
        limit = int(request.query.get("max_results") or 10)
        start = request.query.get("start_time")
        tweets = [self.render(t) for t in reversed(list(self.tweets.values()))
                  if t["author"] == user_id and not t["deleted"]
                  and (start is None or t["created_at"][:19] >= start[:19])]
        body: dict[str, Any] = {"meta": {"result_count": min(len(tweets), limit)}}
        if tweets:
            body["data"] = tweets[:limit]
        return Reply(200, body)

    def _upload(self, request: Request, grant: Grant) -> Reply:
        if "media.write" not in grant.scopes:
            return Reply(403, problem(403, "Forbidden", "You are not permitted to perform this "
                                      "action.", "https://api.x.com/2/problems/client-forbidden"))
        params, command = request.params, request.params.get("command")
        if command is None:  # simple upload: images only
            upload = request.files.get("media")
            if upload is None:
                return Reply(400, problem(400, "Invalid Request", "media is required"))
            if len(upload["bytes"]) > 5_000_000:
                return Reply(400, problem(400, "Invalid Request", "File size exceeds 5242880 "
                                          "bytes.", "https://api.x.com/2/problems/"
                                          "invalid-request"))
            media_id = self.next_id()
            self.media[media_id] = {"state": "succeeded", "bytes": upload["bytes"],
                                    "category": params.get("media_category"), "alt": None}
            return Reply(200, {"data": {"id": media_id, "media_key": f"3_{media_id}",
                                        "size": len(upload["bytes"]),
                                        "expires_after_secs": 86400}})
        if command == "INIT":
            media_id = self.next_id()
            self.media[media_id] = {"state": "init", "bytes": b"", "segments": {},
                                    "total": int(params["total_bytes"]), "alt": None,
                                    "category": params.get("media_category"),
                                    "type": params.get("media_type"), "polls": 0}
            return Reply(200, {"data": {"id": media_id, "media_key": f"7_{media_id}",
                                        "expires_after_secs": 86400}})
        media = self.media.get(str(params.get("media_id")))
        if media is None:
            return Reply(400, problem(400, "Invalid Request", "Invalid media_id"))
        if command == "APPEND":
            media["segments"][int(params["segment_index"])] = request.files["media"]["bytes"]
            return Reply(204)
        if command == "FINALIZE":
            data = b"".join(media["segments"][i] for i in sorted(media["segments"]))
            if len(data) != media["total"]:
                return Reply(400, problem(400, "Invalid Request", "Segments do not add up to "
                                          "provided total file size."))
            media["bytes"], media["polls"] = data, self.processing_polls
            media["state"] = "pending" if self.processing_polls else "succeeded"
            info = ({"processing_info": {"state": "pending", "check_after_secs": 1}}
                    if self.processing_polls else {})
            return Reply(200, {"data": {"id": params["media_id"], "size": len(data),
                                        "expires_after_secs": 86400, **info}})
        return Reply(400, problem(400, "Invalid Request", f"unknown command {command}"))

    def _status(self, request: Request, grant: Grant) -> Reply:
        media = self.media.get(request.query.get("media_id", ""))
        if media is None or request.query.get("command") != "STATUS":
            return Reply(400, problem(400, "Invalid Request", "Invalid media_id"))
        if media["state"] == "pending":
            media["polls"] -= 1
            state = "in_progress" if media["polls"] > 0 else "succeeded"
            media["state"] = "succeeded" if state == "succeeded" else "pending"
        info = {"state": "succeeded" if media["state"] == "succeeded" else "in_progress",
                "check_after_secs": 1, "progress_percent": 100}
        return Reply(200, {"data": {"id": request.query["media_id"], "processing_info": info}})

    def _metadata(self, request: Request, grant: Grant) -> Reply:
        body = request.params
        media = self.media.get(str(body.get("id")))
        alt = ((body.get("metadata") or {}).get("alt_text") or {}).get("text")
        if media is None or not alt or len(alt) > 1000:
            return Reply(400, problem(400, "Invalid Request", "Invalid media metadata"))
        media["alt"] = alt
        return Reply(200, {"data": {"id": body["id"], "associated_metadata": True}})


def _status_problem(status: int) -> dict[str, Any]:
    phrase = HTTPStatus(status).phrase
    return problem(status, phrase, phrase)


SCOPES_ALL = ("tweet.read", "tweet.write", "users.read", "media.write", "offline.access")


def start_fake() -> FakeX:
    """Start a fake X API on a free loopback port."""
    return FakeX()
