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

A step is an item of a *set step* (``run_set``; ``run`` takes a plain function of the
session, an item of the set step that calls each of its functions in turn): the items of
one set step in a batch are written together by one call (``SetStep.run_many``), so a
batch of 32 outcomes costs a handful of statements instead of 32 times a handful. Each
waiting thread has its own wake-up: the leader wakes the threads whose steps it
committed and hands the lead to the first one still queued, instead of waking every
waiter to find out whether its step is done (with 64 send threads, that wake-up of all
was ~9 % of a daemon's CPU).

On PostgreSQL two daemons' batches may both update one post (a post whose targets
two daemons send): if they lock two such posts in opposite orders, the server ends
one batch as a deadlock, and that batch is run again step by step, as above.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
T = TypeVar("T")
ItemT = TypeVar("ItemT")

#: At most this many steps in one transaction: bounds how long the write lock is held
#: and how long the first sends of a burst wait for their outcome. 10,000 posts due at
#: once (quiet machine): 64 → first out 0.21-0.26 s late; 16 → 0.15-0.18 s; 32 → 0.13 s;
#: throughput the same within the runs' noise (147-207 sends/s).
MAX_BATCH = 32


class SetStep(Generic[ItemT, T]):
    """A kind of write whose items, from many threads, are written by one call.

    ``run_many(session, items)`` must return one result per item, in the items' order,
    and only touch the database through ``session`` (it may run again, on a single
    item, when the batch holding it fails).
    """

    def __init__(self, name: str, run_many: Callable[[Session, list[ItemT]], Sequence[T]]) -> None:
        self.name = name
        self.run_many = run_many

    def __repr__(self) -> str:
        return f"SetStep({self.name!r})"


#: The set step of ``GroupCommit.run``: each item is a function of the session, called in turn.
_CALLS: SetStep[Callable[[Session], Any], Any] = SetStep(
    "calls", lambda session, fns: [fn(session) for fn in fns])


class _Step:
    __slots__ = ("done", "error", "item", "kind", "result", "wake")

    def __init__(self, kind: SetStep[Any, Any], item: Any) -> None:
        self.kind = kind
        self.item = item
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None
        # Released once: the step is done, or its thread leads. A bare lock, not an Event:
        # releasing one costs a fraction of ``Event.set`` and the leader wakes many.
        self.wake = threading.Lock()
        self.wake.acquire()


class GroupCommit:
    """Runs write steps of many threads, batched into shared transactions."""

    def __init__(self, tx: Callable[[], AbstractContextManager[Session]], *,
                 max_batch: int = MAX_BATCH) -> None:
        self._tx = tx
        self._max_batch = max_batch
        self._queue: list[_Step] = []
        self._lock = threading.Lock()
        self._leading = False
        self.batches = 0
        self.steps = 0

    @property
    def pending(self) -> int:
        """Steps queued and not yet taken into a transaction."""
        with self._lock:
            return len(self._queue)

    def run(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn(session)`` in a transaction that has committed when this returns.

        The transaction may hold other threads' steps too. ``fn`` must only touch
        the database through ``session`` (it may run twice: once in a batch that
        failed and rolled back, then alone). Its exception, if it raises one when
        run alone, is raised here.
        """
        return self._submit(_Step(_CALLS, fn))

    def run_set(self, kind: SetStep[ItemT, T], item: ItemT) -> T:
        """Write ``item`` with the other queued items of ``kind``, in one call of
        ``kind.run_many``, in a transaction that has committed when this returns; its
        result. Errors as for ``run``."""
        return self._submit(_Step(kind, item))

    def _submit(self, step: _Step) -> Any:
        with self._lock:
            self._queue.append(step)
            lead = not self._leading
            self._leading = True
        if not lead:
            step.wake.acquire()
        if not step.done:  # this thread leads: its step heads the queue
            self._lead()
        if step.error is not None:
            raise step.error
        return step.result

    def _lead(self) -> None:
        with self._lock:
            batch = self._queue[:self._max_batch]
            del self._queue[:self._max_batch]
        try:
            self._run(batch)
        finally:
            for step in batch:
                if not step.done:  # only if _run itself was interrupted
                    step.error = RuntimeError("the write was interrupted")
                    step.done = True
                if step.wake.locked():
                    step.wake.release()
            with self._lock:
                successor = self._queue[0] if self._queue else None
                self._leading = successor is not None
            if successor is not None:
                successor.wake.release()

    def _run(self, batch: list[_Step]) -> None:
        if len(batch) > 1:
            try:
                with self._tx() as session:
                    results = _run_steps(session, batch)
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
                    step.result = _run_steps(session, [step])[0]
            except BaseException as exc:  # handed to the step's own thread
                step.error = exc
            finally:
                self.batches += 1
                self.steps += 1
                step.done = True


def _run_steps(session: Session, steps: list[_Step]) -> list[Any]:
    """Each step's result: each set step's items written at once, kinds in the order
    they first appear."""
    results: list[Any] = [None] * len(steps)
    sets: dict[SetStep[Any, Any], list[int]] = {}
    for i, step in enumerate(steps):
        sets.setdefault(step.kind, []).append(i)
    for kind, where in sets.items():
        out = kind.run_many(session, [steps[i].item for i in where])
        for i, result in zip(where, out, strict=True):
            results[i] = result
    return results
