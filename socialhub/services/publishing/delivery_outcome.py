"""The vocabulary of a send: retry policy, a worker's context, outcomes, stored parts.

How an adapter's exception becomes an Outcome is ``classify`` (the table in
``platforms/errors.py``); ``backoff_delay`` spaces retries out. Shared by
``delivery_records`` (which commits outcomes), ``delivery_publish`` (the send)
and ``delivery_reconcile``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from socialhub.errors import DatabaseError, SocialhubError
from socialhub.platforms.base import MediaItem, PublishedPart
from socialhub.platforms.errors import (
    AdapterError,
    AuthExpiredError,
    AuthRevokedError,
    InvalidContentError,
    OutcomeUnknownError,
    RateLimitedError,
)
from socialhub.services.accounts.tokens import TokenManager
from socialhub.services.hub import Hub
from socialhub.services.publishing.group_commit import GroupCommit

log = logging.getLogger(__name__)

# Attempt outcomes that spend the retry budget (a rate limit or a paused account does not).
BUDGET_OUTCOMES = ("retry", "error", "unknown", "lookup_failed")


@dataclass(frozen=True)
class Policy:
    """The retry rules (from ``daemon.*`` in config)."""

    lease_seconds: float = 120.0
    max_attempts: int = 8
    backoff_base_s: float = 2.0
    backoff_max_s: float = 900.0


@dataclass
class SendContext:
    """What a worker thread needs to send: database, identity, rules, adapters, events."""

    hub: Hub
    worker: str
    policy: Policy
    tokens: TokenManager
    emit: Callable[[str, dict[str, Any]], None]
    rng: random.Random = field(default_factory=random.Random)
    #: Held around each transaction on SQLite: one writer at a time, woken at once,
    #: instead of many threads sleeping in SQLite's busy handler.
    write_lock: threading.RLock | None = None
    #: The send threads' short writes (parts, outcomes) share transactions
    #: (``group_commit``; ``delivery_records`` writes them as set steps).
    group: GroupCommit = field(init=False)

    def __post_init__(self) -> None:
        self.group = GroupCommit(self.tx)

    @contextmanager
    def tx(self) -> Iterator[Session]:
        """One transaction of this worker (serialised in-process on SQLite)."""
        if self.write_lock is None:
            with self.hub.transaction() as session:
                yield session
            return
        with self.write_lock, self.hub.transaction() as session:
            yield session


@dataclass
class Outcome:
    """How one attempt ended, in the engine's terms."""

    kind: str  # published | retry | rate_limited | unknown | invalid | paused | error
    message: str | None = None
    error_class: str | None = None
    http_status: int | None = None
    until: datetime | None = None
    parts: list[PublishedPart] = field(default_factory=list)


def backoff_delay(failures: int, policy: Policy, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number ``failures`` (1-based): exponential, jittered.

    "Equal jitter": half the exponential step is fixed and half random, so
    retries spread out (no thundering herd) yet never come back immediately.
    """
    step = min(policy.backoff_max_s, policy.backoff_base_s * (2 ** max(0, failures - 1)))
    return step / 2 + (rng or random).uniform(0, step / 2)


def classify(exc: BaseException) -> Outcome:
    """Map an exception from an adapter call to an Outcome (the table in platforms/errors.py)."""
    name = type(exc).__name__
    status = getattr(exc, "status", None)
    message = str(exc) or name
    if isinstance(exc, RateLimitedError):
        return Outcome("rate_limited", message, name, status, until=exc.until)
    if isinstance(exc, AuthRevokedError | AuthExpiredError):
        return Outcome("paused", message, name, status)
    if isinstance(exc, InvalidContentError):
        return Outcome("invalid", message, name, status)
    if isinstance(exc, OutcomeUnknownError):
        return Outcome("unknown", message, name, status)
    if isinstance(exc, AdapterError):
        return Outcome("retry", message, name, status)
    if isinstance(exc, SocialhubError):
        return Outcome("error", message, name, status)
    return Outcome("error", f"unexpected {name}: {exc}", name, status)


def part_dict(part: PublishedPart) -> dict[str, Any]:
    """A published part as stored in ``thread_progress``."""
    return {"index": part.index, "remote_id": part.remote_id, "url": part.url,
            "extra": dict(part.extra)}


def parts_from(progress: list[Any]) -> list[PublishedPart]:
    """The published parts ``thread_progress`` holds."""
    return [PublishedPart(index=int(p["index"]), remote_id=str(p["remote_id"]), url=p.get("url"),
                          extra=dict(p.get("extra") or {})) for p in progress or []]


def media_items(items: list[Any]) -> list[MediaItem]:
    """A variant's stored media (paths or ``{path|url, mime, alt}``) as adapter MediaItems."""
    out = []
    for item in items or []:
        if isinstance(item, str):
            item = {"path": item}
        path = item.get("path")
        out.append(MediaItem(path=Path(path).expanduser() if path else None, url=item.get("url"),
                             mime=item.get("mime"),
                             alt_text=item.get("alt_text") or item.get("alt")))
    return out


def with_db_retry(fn: Callable[[], Any], *, seconds: float = 60.0) -> Any:
    """Run a database step, retrying while the database is unreachable (up to ``seconds``)."""
    deadline = time.monotonic() + seconds
    delay = 0.2
    while True:
        try:
            return fn()
        except DatabaseError as exc:
            if time.monotonic() > deadline:
                raise
            log.warning("database unavailable, retrying: %s", exc)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
