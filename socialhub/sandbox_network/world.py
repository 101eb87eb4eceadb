"""The sandbox network's state and rules, without HTTP: accounts, tokens, posts, metrics.

``server`` maps HTTP requests onto the methods here. Every method that
reads or writes state takes the world's lock, so the threaded server never
sees a half-made post and two requests with the same ``Idempotency-Key``
always yield one post. Randomness (failures, timeouts) comes from one RNG
seeded by ``seed``, and metrics are a pure function of (seed, post id, age),
so runs are reproducible for a given order of requests.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import random
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from socialhub.errors import ValidationError

Reply = tuple[int, dict[str, Any] | None]

_WINDOW_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_rate_limit(spec: str | None) -> tuple[int, float] | None:
    """Parse ``N/window`` (``100/60``, ``100/60s``, ``300/5m``, ``10/s``) into (N, seconds).

    Raises:
        ValidationError: the text is not of that form.
    """
    if spec is None or spec in ("", "0", "none", "off"):
        return None
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d*(?:\.\d+)?)\s*([smh]?)\s*", spec)
    if not match or int(match.group(1)) <= 0:
        raise ValidationError(f"rate limit {spec!r} is not N/window (e.g. 100/60s, 300/5m)")
    amount = float(match.group(2)) if match.group(2) else 1.0
    window = amount * _WINDOW_UNITS[match.group(3)]
    if window <= 0:
        raise ValidationError(f"rate limit {spec!r} has an empty window")
    return int(match.group(1)), window


@dataclass
class SandboxOptions:
    """How the sandbox behaves; every field can be changed at runtime (``/_sandbox/config``)."""

    latency_ms: float = 0.0  # added before every API answer
    fail_rate: float = 0.0  # share of API requests answered 500 before doing anything
    timeout_rate: float = 0.0  # share of post creations stored, then never answered
    hang_s: float = 35.0  # how long a "timeout" request hangs (past the client timeout)
    rate_limit: str | None = None  # "N/window" per account
    token_ttl: float = 3600.0  # access-token lifetime in seconds
    #: How fast posts age for their metrics: 3600 = an hour of impressions every second.
    speed: float = 1.0
    seed: int = 0
    max_chars: int = 500
    max_media: int = 4

    def update(self, changes: dict[str, Any]) -> None:
        """Apply ``changes`` (unknown keys or bad values raise ValidationError)."""
        names = {f.name: f for f in fields(self)}
        for key, value in changes.items():
            if key not in names:
                raise ValidationError(f"unknown sandbox option {key!r}")
            if key == "rate_limit":
                parse_rate_limit(value)
            elif value is not None and key != "rate_limit":
                value = int(value) if key in ("seed", "max_chars", "max_media") else float(value)
                if key.endswith("_rate") and not 0.0 <= value <= 1.0:
                    raise ValidationError(f"{key} must be between 0 and 1")
                if key == "speed" and not 1.0 <= value <= 1e7:
                    raise ValidationError("speed must be between 1 and 10,000,000")
            setattr(self, key, value)


@dataclass
class Account:
    id: int
    handle: str


@dataclass
class Token:
    account_id: int
    expires_at: float | None
    kind: str  # "access" | "refresh"


@dataclass
class Post:
    id: int
    account_id: int
    text: str
    reply_to: str | None
    media: list[dict[str, Any]]
    created_at: float
    idempotency_key: str | None
    deleted: bool = False
    #: Written by a simulated person (``simulate_inbox``), not received from a client.
    simulated: bool = False


@dataclass
class InboxEntry:
    """Something a simulated person sent to an account; ``post_id`` is the post behind it."""

    post_id: int
    account_id: int
    kind: str
    author: str
    author_name: str
    reply_to: str | None
    conversation_id: str
    created_at: float


@dataclass
class World:
    """Everything the sandbox network knows."""

    options: SandboxOptions = field(default_factory=SandboxOptions)
    clock: Callable[[], float] = time.time
    base_url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    accounts: dict[int, Account] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    posts: dict[int, Post] = field(default_factory=dict)
    media: dict[int, dict[str, Any]] = field(default_factory=dict)
    by_key: dict[tuple[int, str], int] = field(default_factory=dict)
    windows: dict[int, tuple[float, int]] = field(default_factory=dict)
    stats: Counter[str] = field(default_factory=Counter)
    rng: random.Random = field(default_factory=random.Random)
    #: API requests being answered now, per account (the most at once is in ``stats``).
    in_flight: Counter[int] = field(default_factory=Counter)
    #: What simulated people sent, in order (``simulate_inbox``).
    inbox: list[InboxEntry] = field(default_factory=list)
    inbox_of: dict[int, list[InboxEntry]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng.seed(self.options.seed)

    def begin_request(self, account_id: int) -> None:
        """Count an API request of ``account_id`` as in flight (``max_in_flight_per_account``)."""
        with self.lock:
            self.in_flight[account_id] += 1
            self.stats["max_in_flight_per_account"] = max(
                self.stats["max_in_flight_per_account"], self.in_flight[account_id])

    def end_request(self, account_id: int) -> None:
        """The request counted by ``begin_request`` was answered (or dropped)."""
        with self.lock:
            self.in_flight[account_id] -= 1

    # -- misbehaviour -------------------------------------------------------
    def roll(self, rate: float) -> bool:
        """True with probability ``rate`` (seeded)."""
        if rate <= 0:
            return False
        with self.lock:
            return self.rng.random() < rate

    def configure(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Change options at runtime; a new seed restarts the RNG."""
        with self.lock:
            self.options.update(changes)
            if "seed" in changes:
                self.rng.seed(self.options.seed)
            return asdict(self.options)

    def reset(self, *, accounts: bool = False) -> None:
        """Forget posts, media, counters and rate windows (and accounts/tokens if asked)."""
        with self.lock:
            self.posts.clear()
            self.inbox.clear()
            self.inbox_of.clear()
            self.media.clear()
            self.by_key.clear()
            self.windows.clear()
            self.stats.clear()
            self.rng.seed(self.options.seed)
            if accounts:
                self.accounts.clear()
                self.tokens.clear()

    def rate_check(self, account_id: int) -> tuple[bool, dict[str, str]]:
        """Count one request in the account's fixed window; (allowed, RateLimit-* headers)."""
        limit = parse_rate_limit(self.options.rate_limit)
        if limit is None:
            return True, {}
        count_max, window = limit
        now = self.clock()
        start = math.floor(now / window) * window
        with self.lock:
            win_start, used = self.windows.get(account_id, (start, 0))
            if win_start != start:
                used = 0
            used += 1
            self.windows[account_id] = (start, used)
        reset = start + window
        headers = {"RateLimit-Limit": str(count_max),
                   "RateLimit-Remaining": str(max(0, count_max - used)),
                   "RateLimit-Reset": str(math.ceil(reset))}
        if used > count_max:
            headers["Retry-After"] = str(max(1, math.ceil(reset - now)))
            return False, headers
        return True, headers

    # -- accounts and tokens ----------------------------------------------
    def _issue(self, account_id: int) -> dict[str, Any]:
        access = f"sbx_at_{secrets.token_urlsafe(24)}"
        refresh = f"sbx_rt_{secrets.token_urlsafe(24)}"
        ttl = self.options.token_ttl
        self.tokens[access] = Token(account_id, self.clock() + ttl, "access")
        self.tokens[refresh] = Token(account_id, None, "refresh")
        account = self.accounts[account_id]
        return {"access_token": access, "token_type": "Bearer", "expires_in": int(ttl),
                "refresh_token": refresh, "account": {"id": str(account.id),
                                                      "handle": account.handle}}

    def grant(self, params: dict[str, Any]) -> Reply:
        """``POST /oauth/token``: client_credentials makes (or reuses) an account.

        ``grant_type=refresh_token`` issues a new pair and kills the old refresh token.
        """
        grant_type = params.get("grant_type") or "client_credentials"
        with self.lock:
            if grant_type == "client_credentials":
                handle = str(params.get("handle") or f"user{len(self.accounts) + 1}")
                account = next((a for a in self.accounts.values() if a.handle == handle), None)
                if account is None:
                    account = Account(len(self.accounts) + 1, handle)
                    self.accounts[account.id] = account
                return 200, self._issue(account.id)
            if grant_type == "refresh_token":
                old = str(params.get("refresh_token") or "")
                token = self.tokens.get(old)
                if token is None or token.kind != "refresh":
                    return 400, {"error": "invalid_grant",
                                 "error_description": "refresh token is invalid or was used"}
                del self.tokens[old]  # rotation: a refresh token works once
                return 200, self._issue(token.account_id)
        return 400, {"error": "unsupported_grant_type",
                     "error_description": f"grant_type {grant_type!r} is not supported"}

    def revoke(self, token_text: str) -> None:
        """Revoke every token of the account owning ``token_text`` (the user removed the app)."""
        with self.lock:
            token = self.tokens.get(token_text)
            if token is None:
                return
            for key in [k for k, t in self.tokens.items() if t.account_id == token.account_id]:
                del self.tokens[key]

    def authenticate(self, header: str | None) -> tuple[Account | None, Reply | None]:
        """The account behind ``Authorization: Bearer …``, or the 401 to send."""
        if not header or not header.startswith("Bearer "):
            return None, (401, {"error": "invalid_token", "message": "missing bearer token"})
        with self.lock:
            token = self.tokens.get(header[7:].strip())
            if token is None or token.kind != "access":
                return None, (401, {"error": "invalid_token",
                                    "message": "access token is invalid or revoked"})
            if token.expires_at is not None and token.expires_at <= self.clock():
                return None, (401, {"error": "token_expired", "message": "access token expired"})
            return self.accounts[token.account_id], None

    # -- posts ----------------------------------------------------------------
    def post_json(self, post: Post) -> dict[str, Any]:
        """The public shape of a post."""
        handle = self.accounts[post.account_id].handle
        return {"id": str(post.id), "url": f"{self.base_url}/@{handle}/posts/{post.id}",
                "account": handle, "text": post.text, "reply_to": post.reply_to,
                "media": post.media, "created_at": post.created_at,
                "idempotency_key": post.idempotency_key, "deleted": post.deleted}

    def add_media(self, account: Account, body: dict[str, Any], size: int) -> Reply:
        """``POST /api/media``: keep the attachment's facts (the bytes are dropped)."""
        with self.lock:
            media_id = len(self.media) + 1
            item = {"id": str(media_id), "account_id": account.id,
                    "mime": body.get("mime") or "application/octet-stream",
                    "size": size, "alt": body.get("alt"), "url": body.get("url")}
            self.media[media_id] = item
        return 201, {k: v for k, v in item.items() if k != "account_id"}

    def create_post(self, account: Account, body: dict[str, Any], key: str | None) -> Reply:
        """``POST /api/posts``: validate, dedupe by idempotency key, store."""
        text = body.get("text")
        media_ids = [str(m) for m in body.get("media_ids") or []]
        alts = body.get("alt") or []
        if not isinstance(text, str) or (not text.strip() and not media_ids):
            return 422, {"error": "invalid_content", "message": "text can't be blank"}
        if len(text) > self.options.max_chars:
            return 422, {"error": "invalid_content",
                         "message": f"text is longer than {self.options.max_chars} characters"}
        if len(media_ids) > self.options.max_media:
            return 422, {"error": "invalid_content",
                         "message": f"at most {self.options.max_media} media per post"}
        with self.lock:
            if key is not None and (account.id, key) in self.by_key:
                self.stats["idempotent_replays"] += 1
                return 200, self.post_json(self.posts[self.by_key[(account.id, key)]])
            reply_to = body.get("reply_to")
            if reply_to is not None:
                target = self.posts.get(_int(reply_to))
                if target is None or target.deleted:
                    return 422, {"error": "invalid_content",
                                 "message": f"reply_to {reply_to} does not exist"}
            media = []
            for i, media_id in enumerate(media_ids):
                item = self.media.get(_int(media_id))
                if item is None or item["account_id"] != account.id:
                    return 422, {"error": "invalid_content",
                                 "message": f"media {media_id} does not exist"}
                alt = alts[i] if i < len(alts) and alts[i] else item["alt"]
                media.append({"id": media_id, "mime": item["mime"], "alt": alt})
            post = Post(len(self.posts) + 1, account.id, text,
                        None if reply_to is None else str(reply_to), media, self.clock(), key)
            self.posts[post.id] = post
            if key is not None:
                self.by_key[(account.id, key)] = post.id
            self.stats["posts_created"] += 1
            return 201, self.post_json(post)

    def get_post(self, account: Account | None, post_id: str) -> Post | None:
        """A live post by id (any account may read it), or None."""
        with self.lock:
            post = self.posts.get(_int(post_id))
        return None if post is None or post.deleted else post

    def delete_post(self, account: Account, post_id: str) -> Reply:
        """``DELETE /api/posts/{id}``: only the author may delete."""
        with self.lock:
            post = self.posts.get(_int(post_id))
            if post is None or post.deleted:
                return 404, {"error": "not_found", "message": f"post {post_id} not found"}
            if post.account_id != account.id:
                return 403, {"error": "forbidden", "message": "not your post"}
            post.deleted = True
        return 204, None

    def find_by_key(self, account: Account, key: str) -> list[dict[str, Any]]:
        """Live posts of ``account`` created with idempotency key ``key``."""
        with self.lock:
            post_id = self.by_key.get((account.id, key))
            post = self.posts.get(post_id) if post_id is not None else None
            return [] if post is None or post.deleted else [self.post_json(post)]

    def metrics(self, post: Post) -> dict[str, Any]:
        """Counts that grow with the post's age, the same for the same seed and age.

        A post's reach depends on when it went out (UTC hour of day and
        weekday, see ``audience_factor``), so a history shows good and bad
        times to post. ``options.speed`` ages posts that many times faster than the
        clock, so an experiment can gather its impressions in seconds.
        """
        age = max(0.0, self.clock() - post.created_at) * self.options.speed
        return {"id": str(post.id), "age_s": round(age, 3),
                **engagement(self.options.seed, post.id, post.created_at, age, text=post.text)}

    def profile(self, account: Account) -> dict[str, Any]:
        """The account with its counts: posts alive, follows, and followers that grow
        with the likes its posts earned (deterministic for a seed and clock)."""
        with self.lock:
            live = [p for p in self.posts.values()
                    if p.account_id == account.id and not p.deleted]
        digest = hashlib.sha256(f"{self.options.seed}:@{account.handle}".encode()).digest()
        likes = sum(self.metrics(p)["likes"] for p in live)
        return {"id": str(account.id), "handle": account.handle,
                "followers": 100 + int.from_bytes(digest[:2], "big") % 900 + likes // 5,
                "following": 20 + digest[2] % 180, "posts": len(live)}

    # -- the inbox ------------------------------------------------------------
    def _person(self, handle: str) -> Account:
        account = next((a for a in self.accounts.values() if a.handle == handle), None)
        if account is None:
            account = Account(len(self.accounts) + 1, handle)
            self.accounts[account.id] = account
        return account

    def simulate_inbox(self, count: int, *, seed: int = 0,
                       handles: list[str] | None = None) -> int:
        """Simulated people send ``count`` messages, spread over the accounts in turn.

        Deterministic for a seed (``people.message``). A comment answers one of the
        account's posts (a mention when it has none yet), a reply answers the
        account's latest reply, a message is a direct message. Returns how many.
        """
        from socialhub.sandbox_network.people import PEOPLE, message

        with self.lock:
            people = {h for h, _, _ in PEOPLE}
            targets = [a for a in self.accounts.values()
                       if a.handle not in people and (not handles or a.handle in handles)]
            if not targets:
                return 0
            start = len(self.inbox)
            # The accounts' own posts, read once: only simulated people post below.
            own: dict[tuple[int, bool], list[Post]] = {}
            for p in self.posts.values():
                if not p.deleted:
                    own.setdefault((p.account_id, p.reply_to is not None), []).append(p)
            for n in range(start, start + count):
                account = targets[n % len(targets)]
                said = message(seed, n)
                author = self._person(said.author)
                kind, reply_to = said.kind, None
                if kind in ("comment", "reply"):
                    pool = own.get((account.id, kind == "reply"), [])
                    if pool:
                        reply_to = str(pool[n % len(pool)].id)
                    else:
                        kind = "mention"
                text = said.text if kind != "mention" else f"@{account.handle} {said.text}"
                post = Post(len(self.posts) + 1, author.id, text, reply_to, [], self.clock(),
                            None, simulated=True)
                self.posts[post.id] = post
                conversation = (f"dm-{author.handle}-{account.handle}" if kind == "message"
                                else reply_to or str(post.id))
                entry = InboxEntry(post.id, account.id, kind, author.handle,
                                   said.author_name, reply_to, conversation, post.created_at)
                self.inbox.append(entry)
                self.inbox_of.setdefault(account.id, []).append(entry)
            self.stats["inbox_sent"] += count
            return count

    def inbox_page(self, account: Account, since_id: int, limit: int) -> dict[str, Any]:
        """``GET /api/inbox``: the account's entries after ``since_id``, oldest first."""
        with self.lock:
            entries = self.inbox_of.get(account.id, [])
            start = bisect.bisect_right(entries, since_id, key=lambda e: e.post_id)
            page = entries[start:start + limit]
            items = [{"id": str(e.post_id), "kind": e.kind, "author": e.author,
                      "author_name": e.author_name, "text": self.posts[e.post_id].text,
                      "reply_to": e.reply_to, "conversation_id": e.conversation_id,
                      "created_at": e.created_at,
                      "url": f"{self.base_url}/@{e.author}/posts/{e.post_id}"} for e in page]
        return {"items": items, "more": start + limit < len(entries)}

    def dump(self) -> dict[str, Any]:
        """Everything received from clients, for tests and benchmarks (``GET /_sandbox/posts``;
        what simulated people wrote is in their accounts' inboxes, not here)."""
        with self.lock:
            return {"posts": [self.post_json(p) for p in self.posts.values() if not p.simulated],
                    "stats": dict(self.stats)}


#: Audience awake by UTC hour: a morning and an evening peak, quiet nights.
_HOURLY = (0.2, 0.15, 0.1, 0.1, 0.15, 0.3, 0.5, 0.8, 1.1, 1.3, 1.2, 1.0,
           1.1, 1.0, 0.9, 0.9, 1.0, 1.2, 1.5, 1.7, 1.5, 1.1, 0.7, 0.4)
#: Audience by weekday (Monday first): midweek best, the weekend quieter.
_WEEKDAY = (1.0, 1.2, 1.25, 1.15, 0.95, 0.6, 0.55)


_LINK = re.compile(r"https?://\S")


def audience_factor(created_at: float) -> float:
    """How many people a post reaches for going out at ``created_at`` (epoch seconds),
    relative to an average moment: hour of day times weekday, in UTC."""
    tm = time.gmtime(created_at)
    return _HOURLY[tm.tm_hour] * _WEEKDAY[tm.tm_wday]


def engagement(seed: int, post_id: int | str, created_at: float, age: float, *,
               text: str | None = None) -> dict[str, int]:
    """Impressions, likes, reposts, replies and quotes of a post ``age`` seconds old:
    a pure function of the seed, the post, when it went out and its age.

    A post whose ``text`` holds a link also gets ``clicks``, at a rate (1–12% of
    impressions) that depends on the text alone: two wordings of one link draw
    different click-through rates, which is what an experiment on the sandbox
    measures. Posts without a link have no clicks count (absent, as on most networks).
    """
    digest = hashlib.sha256(f"{seed}:{post_id}".encode()).digest()
    reach = (5 + digest[0] % 20) * audience_factor(created_at)  # grows like sqrt(age)
    impressions = math.floor(reach * math.sqrt(age))
    counts = {"impressions": impressions,
              "likes": impressions * (5 + digest[1] % 10) // 100,
              "reposts": impressions * (1 + digest[2] % 4) // 100,
              "replies": impressions * (1 + digest[3] % 3) // 100,
              "quotes": impressions * (digest[4] % 2) // 100}
    if text is not None and _LINK.search(text):
        appeal = hashlib.sha256(f"{seed}:text:{text}".encode()).digest()[0]
        counts["clicks"] = impressions * (1 + appeal % 12) // 100
    return counts


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1
