"""The delivery engine: claim due deliveries and send them concurrently, within caps.

``PublishingEngine`` is what the daemon (and ``socialhub demo``, and the
benchmarks) drive. Each call to ``dispatch_due`` claims as many due deliveries
as there is free capacity for — at most ``concurrency_per_platform`` sends in
flight per platform in this process, and ``concurrency_per_account`` per
account across every daemon on the database — and hands them to a thread
pool, because adapters are synchronous.
When a send finishes, ``on_done`` fires so the caller can dispatch again at
once. Exactly-once rules live in ``delivery_claim`` (leases) and
``delivery_send``/``delivery_records`` (attempt, parts, outcome); this module
is the plumbing.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from socialhub.config import Settings
from socialhub.services.accounts.tokens import TokenManager
from socialhub.services.clock import now_utc
from socialhub.services.events import Event, publish_committed
from socialhub.services.hub import Hub
from socialhub.services.publishing.delivery_claim import (
    SEND,
    Claim,
    active_platforms,
    expire_dead_local_leases,
    in_flight_elsewhere,
    make_worker_id,
    next_due_at,
    pick_due_deliveries,
    release_leases,
    take_leases,
)
from socialhub.services.publishing.delivery_outcome import Policy, SendContext, with_db_retry
from socialhub.services.publishing.delivery_records import begin_attempts
from socialhub.services.publishing.delivery_send import run_claim
from socialhub.services.webhooks import HOOK_TO_BUS, WebhookNotifier

log = logging.getLogger(__name__)
_DELIVERY_EVENTS = ("published", "failed", "dead", "unconfirmed")


@dataclass(frozen=True)
class EngineSettings:
    """Tunables of one engine; ``from_settings`` reads them from ``daemon.*``."""

    policy: Policy = field(default_factory=Policy)
    concurrency_per_platform: int = 8
    concurrency_per_account: int = 2
    max_workers: int = 32
    request_timeout_s: float = 30.0
    refresh_window_minutes: int = 15

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> EngineSettings:
        """Build from the ``daemon`` section; ``overrides`` replace single fields."""
        d = settings.daemon
        values: dict[str, Any] = {
            "policy": Policy(lease_seconds=d.lease_seconds, max_attempts=d.max_attempts,
                             backoff_base_s=d.backoff_base_s, backoff_max_s=d.backoff_max_s),
            "concurrency_per_platform": d.concurrency_per_platform,
            "concurrency_per_account": d.concurrency_per_account,
            "max_workers": max(4, d.concurrency_per_platform * 4),
            "request_timeout_s": d.request_timeout_s,
            "refresh_window_minutes": d.refresh_window_minutes,
        }
        values.update(overrides)
        return cls(**values)


class PublishingEngine:
    """Claims and sends deliveries for one process (one lease owner)."""

    def __init__(self, hub: Hub, settings: EngineSettings | None = None, *,
                 worker: str | None = None, notifier: WebhookNotifier | None = None) -> None:
        self.hub = hub
        self.settings = settings or EngineSettings.from_settings(hub.config.settings)
        self.worker = worker or make_worker_id()
        self.notifier = notifier or WebhookNotifier(hub.config.settings)
        self.tokens = TokenManager(
            hub, worker=self.worker, timeout_s=self.settings.request_timeout_s,
            refresh_window=timedelta(minutes=self.settings.refresh_window_minutes),
            notify=self.announce)
        sqlite = hub.engine.dialect.name == "sqlite"
        self.ctx = SendContext(hub=hub, worker=self.worker, policy=self.settings.policy,
                               tokens=self.tokens, emit=self._emit,
                               write_lock=threading.RLock() if sqlite else None)
        self.tokens.tx = self.ctx.tx
        self.stats: Counter[str] = Counter()
        self.on_done: Callable[[], None] | None = None
        self.on_event: Callable[[str, dict[str, Any]], None] | None = None
        self._pool = ThreadPoolExecutor(max_workers=self.settings.max_workers,
                                        thread_name_prefix="publish")
        self._lock = threading.Lock()
        self._in_flight: dict[Future[str], Claim] = {}
        self._by_platform: Counter[str] = Counter()
        self._by_account: Counter[int] = Counter()
        self._accepting = True
        self._caps: dict[str, bool] = {}
        self._platforms: list[str] | None = None  # of active accounts, as the last claim read
        self._idle = threading.Event()
        self._idle.set()

    # -- events -------------------------------------------------------------------------
    def announce(self, event_name: str, data: dict[str, Any]) -> None:
        """Hand a committed fact to the event bus's after-commit subscribers (webhooks).

        ``event_name`` is the webhook name (``published``, ``needs_reauth``,
        ``digest``…); the bus event is ``webhooks.HOOK_TO_BUS[event_name]``.
        Webhooks go through this engine's sender, so ``close()`` flushes them.
        """
        subject = data.get("delivery_id") if event_name in _DELIVERY_EVENTS else data.get("account")
        publish_committed(Event(HOOK_TO_BUS[event_name], subject=subject, data=data),
                          settings=self.hub.config.settings, bind=self.hub.engine,
                          resources={"webhooks": self.notifier})

    def _emit(self, event_name: str, data: dict[str, Any]) -> None:
        self.stats[event_name] += 1
        self.announce(event_name, data)
        if self.on_event is not None:
            try:
                self.on_event(event_name, data)
            except Exception:  # a progress display must never break publishing
                log.exception("event callback failed")

    # -- capacity -----------------------------------------------------------------------
    @property
    def in_flight(self) -> int:
        """Sends running now in this process."""
        with self._lock:
            return len(self._in_flight)

    def free_capacity(self) -> int:
        """How many more sends this process may start now."""
        return 0 if not self._accepting else self.settings.max_workers - self.in_flight

    def _try_dispatch(self, pending: list[tuple[int, str]],
                      elsewhere: Counter[int]) -> Callable[[int, str], bool]:
        s = self.settings

        def accept(account_id: int, platform: str) -> bool:
            with self._lock:
                if (self._by_platform[platform] >= s.concurrency_per_platform
                        or self._by_account[account_id] + elsewhere[account_id]
                        >= s.concurrency_per_account):
                    return False
                self._by_platform[platform] += 1
                self._by_account[account_id] += 1
            pending.append((account_id, platform))
            return True

        return accept

    def _batchable(self, platform: str) -> bool:
        """True when a crash between claim and send can be reconciled for ``platform``."""
        if platform not in self._caps:
            try:
                from socialhub.platforms.registry import adapter_class

                caps = adapter_class(platform).capabilities
                self._caps[platform] = caps.lookup or caps.idempotency
            except Exception:
                self._caps[platform] = False
        return self._caps[platform]

    def _few_slots_free(self) -> bool:
        """True while sends are in flight and the platforms (as last read) have fewer than
        a sixteenth of their slots free: each finished send wakes the next dispatch, so
        the claim waits for a few free slots and takes them in one transaction (one claim
        per finished send cost more CPU than the send itself; with the dispatcher woken
        at once, 4 of 64 gave more sends/s than 1, 2, 8 or 16: docs/performance.md)."""
        cap = self.settings.concurrency_per_platform
        with self._lock:
            if not self._in_flight or self._platforms is None:
                return False
            room = sum(max(0, cap - self._by_platform[p]) for p in self._platforms)
        return room < max(1, cap // 16)

    def _uncount(self, account_id: int, platform: str) -> None:
        with self._lock:
            self._by_platform[platform] -= 1
            self._by_account[account_id] -= 1

    # -- the work -----------------------------------------------------------------------
    def dispatch_due(self) -> int:
        """Claim what is due (within free capacity and caps) and start sending it.

        Returns:
            How many deliveries were claimed.
        """
        free = self.free_capacity()
        if free <= 0 or self._few_slots_free():
            return 0
        pending: list[tuple[int, str]] = []
        try:
            s = self.settings
            with self.ctx.tx() as session:
                now = now_utc()
                elsewhere = in_flight_elsewhere(session, self.worker, now)  # other daemons
                platforms = self._platforms = active_platforms(session)
                with self._lock:
                    full_platforms = [p for p, n in self._by_platform.items()
                                      if n >= s.concurrency_per_platform]
                    full_accounts = [a for a in {*self._by_account, *elsewhere}
                                     if self._by_account[a] + elsewhere[a]
                                     >= s.concurrency_per_account]
                    # Never read more candidates than the platforms have free slots for:
                    # with one platform at its cap, each finished send frees one slot, and
                    # reading hundreds of rows to accept one was most of a claim's CPU.
                    room = sum(max(0, s.concurrency_per_platform - self._by_platform[p])
                               for p in platforms)
                claims, leases = pick_due_deliveries(
                    session, self.worker, now, limit=min(free, room),
                    lease_seconds=s.policy.lease_seconds,
                    accept=self._try_dispatch(pending, elsewhere),
                    skip_platforms=full_platforms, skip_accounts=full_accounts)
                batch = {c.delivery_id for c in claims
                         if c.mode == SEND and self._batchable(c.platform)}
                # The lease and the attempt's start are one UPDATE per delivery.
                started = begin_attempts(session, self.ctx,
                                         {row["did"]: row for row in leases if row["did"] in batch})
                take_leases(session, leases)
                dropped = batch - set(started)
                claims = [c for c in claims if c.delivery_id not in dropped]
                # Counted candidates that did not become claims give their slot back.
                taken = Counter((c.account_id, c.platform) for c in claims)
                for key in pending:
                    if taken[key] > 0:
                        taken[key] -= 1
                    else:
                        self._uncount(*key)
        except Exception:
            for key in pending:
                self._uncount(*key)
            raise
        for claim in claims:
            self._idle.clear()
            future = self._pool.submit(run_claim, self.ctx, claim,
                                       started.get(claim.delivery_id))
            with self._lock:
                self._in_flight[future] = claim
            future.add_done_callback(self._finished)
        self.stats["claimed"] += len(claims)
        return len(claims)

    def _finished(self, future: Future[str]) -> None:
        with self._lock:
            claim = self._in_flight.pop(future)
            self._by_platform[claim.platform] -= 1
            self._by_account[claim.account_id] -= 1
            empty = not self._in_flight
        try:
            future.result()
        except Exception:
            # The lease expires and the delivery is reconciled; nothing is lost.
            log.exception("delivery %s: unexpected failure in the send worker", claim.delivery_id)
            self.stats["worker_errors"] += 1
        if empty:
            self._idle.set()
        if self.on_done is not None:
            try:
                self.on_done()
            except Exception:
                log.exception("on_done callback failed")

    def warm_up(self, max_accounts: int = 500) -> int:
        """Start the worker threads and build adapters for active accounts ahead of time.

        Both would otherwise happen in the first second after a due instant, when
        many sends start at once; doing them early keeps the first posts on time.
        Returns how many adapters were built.
        """
        from socialhub.db.queries.credentials import active_accounts_with_credentials

        barrier = threading.Barrier(self.settings.max_workers + 1)
        for _ in range(self.settings.max_workers):
            self._pool.submit(barrier.wait, 5.0)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(5.0)  # every thread is up (and idle again right after)
        with self.ctx.tx() as session:
            ids = active_accounts_with_credentials(session, max_accounts)
        built = 0
        for account_id in ids:
            try:
                self.tokens.adapter_for(account_id)
                built += 1
            except Exception as exc:  # the send will report it properly
                log.debug("no adapter for account %s yet: %s", account_id, exc)
        return built

    def next_wakeup(self) -> datetime | None:
        """When a claim will next find work (a due time or an expiring lease), if ever."""
        with self.ctx.tx() as session:
            return next_due_at(session, now_utc())

    def expire_dead_leases(self) -> int:
        """End leases held by dead processes on this host (after a SIGKILL)."""
        with self.ctx.tx() as session:
            n = expire_dead_local_leases(session, now_utc(), own_worker=self.worker)
        if n:
            log.warning("took over %d deliveries from a daemon that died on this host", n)
        return n

    def drain(self, timeout_s: float = 60.0) -> bool:
        """Stop claiming, wait for in-flight sends, give back leases; True when all finished."""
        self._accepting = False
        finished = self._idle.wait(timeout_s)
        try:
            with_db_retry(self._release, seconds=5.0)
        except Exception:
            log.exception("could not release leases (they will expire)")
        return finished

    def _release(self) -> None:
        with self.ctx.tx() as session:
            release_leases(session, self.worker, now_utc())

    def close(self) -> None:
        """Drain, then free threads, adapters and webhook senders."""
        self.drain()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.tokens.close()
        self.notifier.close()

    def run_until(self, done: Callable[[], bool], *, timeout_s: float = 60.0,
                  poll_s: float = 0.25) -> bool:
        """Publish in this thread until ``done()`` is true (demo, tests); False on timeout.

        Wakes when a send finishes or the next due instant arrives, polling at
        most every ``poll_s`` seconds as a safety net.
        """
        wake = threading.Event()
        previous = self.on_done
        self.on_done = wake.set
        deadline = time.monotonic() + timeout_s
        try:
            self.expire_dead_leases()
            self.warm_up()
            while not done():
                if time.monotonic() > deadline:
                    return False
                wake.clear()
                self.dispatch_due()
                nxt = self.next_wakeup()
                wait = poll_s
                if nxt is not None:
                    wait = min(poll_s, max(0.0, (nxt - now_utc()).total_seconds()))
                wake.wait(wait)
            return True
        finally:
            self.on_done = previous
