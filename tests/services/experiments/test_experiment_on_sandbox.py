"""An experiment run to a winner on the real sandbox network: apply, publish, collect the
metrics through the analytics collection, judge, promote; then the campaign report."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from socialhub.db.models import Delivery, Recurrence
from socialhub.sandbox_network.server import SandboxServer
from socialhub.services.accounts.tokens import TokenManager
from socialhub.services.analytics.collect import collect_metrics
from socialhub.services.events import subscribe, unsubscribe
from socialhub.services.experiments.experiments import (
    experiment_report,
    promote_winner,
    record_winners,
)
from socialhub.services.hub import Hub
from socialhub.services.manifests.apply import apply_manifests
from socialhub.services.manifests.documents import parse_manifests
from socialhub.services.publishing.engine import PublishingEngine
from tests.conftest import run_cli
from tests.publishing_kit import connect_account, now, run

MANIFEST = """\
apiVersion: socialhub/v1
kind: Campaign
metadata: {{name: spring}}
---
apiVersion: socialhub/v1
kind: Experiment
metadata: {{name: hook, campaign: spring}}
spec:
  metric: ctr
  min_sample: 1000
  confidence: 0.95
  arms:
    - name: question
      account: sandbox:@a
      text: "Ready for spring? https://shop.example.com/spring"
      at: {at}
    - name: statement
      account: sandbox:@b
      text: "Our spring range is in: https://shop.example.com/spring"
      at: {at}
"""


class Clock:
    """The sandbox's clock: real time plus a jump the test makes, moved back to the last
    Wednesday 18:00 UTC. The sandbox's audience follows the hour of day and the weekday
    (a post at 01:00 UTC reaches a tenth of one at 18:00), so without the move the arms'
    impressions, and the test, would depend on when it runs."""

    def __init__(self) -> None:
        self.offset = 0.0
        start = datetime.now(UTC)
        busy = start.replace(hour=18, minute=0, second=0, microsecond=0)
        busy -= timedelta(days=(start.weekday() - 2) % 7)  # Wednesday: midweek
        if busy > start:
            busy -= timedelta(days=7)
        self.shift = (busy - start).total_seconds()  # within the tokens' 30 days

    def __call__(self) -> float:
        return time.time() + self.shift + self.offset


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox(clock: Clock) -> Iterator[SandboxServer]:
    # Tokens outlive the jump in time (the refresh path is not what is tested here).
    server = SandboxServer(latency_ms=2, clock=clock, token_ttl=30 * 86400).start()
    yield server
    server.stop()


@pytest.fixture
def tokens(hub: Hub) -> Iterator[TokenManager]:
    manager = TokenManager(hub, worker="collector")
    yield manager
    manager.close()


def _apply_and_publish(hub: Hub, engine: PublishingEngine) -> None:
    at = (now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S UTC")
    manifests, issues = parse_manifests([("hook.yaml", MANIFEST.format(at=at))])
    assert issues == []
    with hub.context("cli") as ctx:
        apply_manifests(ctx, manifests, now=now())
        # Arrange: the arms are due now rather than in an hour.
        ctx.session.execute(update(Delivery).values(due_at=now() - timedelta(seconds=1),
                                                    next_attempt_at=now()))
    with hub.transaction() as session:
        ids = list(session.scalars(select(Delivery.id)))
    assert len(ids) == 2
    assert run(engine, hub, ids)


def test_an_experiment_reaches_a_winner_on_the_sandbox_and_is_promoted(
        hub: Hub, sandbox: SandboxServer, clock: Clock, engine: PublishingEngine,
        tokens: TokenManager, tmp_path: Path) -> None:
    for handle in ("a", "b"):
        connect_account(hub, sandbox.url, handle)
    _apply_and_publish(hub, engine)
    found: list[str] = []
    sub = subscribe("experiment.winner_found", lambda ev, _s: found.append(str(ev.subject)))
    try:
        # A minute after publishing the arms have a few dozen impressions each.
        clock.offset = 60
        t0 = now()
        assert collect_metrics(hub, tokens, now=t0)["captured"] == 2
        with hub.context("cli") as ctx:
            early = experiment_report(ctx, "hook")
            assert record_winners(ctx) == []
        assert early["best"] is None
        assert early["verdict"].startswith("no winner yet: ")
        assert "more impressions (min_sample 1,000)" in early["verdict"]
        refused = run_cli("experiments", "promote", "hook")
        assert refused.exit_code == 6 and "no winner to promote: no winner yet" in refused.stderr

        # Three days on, the sandbox's audience has seen them both thousands of times.
        clock.offset = 3 * 86400
        second = collect_metrics(hub, tokens, now=t0 + timedelta(hours=1))
        assert second["captured"] == 2, second
        with hub.context("cli") as ctx:
            data = experiment_report(ctx, "hook")
            won = record_winners(ctx)
        arms = {a["name"]: a for a in data["arms"]}
        assert all(a["impressions"] >= 1000 for a in arms.values())
        assert arms["question"]["rate"] > arms["statement"]["rate"]
        assert arms["question"]["p_best"] >= 0.95
        assert data["best"] == "question" and data["verdict"].startswith("winner: question")
        assert [w["winner"] for w in won] == ["question"]
        with hub.context("cli") as ctx:
            assert record_winners(ctx) == []  # announced once
        assert found == ["hook"]
    finally:
        unsubscribe(sub)

    shown = run_cli("experiments", "status", "hook")
    assert shown.exit_code == 0
    assert "question:" in shown.stdout and "P(best)" in shown.stdout
    assert shown.stdout.strip().splitlines()[-1].startswith("winner: question")

    with hub.context("cli") as ctx:
        promoted = promote_winner(ctx, "hook", cooldown_days=14, times=3)
    assert promoted["post"] == "hook.question"
    assert promoted["evergreen"]["cooldown_days"] == 14
    with hub.transaction() as session:
        entry = session.scalars(select(Recurrence)).one()
        assert (entry.interval, entry.max_occurrences) == (14, 3)
    again = run_cli("experiments", "promote", "hook")
    assert again.exit_code == 6 and "already promoted" in again.stderr
    listed = run_cli("evergreen", "list", "--json").json()
    assert [r["post"] for r in listed] == ["hook.question"]

    # The campaign report carries the clicks, the CTR and the experiment's verdict.
    pdf = tmp_path / "spring.pdf"
    made = run_cli("report", "--campaign", "spring", "-o", str(pdf))
    assert made.exit_code == 0, made.stderr
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Clicks and CTR" in text and "Experiments" in text
    assert "winner: question" in text and "P(best)" in text
    assert "Policy findings\nNo policy findings recorded." in text
    report = run_cli("report", "--campaign", "spring", "-o", str(tmp_path / "s.json")).exit_code
    assert report == 0
