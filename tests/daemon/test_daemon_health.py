"""``/healthz``'s status: what a probe or an operator acts on.

During a database outage the scheduler's ticks wait for the database and fall late;
the answer is then ``degraded`` (the outage, the cause to act on), not ``stale``.
``stale`` is for a scheduler that stopped while the database answers.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy.exc import OperationalError

from socialhub.daemon.runner import Daemon
from socialhub.services.settings import load_config


@pytest.fixture
def daemon(home: Path) -> Daemon:
    made = Daemon(load_config())
    made.scheduler = SimpleNamespace(running=True)
    return made


def _ticks_late(daemon: Daemon) -> None:
    daemon._last_tick = time.monotonic() - (daemon.opts.poll_interval_s * 3 + 5)


def _database_down(daemon: Daemon) -> None:
    assert daemon.db.failed(OperationalError("SELECT 1", {}, ConnectionRefusedError(
        "connection refused")))


def test_ok_while_the_scheduler_ticks_and_the_database_answers(daemon: Daemon) -> None:
    assert daemon.health()["status"] == "ok"


def test_stale_when_the_scheduler_stopped_ticking_with_the_database_up(daemon: Daemon) -> None:
    _ticks_late(daemon)
    assert daemon.health()["status"] == "stale"


def test_degraded_during_an_outage_even_when_ticks_are_late(daemon: Daemon) -> None:
    _database_down(daemon)
    assert daemon.health()["status"] == "degraded"
    _ticks_late(daemon)  # the ticks wait for the database meanwhile
    shown = daemon.health()
    assert shown["status"] == "degraded"
    assert shown["database"].startswith("unreachable since ")
