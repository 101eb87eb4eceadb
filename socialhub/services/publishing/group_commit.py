"""Group commit: the short write steps of many send threads share one transaction.

On SQLite one writer at a time holds the database, so every send thread's step
(a part's remote id, an attempt's outcome) waited for the write lock, then paid
for a session, a transaction and a commit of its own; on PostgreSQL each step
paid for a transaction's statements and round trips, and those were most of a
daemon's CPU per delivery (11 ms; 6.5 ms with group commit). Here a thread that wants
to write queues its step; if no thread is leading, it leads: it runs every queued step
in one transaction and commits once, then wakes the others, who find their
step done (or lead the next batch).

Nothing changes in what is durable when: a step's caller returns only after the
transaction holding its step has committed, exactly as with a transaction of
its own — so the exactly-once order (attempt, each part, outcome) holds. A
batch that fails as a whole is run again step by step, each in its own
transaction, so one bad step never fails or delays the others' writes.

On PostgreSQL two daemons' batches may both update one post (a post whose targets
two daemons send): if they lock two such posts in opposite orders, the server ends
one batch as a deadlock, and that batch is run again step by step, as above.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
T = TypeVar("T")

#: At most this many steps in one transaction: bounds how long the write lock is held
#: and how long the first sends of a burst wait for their outcome. 10,000 posts due at
#: once (quiet machine): 64 → first out 0.21-0.26 s late; 16 → 0.15-0.18 s; 32 → 0.13 s;
#: throughput the same within the runs' noise (147-207 sends/s).
MAX_BATCH = 32


class _Step(Generic[T]):
    __slots__ = ("done", "error", "fn", "result")

    def __init__(self, fn: Callable[[Session], T]) -> None:
        self.fn = fn
        self.done = False
        self.result: T | None = None
        self.error: BaseException | None = None


class GroupCommit:
    """Runs write steps of many threads, batched into shared transactions."""

    def __init__(self, tx: Callable[[], AbstractContextManager[Session]], *,
                 max_batch: int = MAX_BATCH) -> None:
        self._tx = tx
        self._max_batch = max_batch
        self._queue: list[_Step[Any]] = []
        self._cond = threading.Condition(threading.Lock())
        self._leading = False
        self.batches = 0
        self.steps = 0

    @property
    def pending(self) -> int:
        """Steps queued and not yet taken into a transaction."""
        with self._cond:
            return len(self._queue)

    def run(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn(session)`` in a transaction that has committed when this returns.

        The transaction may hold other threads' steps too. ``fn`` must only touch
        the database through ``session`` (it may run twice: once in a batch that
        failed and rolled back, then alone). Its exception, if it raises one when
        run alone, is raised here.
        """
        step: _Step[T] = _Step(fn)
        with self._cond:
            self._queue.append(step)
            while True:
                while not step.done and self._leading:
                    self._cond.wait()
                if step.done:
                    break
                self._leading = True
                batch = self._queue[:self._max_batch]
                del self._queue[:self._max_batch]
                self._cond.release()
                try:
                    self._run(batch)
                finally:
                    self._cond.acquire()
                    self._leading = False
                    self._cond.notify_all()
        if step.error is not None:
            raise step.error
        return step.result  # type: ignore[return-value]

    def _run(self, batch: list[_Step[Any]]) -> None:
        if len(batch) > 1:
            try:
                results = []
                with self._tx() as session:
                    for step in batch:
                        results.append(step.fn(session))
            except Exception as exc:
                log.debug("a batch of %d writes failed (%s); running them one by one",
                          len(batch), type(exc).__name__)
            else:
                self.batches += 1
                self.steps += len(batch)
                for step, result in zip(batch, results, strict=True):
                    step.result, step.done = result, True
                return
        for step in batch:
            try:
                with self._tx() as session:
                    step.result = step.fn(session)
            except BaseException as exc:  # handed to the step's own thread
                step.error = exc
            finally:
                self.batches += 1
                self.steps += 1
                step.done = True
