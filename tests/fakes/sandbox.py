"""The real sandbox network (``SandboxServer``) behind the shared ``FakePlatform`` protocol.

The sandbox has no "fail the next call" switch of its own (it misbehaves by
rates), so the one-shot faults the contract needs wrap its ``World`` methods
on this instance only: a status before creating, a 5xx after the post was
stored, and a 429 with the sandbox's own ``RateLimit-*``/``Retry-After`` headers.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from socialhub.platforms.base import AccountInfo, AppCredentials, MediaItem, Tokens
from socialhub.platforms.sandbox.adapter import connect
from socialhub.sandbox_network.server import SandboxServer
from tests.fakes.mastodon import tiny_png


class SandboxFake:
    """A running sandbox with one-shot faults for the contract scenarios."""

    platform = "sandbox"

    def __init__(self) -> None:
        self.server = SandboxServer().start()
        self.url = self.server.url
        self.world = self.server.world
        self._dir = Path(tempfile.mkdtemp(prefix="fake-sandbox-"))
        self._lock = threading.Lock()
        self._fail: tuple[int, bool] | None = None
        self._rate_limit_s: int | None = None
        self._handles = 0
        create, rate_check = self.world.create_post, self.world.rate_check

        def create_post(account: Any, body: dict[str, Any], key: str | None) -> Any:
            with self._lock:
                fault, self._fail = self._fail, None
            if fault is not None and not fault[1]:
                return fault[0], {"error": "internal", "message": "injected failure"}
            status, reply = create(account, body, key)
            if fault is not None and status in (200, 201):
                return fault[0], {"error": "internal", "message": "injected failure after "
                                  "the post was stored"}
            return status, reply

        def check(account_id: int) -> tuple[bool, dict[str, str]]:
            with self._lock:
                reset_in, self._rate_limit_s = self._rate_limit_s, None
            if reset_in is None:
                return rate_check(account_id)
            reset = math.ceil(time.time() + reset_in)
            return False, {"RateLimit-Limit": "1", "RateLimit-Remaining": "0",
                           "RateLimit-Reset": str(reset), "Retry-After": str(reset_in)}

        self.world.create_post = create_post  # type: ignore[method-assign]
        self.world.rate_check = check  # type: ignore[method-assign]

    def account(self) -> tuple[AccountInfo, Tokens, AppCredentials]:
        self._handles += 1
        handle = f"user{self._handles}"
        external_id, tokens = connect(self.url, handle)
        info = AccountInfo(account_id=self._handles, platform="sandbox", handle=handle,
                           external_id=external_id, base_url=self.url)
        return info, tokens, AppCredentials()

    def sample_media(self) -> list[MediaItem]:
        path = self._dir / "photo.png"
        path.write_bytes(tiny_png())
        return [MediaItem(path=path, mime="image/png", alt_text="A red square")]

    def posts(self) -> list[dict[str, Any]]:
        return [{"id": p["id"], "text": p["text"], "reply_to": p["reply_to"],
                 "media": [{"id": m["id"], "alt": m["alt"]} for m in p["media"]]}
                for p in self.world.dump()["posts"] if not p["deleted"]]

    def fail_next(self, status: int, *, after_create: bool = False) -> None:
        with self._lock:
            self._fail = (status, after_create)

    def rate_limit_next(self, reset_in_s: int = 60) -> None:
        with self._lock:
            self._rate_limit_s = reset_in_s

    def expire_access_tokens(self) -> None:
        with self.world.lock:
            for token in self.world.tokens.values():
                if token.kind == "access":
                    token.expires_at = self.world.clock() - 1

    def revoke(self) -> None:
        with self.world.lock:
            self.world.tokens.clear()

    def stop(self) -> None:
        self.server.stop()
        shutil.rmtree(self._dir, ignore_errors=True)


def start_fake() -> SandboxFake:
    """A running sandbox behind the shared ``FakePlatform`` protocol."""
    return SandboxFake()
