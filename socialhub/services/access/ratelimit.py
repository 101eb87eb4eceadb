"""Per-token rate limits: a token bucket per token, in this process.

Each token may make ``per_minute`` requests a minute, in bursts of up to that many;
the bucket refills continuously. The state lives in the daemon serving the API
(several daemons behind one proxy each count their own share). The answer carries
what the ``RateLimit`` and ``Retry-After`` headers need.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    """One request's verdict: allowed or not, and the figures for the headers."""

    allowed: bool
    limit: int
    remaining: int
    #: Seconds until the bucket is full again (``RateLimit`` reset).
    reset_s: int
    #: Seconds until one more request is allowed (``Retry-After``); 0 when allowed.
    retry_after_s: int


class RateLimiter:
    """Token buckets keyed by token id; thread-safe."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.limit = per_minute
        self.rate = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[int, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: int) -> Decision:
        """Spend one request of ``key``'s bucket, if there is one left."""
        now = self.clock()
        with self._lock:
            level, stamp = self._buckets.get(key, (float(self.limit), now))
            level = min(float(self.limit), level + (now - stamp) * self.rate)
            allowed = level >= 1.0
            if allowed:
                level -= 1.0
            self._buckets[key] = (level, now)
        reset = math.ceil((self.limit - level) / self.rate)
        retry = 0 if allowed else max(1, math.ceil((1.0 - level) / self.rate))
        return Decision(allowed, self.limit, int(level), reset, retry)
