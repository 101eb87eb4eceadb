"""A fake LinkedIn (Posts, Images, socialActions, OAuth, userinfo) over real HTTP.

Follows PLATFORMS.md §2.4: ``/rest/*`` calls need ``LinkedIn-Version`` and
``X-Restli-Protocol-Version: 2.0.0``; ``POST /rest/posts`` answers 201 with
the URN in ``x-restli-id`` and — like LinkedIn — **silently truncates the
commentary at the first unescaped reserved character** (hashtags and
``@[Name](urn)`` mentions are syntax, not truncation points). Organization
authors need ``w_organization_social``; error bodies are
``{"status","serviceErrorCode","code","message"}``; daily quotas are 429s.
Tokens last 60 days; a refresh token exists only when the app was granted one.
"""

from __future__ import annotations

import itertools
import re
import secrets
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from socialhub.platforms.base import AccountInfo, AppCredentials, MediaItem, Tokens
from tests.fakes.consent import Consent
from tests.fakes.plumbing import JsonFakeServer, Reply, Request
from tests.fakes.x import PNG_1x1

RESERVED = set("\\|{}@[]()<>#*_~")
_MENTION = re.compile(r"@\[([^\[\]()\\]+)\]\((urn:li:(?:person|organization):[\w-]+)\)")
_HASHTAG = re.compile(r"#([^\W_]+)")
SIXTY_DAYS = 60 * 24 * 3600


def render_little(commentary: str) -> str:
    """What LinkedIn shows for little text: escapes resolved, cut at a stray reserved char."""
    out: list[str] = []
    pos = 0
    while pos < len(commentary):
        ch = commentary[pos]
        if ch == "\\" and pos + 1 < len(commentary):
            out.append(commentary[pos + 1])
            pos += 2
            continue
        if ch == "@" and (m := _MENTION.match(commentary, pos)):
            out.append(m.group(1))
            pos = m.end()
            continue
        if ch == "#" and (m := _HASHTAG.match(commentary, pos)) and (
                pos == 0 or not commentary[pos - 1].isalnum()):
            out.append(m.group(0))
            pos = m.end()
            continue
        if ch in RESERVED:
            break  # the documented failure: 201, but the rest of the post is gone
        out.append(ch)
        pos += 1
    return "".join(out)


def error(status: int, code: str, message: str, service: int = 100) -> Reply:
    """LinkedIn's error body."""
    return Reply(status, {"status": status, "serviceErrorCode": service, "code": code,
                          "message": message})


@dataclass
class Member:
    id: str
    name: str
    email: str


@dataclass
class Grant:
    member_id: str
    scopes: list[str]
    expires_at: float


class FakeLinkedIn(JsonFakeServer):
    """A local LinkedIn API: ``start_fake()``, then ``account()`` or ``add_member()``."""

    platform = "linkedin"
    CLIENT_ID = "fake-li-client"
    CLIENT_SECRET = "fake-li-secret"

    def __init__(self) -> None:
        super().__init__()
        self.members: dict[str, Member] = {}
        self.access: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.codes: dict[str, Grant] = {}
        self.admin_of: dict[str, set[str]] = {}
        self.post_list: list[dict[str, Any]] = []
        self.images: dict[str, dict[str, Any]] = {}
        self.comments: list[dict[str, Any]] = []
        self.failures: list[tuple[int, bool]] = []
        self.quota_left: int | None = None  # None: unlimited; 0: the daily quota is spent
        self.quota_spent_next = 0
        self._ids = itertools.count(7_100_000_000_000_000_001)
        self.consent = Consent(self.CLIENT_ID)  # LinkedIn's 3-legged flow has no PKCE

    # -- control ------------------------------------------------------------
    def add_member(self, name: str = "Jane Doe", *, scopes: list[str] | None = None,
                   with_refresh: bool = False) -> tuple[Member, Tokens]:
        with self.lock:
            member = Member(secrets.token_hex(5), name, f"{name.split()[0].lower()}@example.com")
            self.members[member.id] = member
            return member, self._issue(member.id, scopes or ["openid", "profile", "email",
                                                             "w_member_social"], with_refresh)

    def _issue(self, member_id: str, scopes: list[str], with_refresh: bool) -> Tokens:
        access = secrets.token_urlsafe(20)
        self.access[access] = Grant(member_id, scopes, time.time() + SIXTY_DAYS)
        refresh = None
        if with_refresh:
            refresh = secrets.token_urlsafe(20)
            self.refresh_tokens[refresh] = Grant(member_id, scopes, 0)
        return Tokens(access_token=access, refresh_token=refresh, scopes=list(scopes))

    def add_code(self, member_id: str) -> str:
        code = secrets.token_urlsafe(10)
        with self.lock:
            self.codes[code] = Grant(member_id, ["openid", "profile", "email",
                                                 "w_member_social"], 0)
        return code

    def account(self) -> tuple[AccountInfo, Tokens, AppCredentials]:
        # The contract's account can be refreshed (a partner app with a refresh grant).
        member, tokens = self.add_member(with_refresh=True)
        info = AccountInfo(account_id=1, platform="linkedin", handle=member.email,
                           external_id=member.id, base_url=self.url)
        return info, tokens, AppCredentials(self.CLIENT_ID, self.CLIENT_SECRET)

    def sample_media(self) -> list[MediaItem]:
        path = Path(tempfile.mkdtemp(prefix="fake-li-")) / "dot.png"
        path.write_bytes(PNG_1x1)
        return [MediaItem(path=path, mime="image/png", alt_text="a single dot")]

    def posts(self) -> list[dict[str, Any]]:
        with self.lock:
            return [{"id": p["id"], "text": p["shown"], "reply_to": None, **p,
                     "media": [{"id": i["id"], "alt": i.get("altText")} for i in p["images"]]}
                    for p in self.post_list if not p["deleted"]]

    def fail_next(self, status: int, *, after_create: bool = False) -> None:
        with self.lock:
            self.failures.append((status, after_create))

    def rate_limit_next(self, reset_in_s: int = 60) -> None:
        # LinkedIn's signal carries no reset time: the adapter waits for midnight UTC.
        with self.lock:
            self.quota_spent_next += 1

    def expire_access_tokens(self) -> None:
        with self.lock:
            for grant in self.access.values():
                grant.expires_at = 0

    def revoke(self) -> None:
        with self.lock:
            for token in list(self.access):
                self.access[token].expires_at = -1  # -1: revoked, 0: expired
            self.refresh_tokens.clear()

    # -- dispatch -------------------------------------------------------------
    def handle(self, request: Request) -> Reply:
        with self.lock:
            return self._route(request)

    def _route(self, request: Request) -> Reply:
        if request.path == "/oauth/v2/accessToken" and request.method == "POST":
            return self._token(request)
        if request.path == "/oauth/v2/authorization" and request.method == "GET":
            return self._authorize(request)
        if request.path.startswith("/rest/"):
            if not re.fullmatch(r"\d{6}", request.headers.get("linkedin-version", "")):
                return error(400, "VERSION_MISSING", "A version must be present. Please "
                             "specify a version by adding the LinkedIn-Version header.")
            if request.headers.get("x-restli-protocol-version") != "2.0.0":
                return error(400, "ILLEGAL_ARGUMENT", "X-Restli-Protocol-Version 2.0.0 required")
        auth = request.headers.get("authorization", "")
        grant = self.access.get(auth.removeprefix("Bearer "))
        if grant is None or grant.expires_at < 0:
            return error(401, "REVOKED_ACCESS_TOKEN", "The token used in the request has been "
                         "revoked by the user", 65601)
        if grant.expires_at < time.time():
            return error(401, "EXPIRED_ACCESS_TOKEN", "The token used in the request has "
                         "expired", 65602)
        if self.quota_spent_next or self.quota_left == 0:
            self.quota_spent_next = max(0, self.quota_spent_next - 1)
            return error(429, "TOO_MANY_REQUESTS", "Resource level throttle APPLICATION "
                         "DAY limit for calls to this resource is reached.", 101)
        if self.quota_left is not None:
            self.quota_left -= 1
        routes: list[tuple[str, str, Callable[..., Reply]]] = [
            ("GET", r"/v2/userinfo", self._userinfo),
            ("POST", r"/rest/posts", self._create),
            ("GET", r"/rest/posts", self._find),
            ("DELETE", r"/rest/posts/(.+)", self._delete),
            ("POST", r"/rest/images", self._init_upload),
            ("PUT", r"/upload/(.+)", self._put_upload),
            ("POST", r"/rest/socialActions/(.+)/comments", self._comment),
            ("GET", r"/rest/socialActions/(.+)", self._social),
        ]
        for method, pattern, handler in routes:
            match = re.fullmatch(pattern, request.path)
            if match and method == request.method:
                return handler(request, grant, *(unquote(g) for g in match.groups()))
        return error(404, "NOT_FOUND", "Not Found", 0)

    def _authorize(self, request: Request) -> Reply:
        """The consent page, approving at once as the first member (made if there is none)."""
        query = request.query
        refused = self.consent.refuse(query)
        if refused:
            return error(400, "INVALID_REQUEST", refused)
        member = next(iter(self.members.values()), None) or self.add_member()[0]
        code = self.add_code(member.id)
        if query.get("scope"):
            self.codes[code].scopes = query["scope"].split()
        return Reply(302, headers={"Location": self.consent.approve(query, code)})

    def _token(self, request: Request) -> Reply:
        form = request.params
        if (form.get("client_id"), form.get("client_secret")) != (self.CLIENT_ID,
                                                                   self.CLIENT_SECRET):
            return Reply(401, {"error": "invalid_client", "error_description": "Client "
                               "authentication failed"})
        if form.get("grant_type") == "authorization_code":
            code = str(form.get("code"))
            grant = None if self.consent.redeem(code, form) else self.codes.get(code)
            self.codes.pop(code, None)
        elif form.get("grant_type") == "refresh_token":
            grant = self.refresh_tokens.get(str(form.get("refresh_token")))
        else:
            grant = None
        if grant is None:
            return Reply(400, {"error": "invalid_grant", "error_description": "The provided "
                               "authorization grant or refresh token is invalid, expired or "
                               "revoked"})
        tokens = self._issue(grant.member_id, grant.scopes, False)
        body: dict[str, Any] = {"access_token": tokens.access_token, "expires_in": SIXTY_DAYS,
                                "scope": ",".join(grant.scopes)}
        if form.get("grant_type") == "refresh_token":  # same refresh token, same fixed window
            body.update(refresh_token=form["refresh_token"], refresh_token_expires_in=86400 * 300)
        return Reply(200, body)

    def _userinfo(self, request: Request, grant: Grant) -> Reply:
        member = self.members[grant.member_id]
        return Reply(200, {"sub": member.id, "name": member.name, "email": member.email,
                           "given_name": member.name.split()[0], "email_verified": True})

    def _may_author(self, grant: Grant, author: str) -> str | None:
        if author == f"urn:li:person:{grant.member_id}":
            return None if "w_member_social" in grant.scopes else "w_member_social"
        org = author.removeprefix("urn:li:organization:")
        if author.startswith("urn:li:organization:") and org in self.admin_of.get(
                grant.member_id, set()) and "w_organization_social" in grant.scopes:
            return None
        return "w_organization_social"

    def _create(self, request: Request, grant: Grant) -> Reply:
        body = request.params
        missing = self._may_author(grant, str(body.get("author")))
        if missing:
            return error(403, "ACCESS_DENIED", "Not enough permissions to access: "
                         "partnerApiPostsExternal.CREATE.20260101")
        failure = self.failures.pop(0) if self.failures else None
        if failure and not failure[1]:
            return error(failure[0], "INTERNAL_SERVER_ERROR", "Internal Server Error", 0)
        commentary = str(body.get("commentary") or "")
        if len(commentary) > 3000:
            return error(422, "UNPROCESSABLE_ENTITY", f"ERROR :: /commentary :: length of "
                         f"{len(commentary)} exceeds maximum 3000", 0)
        content = body.get("content") or {}
        images = ([content["media"]] if "media" in content
                  else (content.get("multiImage") or {}).get("images") or [])
        for image in images:
            stored = self.images.get(image.get("id"))
            if stored is None or stored["bytes"] is None:
                return error(422, "UNPROCESSABLE_ENTITY", f"ERROR :: /content/media/id :: "
                             f"{image.get('id')} is not uploaded", 0)
        urn = f"urn:li:share:{next(self._ids)}"
        self.post_list.append({"id": urn, "author": body["author"], "commentary": commentary,
                               "shown": render_little(commentary), "images": images,
                               "created": int(time.time() * 1000), "deleted": False})
        if failure:
            return error(failure[0], "INTERNAL_SERVER_ERROR", "Internal Server Error", 0)
        return Reply(201, None, headers={"x-restli-id": urn})

    def _find(self, request: Request, grant: Grant) -> Reply:
        author = request.query.get("author")
        found = [{"id": p["id"], "author": p["author"], "commentary": p["commentary"],
                  "createdAt": p["created"], "lifecycleState": "PUBLISHED"}
                 for p in reversed(self.post_list) if p["author"] == author and not p["deleted"]]
        return Reply(200, {"elements": found[:int(request.query.get("count") or 10)],
                           "paging": {"start": 0, "count": 10}})

    def _delete(self, request: Request, grant: Grant, urn: str) -> Reply:
        post = next((p for p in self.post_list if p["id"] == urn and not p["deleted"]), None)
        if post is None:
            return error(404, "NOT_FOUND", f"Not Found: {urn}", 0)
        post["deleted"] = True
        return Reply(204)

    def _init_upload(self, request: Request, grant: Grant) -> Reply:
        if request.query.get("action") != "initializeUpload":
            return error(400, "ILLEGAL_ARGUMENT", "unknown action", 0)
        owner = (request.params.get("initializeUploadRequest") or {}).get("owner")
        if self._may_author(grant, str(owner)):
            return error(403, "ACCESS_DENIED", "Not enough permissions to access: "
                         "images.ACTION.20260101")
        image = f"urn:li:image:C4E10AQ{secrets.token_hex(6)}"
        self.images[image] = {"owner": owner, "bytes": None}
        return Reply(200, {"value": {"uploadUrlExpiresAt": int(time.time() * 1000) + 3_600_000,
                                     "uploadUrl": f"{self.url}/upload/{image}",
                                     "image": image}})

    def _put_upload(self, request: Request, grant: Grant, image: str) -> Reply:
        if image not in self.images:
            return error(404, "NOT_FOUND", "Not Found", 0)
        self.images[image]["bytes"] = request.raw
        return Reply(201)

    def _comment(self, request: Request, grant: Grant, urn: str) -> Reply:
        if not any(p["id"] == urn and not p["deleted"] for p in self.post_list):
            return error(404, "NOT_FOUND", f"Not Found: {urn}", 0)
        comment_id = next(self._ids)
        self.comments.append({"on": urn, "actor": request.params.get("actor"),
                              "text": (request.params.get("message") or {}).get("text")})
        comment_urn = f"urn:li:comment:({urn},{comment_id})"
        return Reply(201, {"$URN": comment_urn}, headers={"x-restli-id": comment_urn})

    def _social(self, request: Request, grant: Grant, urn: str) -> Reply:
        if not any(p["id"] == urn and not p["deleted"] for p in self.post_list):
            return error(404, "NOT_FOUND", f"Not Found: {urn}", 0)
        comments = sum(1 for c in self.comments if c["on"] == urn)
        return Reply(200, {"likesSummary": {"totalLikes": 5, "likedByCurrentUser": False},
                           "commentsSummary": {"aggregatedTotalComments": comments},
                           "target": urn})


def start_fake() -> FakeLinkedIn:
    """Start a fake LinkedIn on a free loopback port."""
    return FakeLinkedIn()
