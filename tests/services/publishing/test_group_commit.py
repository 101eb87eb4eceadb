"""Group commit: many threads' writes share transactions, each caller sees its own result
only after its write committed, and a failing step never takes the others down."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from socialhub.db.engine import transaction
from socialhub.services.publishing.group_commit import MAX_BATCH, GroupCommit, SetStep


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    engine = create_engine(f"sqlite:///{tmp_path / 'g.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)"))
    return sessionmaker(engine)


def _group(sessions: sessionmaker[Session], commits: list[int]) -> GroupCommit:
    lock = threading.RLock()

    @contextmanager
    def tx() -> Iterator[Session]:
        with lock, transaction(sessions) as session:
            yield session
        commits.append(1)

    return GroupCommit(tx)


def _insert(value: str, gate: threading.Event | None = None):  # type: ignore[no-untyped-def]
    def step(session: Session) -> int:
        if gate is not None:
            gate.wait(5)
        return int(session.execute(text("INSERT INTO t (v) VALUES (:v) RETURNING id"),
                                   {"v": value}).scalar_one())
    return step


def _values(sessions: sessionmaker[Session]) -> set[str]:
    with sessions() as s:
        return set(s.execute(text("SELECT v FROM t")).scalars())


def _queued_behind_a_held_leader(group: GroupCommit, lead: Callable[[threading.Event], object],
                                 others: list[Callable[[], object]]) -> None:
    """Run ``lead(gate)`` in a thread whose step holds the leader until every one of
    ``others`` (each in its own thread) has queued behind it; then let all finish."""
    gate = threading.Event()
    threads = [threading.Thread(target=lead, args=(gate,))]
    threads[0].start()
    threads += [threading.Thread(target=fn) for fn in others]
    for t in threads[1:]:
        t.start()
    while group.pending < len(others):
        threading.Event().wait(0.01)
    gate.set()
    for t in threads:
        t.join(10)


def test_writes_of_many_threads_share_commits_and_each_gets_its_result(
        sessions: sessionmaker[Session]) -> None:
    commits: list[int] = []
    group = _group(sessions, commits)
    results: dict[str, int] = {}

    def insert(i: int) -> None:
        results[f"v{i}"] = group.run(_insert(f"v{i}"))

    _queued_behind_a_held_leader(
        group, lambda gate: results.__setitem__("v0", group.run(_insert("v0", gate))),
        [partial(insert, i) for i in range(1, 30)])
    assert _values(sessions) == {f"v{i}" for i in range(30)}
    with sessions() as s:
        ids: dict[str, int] = dict(s.execute(text("SELECT v, id FROM t")).all())
    assert results == ids  # every caller got the id of its own row
    assert group.steps == 30
    # The first alone, then the 29 queued behind it in batches of at most MAX_BATCH.
    assert group.batches == len(commits) == 1 + -(-29 // MAX_BATCH) < 30


def test_a_failing_step_raises_in_its_own_thread_and_the_others_still_commit(
        sessions: sessionmaker[Session]) -> None:
    commits: list[int] = []
    group = _group(sessions, commits)
    group.run(_insert("taken"))
    errors: dict[str, BaseException] = {}

    def run(value: str, g: threading.Event | None = None) -> None:
        try:
            group.run(_insert(value, g))
        except Exception as exc:
            errors[value] = exc

    _queued_behind_a_held_leader(group, lambda gate: run("a", gate),
                                 [partial(run, v) for v in ("b", "taken", "c")])
    assert set(errors) == {"taken"}  # the duplicate failed, alone
    assert "UNIQUE" in str(errors["taken"])
    assert _values(sessions) == {"taken", "a", "b", "c"}


def test_items_of_a_set_step_from_many_threads_are_written_by_one_call(
        sessions: sessionmaker[Session]) -> None:
    commits: list[int] = []
    group = _group(sessions, commits)
    calls: list[list[str]] = []

    def insert_many(session: Session, values: list[str]) -> list[int]:
        calls.append(list(values))
        return [int(session.execute(text("INSERT INTO t (v) VALUES (:v) RETURNING id"),
                                    {"v": v}).scalar_one()) for v in values]

    inserts = SetStep("insert", insert_many)
    results: dict[str, int] = {}

    def put(i: int) -> None:
        results[f"s{i}"] = group.run_set(inserts, f"s{i}")

    _queued_behind_a_held_leader(
        group, lambda gate: results.__setitem__("s0", group.run(_insert("s0", gate))),
        [partial(put, i) for i in range(1, 11)])
    with sessions() as s:
        ids: dict[str, int] = dict(s.execute(text("SELECT v, id FROM t")).all())
    assert results == ids  # each thread got its own item's result
    assert len(calls) == 1 and sorted(calls[0]) == sorted(f"s{i}" for i in range(1, 11))
    assert len(commits) == 2


def test_a_set_step_batch_that_fails_is_written_item_by_item(
        sessions: sessionmaker[Session]) -> None:
    commits: list[int] = []
    group = _group(sessions, commits)
    group.run(_insert("taken"))
    calls: list[list[str]] = []

    def insert_many(session: Session, values: list[str]) -> list[None]:
        calls.append(list(values))
        for v in values:
            session.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": v})
        return [None] * len(values)

    inserts = SetStep("insert", insert_many)
    errors: dict[str, BaseException] = {}

    def run(value: str) -> None:
        try:
            group.run_set(inserts, value)
        except Exception as exc:
            errors[value] = exc

    _queued_behind_a_held_leader(group, lambda gate: group.run(_insert("lead", gate)),
                                 [partial(run, v) for v in ("p", "taken", "q")])
    assert set(errors) == {"taken"} and "UNIQUE" in str(errors["taken"])
    assert _values(sessions) == {"taken", "lead", "p", "q"}
    assert len(calls[0]) == 3 and sorted(map(len, calls[1:])) == [1, 1, 1]
