"""A fake Mastodon instance over real HTTP, following the documented API and error bodies.

Only what socialhub uses, as PLATFORMS.md §2.3 describes it: instance limits,
statuses (length by the server's counting rule, ``Idempotency-Key`` dedupe,
``in_reply_to_id``), media v2 with 202 processing, verify_credentials, the
account timeline, revoked tokens (401 ``The access token is invalid``) and
429s with ``X-RateLimit-*`` headers whose reset is an ISO-8601 timestamp.

This module holds the instance's state and the controls tests drive
(``FakeMastodon``) and its ``FakePlatform`` face for the contract suite
(``MastodonFake``, ``start_fake``). The HTTP endpoints are in
``tests.fakes.mastodon_api``; the counting and rendering rules, written
independently of ``socialhub.core.text``, in ``tests.fakes.mastodon_text``.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from socialhub.platforms.base import AccountInfo, AppCredentials, MediaItem, Tokens
from tests.fakes.mastodon_api import MastodonHandler
from tests.fakes.plumbing import LoopbackServer


@dataclass
class FakeAccount:
    id: str
    username: str
    tokens: set[str] = field(default_factory=set)
    followers: int = 0
    following: int = 0


class FakeMastodon:
    """A local Mastodon: ``start()`` it, ``add_account()``, point an adapter at ``url``."""

    def __init__(self, *, max_characters: int = 500, max_media: int = 4,
                 media_processing_polls: int = 0) -> None:
        self.max_characters = max_characters
        self.max_media = max_media
        self.media_processing_polls = media_processing_polls
        self.accounts: dict[str, FakeAccount] = {}
        self.statuses: dict[str, dict[str, Any]] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.idempotency: dict[tuple[str, str], str] = {}
        #: Notifications, oldest first: id, type, account_id (who is notified), from_id,
        #: status_id, created_at (``mention_from`` adds them).
        self.notifications: list[dict[str, Any]] = []
        self.rate_limited_next = 0
        self.rate_limit_reset_s: int | None = None  # None: the next whole minute + 5 min
        self.fail_after_create_next = 0
        self.fail_next_status: int | None = None  # the next status POST fails before creating
        # OAuth: registered apps, pending codes; /oauth/authorize logs in as oauth_username.
        self.apps: dict[str, dict[str, Any]] = {}
        self.codes: dict[str, dict[str, Any]] = {}
        self.oauth_username = "alice"
        self.deny_next_authorize = False
        self.lock = threading.RLock()
        self._ids = itertools.count(109_000_000_000_000_001)
        self._server = LoopbackServer(self, MastodonHandler)
        self.url = self._server.url

    # -- control ------------------------------------------------------------
    def start(self) -> FakeMastodon:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def add_account(self, username: str) -> tuple[str, str]:
        """Create an account; returns (account id, access token)."""
        with self.lock:
            account = FakeAccount(str(next(self._ids)), username)
            token = secrets.token_urlsafe(24)
            account.tokens.add(token)
            self.accounts[account.id] = account
            return account.id, token

    def revoke(self, token: str) -> None:
        """Revoke a token, as ``POST /oauth/revoke`` or the user's settings page would."""
        with self.lock:
            for account in self.accounts.values():
                account.tokens.discard(token)

    def status_texts(self) -> list[str]:
        """The source text of every live status, oldest first."""
        with self.lock:
            return [s["text"] for s in self.statuses.values() if not s["deleted"]]

    def next_id(self) -> str:
        return str(next(self._ids))

    def account_for(self, token: str | None) -> FakeAccount | None:
        with self.lock:
            return next((a for a in self.accounts.values() if token in a.tokens), None)

    def account_entity(self, account_id: str) -> dict[str, Any]:
        account = self.accounts[account_id]
        return {"id": account.id, "username": account.username, "acct": account.username,
                "display_name": account.username.title()}

    def mention_from(self, sender: str, to: str, text: str, *,
                     in_reply_to: str | None = None, visibility: str = "public") -> str:
        """Account ``sender`` posts ``text`` mentioning ``to`` (a reply when ``in_reply_to``):
        the status and ``to``'s ``mention`` notification, as the server makes them. Returns
        the status id."""
        from datetime import UTC, datetime

        from tests.fakes.mastodon_text import render_html

        with self.lock:
            author = self.accounts[sender]
            status_id = self.next_id()
            parent = self.statuses.get(in_reply_to or "")
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            self.statuses[status_id] = {
                "id": status_id, "created_at": now, "in_reply_to_id": in_reply_to,
                "in_reply_to_account_id": parent["account_id"] if parent else None,
                "content": render_html(text), "spoiler_text": "", "visibility": visibility,
                "language": None, "url": f"{self.url}/@{author.username}/{status_id}",
                "uri": f"{self.url}/users/{author.username}/statuses/{status_id}",
                "media_attachments": [], "replies_count": 0, "reblogs_count": 0,
                "favourites_count": 0, "text": text, "account_id": author.id,
                "deleted": False, "idempotency_key": None}
            self.notifications.append({"id": self.next_id(), "type": "mention",
                                       "account_id": to, "from_id": sender,
                                       "status_id": status_id, "created_at": now})
            return status_id

    def status_entity(self, status: dict[str, Any]) -> dict[str, Any]:
        account = self.accounts[status["account_id"]]
        public = {k: v for k, v in status.items()
                  if k not in ("text", "account_id", "deleted", "idempotency_key")}
        public["account"] = {"id": account.id, "username": account.username,
                             "acct": account.username}
        return public


def tiny_png(width: int = 2, height: int = 2) -> bytes:
    """A valid, tiny RGB PNG (so header readers and uploads see a real image)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


class MastodonFake:
    """``FakePlatform`` (tests/fakes/contract.py) over a running ``FakeMastodon``."""

    platform = "mastodon"

    def __init__(self) -> None:
        import tempfile
        from pathlib import Path

        self.server = FakeMastodon().start()
        self.url = self.server.url
        self._dir = Path(tempfile.mkdtemp(prefix="fake-mastodon-"))

    def account(self) -> tuple[AccountInfo, Tokens, AppCredentials]:
        account_id, token = self.server.add_account(f"user{len(self.server.accounts) + 1}")
        username = self.server.accounts[account_id].username
        info = AccountInfo(account_id=1, platform="mastodon", handle=f"{username}@fake.local",
                           external_id=account_id, base_url=self.url)
        return info, Tokens(access_token=token, scopes=["read", "write"]), AppCredentials()

    def sample_media(self) -> list[MediaItem]:
        path = self._dir / "photo.png"
        path.write_bytes(tiny_png())
        return [MediaItem(path=path, mime="image/png", alt_text="A red square")]

    def posts(self) -> list[dict[str, Any]]:
        with self.server.lock:
            return [{"id": s["id"], "text": s["text"], "reply_to": s["in_reply_to_id"],
                     "media": [{"id": m["id"], "alt": m["description"]}
                               for m in s["media_attachments"]]}
                    for s in self.server.statuses.values() if not s["deleted"]]

    def fail_next(self, status: int, *, after_create: bool = False) -> None:
        with self.server.lock:
            if after_create:
                self.server.fail_after_create_next += 1
            else:
                self.server.fail_next_status = status

    def rate_limit_next(self, reset_in_s: int = 60) -> None:
        with self.server.lock:
            self.server.rate_limited_next += 1
            self.server.rate_limit_reset_s = reset_in_s

    def expire_access_tokens(self) -> None:
        """Mastodon tokens never expire (no refresh grant): nothing to do."""

    def revoke(self) -> None:
        with self.server.lock:
            for account in self.server.accounts.values():
                account.tokens.clear()

    def stop(self) -> None:
        import shutil

        self.server.stop()
        shutil.rmtree(self._dir, ignore_errors=True)


def start_fake() -> MastodonFake:
    """A running fake Mastodon behind the shared ``FakePlatform`` protocol."""
    return MastodonFake()
