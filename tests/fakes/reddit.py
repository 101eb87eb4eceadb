"""A fake Reddit over real HTTP: OAuth on the same host, submissions, comments, listings.

It follows PLATFORMS.md §1b/§2.8: the token endpoint takes HTTP Basic client
auth and answers a bad grant with **200** ``{"error": "invalid_grant"}``;
access tokens last an hour and the permanent refresh token is not rotated;
``/api/submit`` and ``/api/comment`` report throttling and validation as
**HTTP 200** with ``json.errors`` triples; expired tokens get 401
``{"message": "Unauthorized", "error": 401}``, a missing scope 403 with
``WWW-Authenticate: … error="insufficient_scope"``; every answer carries
``X-Ratelimit-Used/Remaining/Reset`` (seconds until reset) and a 429 when
spent. Requests without a unique User-Agent are refused, as Reddit throttles them.

The inbox (scope ``privatemessages``): a comment answering a user's post or comment
lands in their ``/message/inbox`` as ``post_reply`` / ``comment_reply``, a ``u/name``
in a comment as ``username_mention``, a private message (``t4_``) as itself; listings
``/message/inbox|unread|comments|mentions|messages|sent`` are newest first and page
with ``limit``, ``after`` and ``before`` (fullnames), ``data.after`` naming the next page.
``/api/comment`` with a ``t4_`` ``thing_id`` answers a message.
"""

from __future__ import annotations

import base64
import itertools
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from socialhub.platforms.base import AccountInfo, AppCredentials, MediaItem, Tokens
from tests.fakes.consent import Consent
from tests.fakes.controls import GrantControls
from tests.fakes.plumbing import LoopbackServer, QuietHandler, form_fields, query_fields

CLIENT_ID = "fake-reddit-client"
CLIENT_SECRET = "fake-reddit-secret"
ALL_SCOPES = ("identity", "submit", "read", "edit", "history", "privatemessages")
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _b36(number: int) -> str:
    out = ""
    while number:
        number, digit = divmod(number, 36)
        out = _BASE36[digit] + out
    return out or "0"


@dataclass
class Grant:
    user: str
    scopes: set[str]
    expires_at: float


@dataclass
class Subreddit:
    name: str
    allows: str = "any"  # "any" | "self" | "link"
    banned: set[str] = field(default_factory=set)


class FakeReddit(GrantControls):
    """A local Reddit: ``start()`` it, point an adapter at ``url`` (API and OAuth host)."""

    platform = "reddit"

    def __init__(self) -> None:
        self.users: dict[str, str] = {}  # name → base36 id
        self.subreddits: dict[str, Subreddit] = {"socialhub_test": Subreddit("socialhub_test")}
        self.things: dict[str, dict[str, Any]] = {}  # fullname → thing
        self.access: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.codes: dict[str, Grant] = {}
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.RLock()
        self.fail_next_status: int | None = None
        self.fail_after_create = False
        self.ratelimit_in_body_next = 0
        self.rate_limit_reset_s: int | None = None
        self.ratelimit_remaining = 97.0  # what X-Ratelimit-Remaining says on success
        self.inboxes: dict[str, list[dict[str, Any]]] = {}  # user → entries, oldest first
        self._last_created = 0.0
        self._ids = itertools.count(36 ** 5)
        self.consent = Consent(CLIENT_ID)  # Reddit's code flow has no PKCE
        server = LoopbackServer(self, _Handler)
        self._httpd, self.url = server.httpd, server.url  # GrantControls.stop shuts _httpd
        server.start()

    # -- FakePlatform ------------------------------------------------------------
    def account(self) -> tuple[AccountInfo, Tokens, AppCredentials]:
        """A connected user with every scope; the account posts to r/socialhub_test."""
        user = f"user{len(self.users) + 1}"
        access, refresh = self.add_user(user)
        info = AccountInfo(account_id=len(self.users), platform="reddit", handle=user,
                           external_id=f"t2_{self.users[user]}", base_url=self.url,
                           settings={"subreddit": "socialhub_test"})
        return info, Tokens(access_token=access, refresh_token=refresh), self.app()

    def sample_media(self) -> list[MediaItem]:
        """Reddit media is a URL: the post becomes a link post to it (no alt text)."""
        return [MediaItem(url="https://img.example/sunset.jpg", mime="image/jpeg")]

    def posts(self) -> list[dict[str, Any]]:
        """Live submissions and comments, oldest first (a submission's text is title + body)."""
        with self.lock:
            # ``id`` is the fullname (what the adapter reports); ``base36`` Reddit's short id.
            return [{**{k: v for k, v in t.items() if not k.startswith("_")},
                     "base36": t["id"], "id": t["name"], "text": t["_text"],
                     "reply_to": t.get("parent_id")}
                    for t in self.things.values() if not t["_deleted"]]

    # -- helpers ----------------------------------------------------------------
    @staticmethod
    def app() -> AppCredentials:
        return AppCredentials(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)

    def add_user(self, name: str, scopes: tuple[str, ...] = ALL_SCOPES) -> tuple[str, str]:
        """Create a user with a grant; returns (access token, refresh token)."""
        with self.lock:
            self.users.setdefault(name, _b36(next(self._ids)))
            refresh = secrets.token_urlsafe(16)
            self.refresh_tokens[refresh] = Grant(name, set(scopes), 0)
            return self.issue_access(self.refresh_tokens[refresh]), refresh

    def issue_access(self, grant: Grant) -> str:
        token = secrets.token_urlsafe(16)
        self.access[token] = Grant(grant.user, set(grant.scopes), time.time() + 3600)
        return token

    def issue_code(self, user: str, scopes: tuple[str, ...] = ALL_SCOPES) -> str:
        """An authorization code, as the authorize page would redirect with."""
        with self.lock:
            self.users.setdefault(user, _b36(next(self._ids)))
            code = secrets.token_urlsafe(8)
            self.codes[code] = Grant(user, set(scopes), 0)
            return code

    def next_id(self) -> str:
        return _b36(next(self._ids))

    def created(self) -> float:
        """A ``created_utc`` one second after the last (Reddit's are whole seconds)."""
        with self.lock:
            self._last_created = max(float(int(time.time())), self._last_created + 1)
            return self._last_created

    def add_comment(self, author: str, parent_name: str, text: str) -> dict[str, Any]:
        """``author`` comments under ``parent_name`` (a t3_ post or t1_ comment); the
        parent's author and every ``u/name`` in the text are notified in their inboxes."""
        with self.lock:
            self.users.setdefault(author, _b36(next(self._ids)))
            parent = self.things[parent_name]
            link = parent if parent["name"].startswith("t3_") else self.things[
                parent["link_id"]]
            base36 = self.next_id()
            comment = {
                "name": f"t1_{base36}", "id": base36, "body": text,
                "parent_id": parent["name"], "link_id": link["name"],
                "subreddit": link["subreddit"], "author": author,
                "permalink": f"{link['permalink']}{base36}/",
                "created_utc": self.created(), "score": 1, "ups": 1,
                "_deleted": False, "_text": text,
            }
            self.things[comment["name"]] = comment
            link["num_comments"] += 1
            notified = set()
            if parent["author"] != author:
                kind = "post_reply" if parent["name"].startswith("t3_") else "comment_reply"
                self._notify(parent["author"], comment, link, kind)
                notified.add(parent["author"])
            for user in re.findall(r"(?<![\w/])/?u/([\w-]+)", text):
                if user != author and user not in notified and user in self.users:
                    self._notify(user, comment, link, "username_mention")
                    notified.add(user)
            return comment

    def _notify(self, user: str, comment: dict[str, Any], link: dict[str, Any],
                kind: str) -> None:
        subject = {"post_reply": "post reply", "comment_reply": "comment reply",
                   "username_mention": "username mention"}[kind]
        self.inboxes.setdefault(user, []).append({"kind": "t1", "data": {
            "name": comment["name"], "id": comment["id"], "author": comment["author"],
            "body": comment["body"], "created_utc": comment["created_utc"],
            "context": f"{comment['permalink']}?context=3", "parent_id": comment["parent_id"],
            "subreddit": comment["subreddit"], "link_title": link.get("title"),
            "was_comment": True, "type": kind, "subject": subject, "new": True,
            "dest": user}})

    def send_message(self, author: str, to: str, subject: str, text: str,
                     parent: str | None = None) -> str:
        """A private message (``t4_``) from ``author`` to ``to``; ``parent`` answers one."""
        with self.lock:
            self.users.setdefault(author, _b36(next(self._ids)))
            base36 = self.next_id()
            first = (self.things[parent]["first_message_name"] or parent) if parent else None
            name = f"t4_{base36}"
            message: dict[str, Any] = {"name": name, "id": base36, "author": author, "dest": to,
                       "subject": subject, "body": text, "created_utc": self.created(),
                       "parent_id": parent, "first_message_name": first,
                       "context": "", "was_comment": False, "new": True,
                       "_deleted": False, "_text": text}
            self.things[name] = message
            self.inboxes.setdefault(to, []).append({"kind": "t4", "data": {
                k: v for k, v in message.items() if not k.startswith("_")}})
            return name

    def message_listing(self, user: str, where: str) -> list[dict[str, Any]]:
        """``/message/<where>`` of ``user``, newest first."""
        entries: list[dict[str, Any]]
        with self.lock:
            if where == "sent":
                entries = [{"kind": "t4", "data": {k: v for k, v in t.items()
                                                   if not k.startswith("_")}}
                           for t in self.things.values()
                           if t["name"].startswith("t4_") and t["author"] == user]
            else:
                entries = list(self.inboxes.get(user, []))
        keep: dict[str, Callable[[dict[str, Any]], Any]] = {
                "inbox": lambda e: True, "unread": lambda e: e["data"].get("new"),
                "comments": lambda e: e["data"].get("type") in ("post_reply",
                                                                "comment_reply"),
                "mentions": lambda e: e["data"].get("type") == "username_mention",
                "messages": lambda e: e["kind"] == "t4", "sent": lambda e: True}
        entries = [e for e in entries if keep[where](e)]
        entries.sort(key=lambda e: (e["data"]["created_utc"], e["data"]["name"]), reverse=True)
        return entries

    def live(self, kind: str) -> list[dict[str, Any]]:
        with self.lock:
            return [t for t in self.things.values()
                    if t["name"].startswith(kind) and not t["_deleted"]]


_SCOPE_OF = [("/api/submit", "submit"), ("/api/comment", "submit"), ("/api/del", "edit"),
             ("/api/info", "read"), ("/api/v1/me", "identity"), ("/user/", "history"),
             ("/message/", "privatemessages")]
_UA_RE = re.compile(r"^[\w.-]+:[\w.-]+:v?[\w.-]+( \(by /u/[\w-]+\))?$")


class _Handler(QuietHandler):
    json_type = "application/json; charset=UTF-8"

    @property
    def fake(self) -> FakeReddit:
        return self.server.fake  # type: ignore[attr-defined]

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        """``body`` as JSON with the rate-limit headers every Reddit answer carries."""
        reset = self.fake.rate_limit_reset_s
        self.send_json(status, body, headers={
            "X-Ratelimit-Used": "100" if status == 429 else "3",
            "X-Ratelimit-Remaining": "0.0" if status == 429 else str(
                self.fake.ratelimit_remaining),
            "X-Ratelimit-Reset": str(reset if status == 429 and reset else 412),
            **(headers or {})})

    def _dispatch(self) -> None:
        fake = self.fake
        path = urlsplit(self.path).path
        params = query_fields(self.path)
        params.update(form_fields(self.read_body()[1]))  # Reddit's API takes forms only
        agent = self.headers.get("User-Agent") or ""
        with fake.lock:
            fake.requests.append({"method": self.command, "path": path, "params": params,
                                  "user_agent": agent})
        if path == "/api/v1/authorize" and self.command == "GET":
            return self._authorize(params)  # a browser's page: its own UA is fine
        if not _UA_RE.match(agent):  # the token endpoint included: Reddit throttles them all
            return self._send(429, {"message": "Too Many Requests", "error": 429})
        if path == "/api/v1/access_token":
            return self._token(params)
        with fake.lock:
            if fake.rate_limit_reset_s is not None:
                self._send(429, {"message": "Too Many Requests", "error": 429})
                fake.rate_limit_reset_s = None
                return None
        auth = self.headers.get("Authorization") or ""
        grant = fake.access.get(auth.removeprefix("Bearer "))
        if grant is None or grant.expires_at < time.time():
            return self._send(401, {"message": "Unauthorized", "error": 401}, {
                "WWW-Authenticate": 'Bearer realm="reddit", error="invalid_token"'})
        needed = next((s for p, s in _SCOPE_OF if path.startswith(p)), None)
        if needed is not None and needed not in grant.scopes:
            return self._send(403, {"message": "Forbidden", "error": 403}, {
                "WWW-Authenticate": 'Bearer realm="reddit", error="insufficient_scope"'})
        if self.command == "POST" and fake.fail_next_status and not fake.fail_after_create:
            status, fake.fail_next_status = fake.fail_next_status, None
            return self._send(status, {"message": "Internal Server Error", "error": status})
        routes = {("GET", "/api/v1/me"): self._me, ("POST", "/api/submit"): self._submit,
                  ("POST", "/api/comment"): self._comment, ("GET", "/api/info"): self._info,
                  ("POST", "/api/del"): self._delete}
        handler = routes.get((self.command, path))
        if handler is not None:
            return handler(grant, params)
        inbox = re.fullmatch(r"/message/(inbox|unread|comments|mentions|messages|sent)", path)
        if inbox and self.command == "GET":
            return self._messages(grant, inbox.group(1), params)
        match = re.fullmatch(r"/user/([\w-]+)/(submitted|comments)", path)
        if match and self.command == "GET":
            return self._user_listing(match.group(1), match.group(2), params)
        return self._send(404, {"message": "Not Found", "error": 404})

    do_GET = do_POST = _dispatch

    # -- OAuth ------------------------------------------------------------------
    def _authorize(self, query: dict[str, str]) -> None:
        """The consent page, approving at once as the first user (made if there is none)."""
        fake = self.fake
        refused = fake.consent.refuse(query)
        if refused:
            return self._send(400, {"message": f"Bad Request: {refused}", "error": 400})
        with fake.lock:
            user = next(iter(fake.users), None) or "shop"
        wanted = tuple(s for s in query.get("scope", "").split() if s in ALL_SCOPES)
        code = fake.issue_code(user, wanted or ALL_SCOPES)
        return self.redirect(fake.consent.approve(query, code))

    def _token(self, params: dict[str, str]) -> None:
        fake = self.fake
        auth = self.headers.get("Authorization") or ""
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if auth != f"Basic {expected}":
            return self._send(401, {"message": "Unauthorized", "error": 401})
        with fake.lock:
            if params.get("grant_type") == "authorization_code":
                refused = fake.consent.redeem(params.get("code", ""), params)
                grant = fake.codes.pop(params.get("code", ""), None)
                if grant is None or refused:
                    return self._send(200, {"error": "invalid_grant"})
                refresh = secrets.token_urlsafe(16)
                fake.refresh_tokens[refresh] = grant
                return self._send(200, {"access_token": fake.issue_access(grant),
                                        "token_type": "bearer", "expires_in": 3600,
                                        "refresh_token": refresh,
                                        "scope": " ".join(sorted(grant.scopes))})
            if params.get("grant_type") == "refresh_token":
                grant = fake.refresh_tokens.get(params.get("refresh_token", ""))
                if grant is None:
                    return self._send(200, {"error": "invalid_grant"})
                return self._send(200, {"access_token": fake.issue_access(grant),
                                        "token_type": "bearer", "expires_in": 3600,
                                        "scope": " ".join(sorted(grant.scopes))})
        return self._send(200, {"error": "unsupported_grant_type"})

    def _me(self, grant: Grant, _params: dict[str, str]) -> None:
        self._send(200, {"name": grant.user, "id": self.fake.users[grant.user],
                         "link_karma": 1, "comment_karma": 1})

    # -- writes -----------------------------------------------------------------
    def _errors(self, *triples: list[str]) -> None:
        self._send(200, {"json": {"errors": list(triples)}})

    def _throttled(self) -> bool:
        fake = self.fake
        if fake.ratelimit_in_body_next > 0:
            fake.ratelimit_in_body_next -= 1
            self._errors(["RATELIMIT", "you are doing that too much. try again in 7 minutes.",
                          "ratelimit"])
            return True
        return False

    def _after_create(self) -> bool:
        fake = self.fake
        if fake.fail_next_status and fake.fail_after_create:
            status, fake.fail_next_status, fake.fail_after_create = (
                fake.fail_next_status, None, False)
            self._send(status, {"message": "Internal Server Error", "error": status})
            return True
        return False

    def _submit(self, grant: Grant, p: dict[str, str]) -> None:
        fake = self.fake
        with fake.lock:
            if self._throttled():
                return None
            sub = fake.subreddits.get(p.get("sr", "").lower())
            title = p.get("title", "")
            kind = p.get("kind")
            if p.get("api_type") != "json":
                return self._send(400, {"message": "Bad Request", "error": 400})
            if sub is None:
                return self._errors(["SUBREDDIT_NOEXIST", "that subreddit doesn't exist", "sr"])
            if grant.user in sub.banned:
                return self._errors(["SUBREDDIT_NOTALLOWED",
                                     "you aren't allowed to post there.", "sr"])
            if not title:
                return self._errors(["NO_TEXT", "we need something here", "title"])
            if len(title) > 300:
                return self._errors(["TOO_LONG", "this is too long (max: 300)", "title"])
            if kind == "link" and sub.allows == "self":
                return self._errors(["NO_LINKS", "that subreddit only allows text posts",
                                     "sr"])
            if kind == "self" and sub.allows == "link":
                return self._errors(["NO_SELFS", "that subreddit doesn't allow text posts",
                                     "sr"])
            base36 = fake.next_id()
            name = f"t3_{base36}"
            permalink = f"/r/{sub.name}/comments/{base36}/post/"
            text = p.get("text", "")
            fake.things[name] = {
                "name": name, "id": base36, "subreddit": sub.name, "title": title,
                "selftext": text if kind == "self" else "", "is_self": kind == "self",
                "url": p.get("url") if kind == "link" else f"{fake.url}{permalink}",
                "permalink": permalink, "created_utc": float(int(time.time())),
                "author": grant.user, "score": 1, "ups": 1, "upvote_ratio": 1.0,
                "num_comments": 0, "link_flair_template_id": p.get("flair_id"),
                "link_flair_text": p.get("flair_text"), "_deleted": False,
                "_text": f"{title}\n{text}".strip() if kind == "self" else title,
            }
            if self._after_create():
                return None
            return self._send(200, {"json": {"errors": [], "data": {
                "url": f"{fake.url}{permalink}", "drafts_count": 0, "id": base36,
                "name": name}}})

    def _comment(self, grant: Grant, p: dict[str, str]) -> None:
        fake = self.fake
        with fake.lock:
            if self._throttled():
                return None
            parent = fake.things.get(p.get("thing_id", ""))
            if parent is None or parent["_deleted"]:
                return self._errors(["DELETED_LINK", "the link you are commenting on has "
                                     "been deleted", "parent"])
            if not p.get("text"):
                return self._errors(["NO_TEXT", "we need something here", "text"])
            if parent["name"].startswith("t4_"):  # answering a private message
                other = parent["author"] if parent["author"] != grant.user else parent["dest"]
                name = fake.send_message(grant.user, other, "re: " + parent["subject"],
                                         p["text"], parent=parent["name"])
                thing = fake.things[name]
            else:
                thing = fake.add_comment(grant.user, parent["name"], p["text"])
            if self._after_create():
                return None
            public = {k: v for k, v in thing.items() if not k.startswith("_")}
            return self._send(200, {"json": {"errors": [], "data": {
                "things": [{"kind": thing["name"][:2], "data": public}]}}})

    def _delete(self, grant: Grant, p: dict[str, str]) -> None:
        with self.fake.lock:
            thing = self.fake.things.get(p.get("id", ""))
            if thing is not None and thing["author"] == grant.user:
                thing["_deleted"] = True
                thing["author"] = "[deleted]"
        self._send(200, {})

    # -- reads ------------------------------------------------------------------
    @staticmethod
    def _listing(things: list[dict[str, Any]]) -> dict[str, Any]:
        return {"kind": "Listing", "data": {"after": None, "children": [
            {"kind": t["name"][:2], "data": {k: v for k, v in t.items()
                                             if not k.startswith("_")}} for t in things]}}

    def _info(self, _grant: Grant, p: dict[str, str]) -> None:
        with self.fake.lock:
            things = [self.fake.things[n] for n in p.get("id", "").split(",")
                      if n in self.fake.things]
            self._send(200, self._listing(things))

    def _user_listing(self, user: str, what: str, p: dict[str, str]) -> None:
        prefix = "t3_" if what == "submitted" else "t1_"
        limit = min(int(p.get("limit") or 25), 100)
        with self.fake.lock:
            mine = [t for t in self.fake.live(prefix) if t["author"] == user]
        mine.reverse()  # newest first
        self._send(200, self._listing(mine[:limit]))


    def _messages(self, grant: Grant, where: str, p: dict[str, str]) -> None:
        entries = self.fake.message_listing(grant.user, where)
        names = [e["data"]["name"] for e in entries]
        start = names.index(p["after"]) + 1 if p.get("after") in names else 0
        end = len(entries)
        if p.get("before") in names:
            end = names.index(p["before"])
            start = 0
        limit = min(int(p.get("limit") or 25), 100)
        chunk = entries[start:min(end, start + limit)]
        more = start + limit < end
        self._send(200, {"kind": "Listing", "data": {
            "after": chunk[-1]["data"]["name"] if chunk and more else None,
            "before": None, "children": chunk}})


def start_fake() -> FakeReddit:
    """Start a fake Reddit on a free loopback port (the ``FakePlatform`` entry point)."""
    return FakeReddit()
