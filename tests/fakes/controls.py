"""The FakePlatform control methods that several fakes implement the same way.

A fake mixes one of these in and keeps its own state names: ``lock``,
``access`` (live access tokens), ``refresh_tokens``, ``_httpd``, and the
``fail_next_status``/``fail_after_create`` pair its handlers consult.
"""

from __future__ import annotations

import secrets
import tempfile
from http.server import ThreadingHTTPServer
from typing import Any


class _Controls:
    lock: Any  # Lock or RLock
    access: dict[str, Any]
    refresh_tokens: Any  # a set of tokens, or a token → grant map
    _httpd: ThreadingHTTPServer
    fail_next_status: int | None
    fail_after_create: bool

    def fail_next(self, status: int, *, after_create: bool = False) -> None:
        with self.lock:
            self.fail_next_status, self.fail_after_create = status, after_create

    def revoke(self) -> None:
        with self.lock:
            self.access.clear()
            self.refresh_tokens.clear()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class GrantControls(_Controls):
    """For fakes whose access tokens are grant objects with an ``expires_at``."""

    rate_limit_reset_s: int | None

    def rate_limit_next(self, reset_in_s: int = 60) -> None:
        self.rate_limit_reset_s = reset_in_s

    def expire_access_tokens(self) -> None:
        with self.lock:
            for grant in self.access.values():
                grant.expires_at = 0


class StateControls(_Controls):
    """For fakes whose access tokens map to ``{"expired", "scopes"}`` and that keep
    uploaded media in a temporary folder."""

    ACCESS_PREFIX = "at."
    REFRESH_PREFIX = "rt."
    SCOPES: tuple[str, ...] = ()
    _tmp: tempfile.TemporaryDirectory[str]

    def expire_access_tokens(self) -> None:
        with self.lock:
            for state in self.access.values():
                state["expired"] = True

    def stop(self) -> None:
        super().stop()
        self._tmp.cleanup()

    def issue_tokens(self, scopes: tuple[str, ...] | None = None) -> tuple[str, str]:
        """A new (access, refresh) pair with ``scopes`` (default: the fake's SCOPES)."""
        with self.lock:
            access = self.ACCESS_PREFIX + secrets.token_urlsafe(16)
            refresh = self.REFRESH_PREFIX + secrets.token_urlsafe(16)
            self.access[access] = {"expired": False,
                                   "scopes": scopes if scopes is not None else self.SCOPES}
            self.refresh_tokens.add(refresh)
            return access, refresh
