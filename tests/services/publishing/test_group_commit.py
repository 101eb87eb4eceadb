"""Group commit: many threads' writes share transactions, each caller sees its own result
only after its write committed, and a failing step never takes the others down."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from socialhub.db.engine import transaction
from socialhub.services.publishing.group_commit import MAX_BATCH, GroupCommit


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


def test_writes_of_many_threads_share_commits_and_each_gets_its_result(
        sessions: sessionmaker[Session]) -> None:
    commits: list[int] = []
    group = _group(sessions, commits)
    gate = threading.Event()
    results: dict[str, int] = {}
    # The first step holds the leader until the others have queued behind it.
    first = threading.Thread(target=lambda: results.__setitem__("v0", group.run(
        _insert("v0", gate))))
    first.start()
    others = [threading.Thread(target=lambda i=i: results.__setitem__(
        f"v{i}", group.run(_insert(f"v{i}")))) for i in range(1, 30)]
    for t in others:
        t.start()
    while group.pending < 29:  # wait until all are queued behind the first
        threading.Event().wait(0.01)
    gate.set()
    for t in [first, *others]:
        t.join(10)
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
    gate = threading.Event()
    errors: dict[str, BaseException] = {}

    def run(value: str, g: threading.Event | None = None) -> None:
        try:
            group.run(_insert(value, g))
        except Exception as exc:
            errors[value] = exc

    first = threading.Thread(target=run, args=("a", gate))
    first.start()
    rest = [threading.Thread(target=run, args=(v,)) for v in ("b", "taken", "c")]
    for t in rest:
        t.start()
    while group.pending < 3:
        threading.Event().wait(0.01)
    gate.set()
    for t in [first, *rest]:
        t.join(10)
    assert set(errors) == {"taken"}  # the duplicate failed, alone
    assert "UNIQUE" in str(errors["taken"])
    assert _values(sessions) == {"taken", "a", "b", "c"}
