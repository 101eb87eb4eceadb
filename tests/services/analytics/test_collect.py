"""Metric collection against the real sandbox: schedule, budget, absent vs 0, accounts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from socialhub.db.models import AccountSnapshot, MetricLatest, MetricSnapshot
from socialhub.sandbox_network.server import SandboxServer
from socialhub.services.accounts.tokens import TokenManager
from socialhub.services.analytics.collect import collect_metrics
from socialhub.services.hub import Hub
from socialhub.services.ops.daemon_status import ingest_lag
from socialhub.services.publishing.engine import PublishingEngine
from tests.conftest import run_cli
from tests.publishing_kit import account_status, now, reconnect, run, schedule


@pytest.fixture
def tokens(hub: Hub) -> Iterator[TokenManager]:
    """A token manager for collection, closed after the test."""
    manager = TokenManager(hub, worker="collector")
    yield manager
    manager.close()


def _published(hub: Hub, engine: PublishingEngine, n: int) -> list[int]:
    ids = [schedule(hub, f"p{i}", now() - timedelta(seconds=1)) for i in range(n)]
    assert run(engine, hub, ids)
    return ids


def _count(hub: Hub, model: type) -> int:
    with hub.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_posts_are_captured_hourly_and_latest_is_kept_beside_history(
        hub: Hub, account: int, engine: PublishingEngine, tokens: TokenManager) -> None:
    ids = _published(hub, engine, 2)
    t0 = now()
    assert collect_metrics(hub, tokens, now=t0)["captured"] == 2
    assert collect_metrics(hub, tokens, now=t0 + timedelta(minutes=30))["captured"] == 0
    assert collect_metrics(hub, tokens, now=t0 + timedelta(hours=1))["captured"] == 2
    assert _count(hub, MetricSnapshot) == 4
    with hub.transaction() as session:
        latest = session.get(MetricLatest, ids[0])
        assert latest is not None
        assert latest.snapshots == 2 and latest.captured_at == t0 + timedelta(hours=1)
        assert latest.first_captured_at == t0
        # The sandbox gives no clicks or saves: absent, never 0.
        assert latest.clicks is None and latest.saves is None
        assert latest.likes is not None


def test_posts_older_than_the_configured_age_are_not_captured(
        hub: Hub, account: int, engine: PublishingEngine, tokens: TokenManager) -> None:
    _published(hub, engine, 1)
    hub.config.settings.analytics.max_age_days = 1
    assert collect_metrics(hub, tokens, now=now() + timedelta(days=2))["captured"] == 0


def test_old_posts_are_captured_daily(
        hub: Hub, account: int, engine: PublishingEngine, tokens: TokenManager) -> None:
    _published(hub, engine, 1)
    later = now() + timedelta(days=8)
    assert collect_metrics(hub, tokens, now=later)["captured"] == 1
    assert collect_metrics(hub, tokens, now=later + timedelta(hours=2))["captured"] == 0
    assert collect_metrics(hub, tokens, now=later + timedelta(days=1))["captured"] == 1


def test_a_run_spends_at_most_the_request_budget_per_network(
        hub: Hub, account: int, engine: PublishingEngine, tokens: TokenManager) -> None:
    _published(hub, engine, 3)
    hub.config.settings.analytics.requests_per_run = 2
    t0 = now()
    first = collect_metrics(hub, tokens, now=t0)
    assert (first["captured"], first["deferred"]) == (2, 1)
    # The one left waiting goes first next time.
    second = collect_metrics(hub, tokens, now=t0 + timedelta(minutes=5))
    assert (second["captured"], second["deferred"]) == (1, 0)


def test_account_followers_are_captured_once_a_day(
        hub: Hub, account: int, sandbox: SandboxServer, tokens: TokenManager) -> None:
    t0 = now()
    assert collect_metrics(hub, tokens, now=t0)["profiles"] == 1
    assert collect_metrics(hub, tokens, now=t0 + timedelta(minutes=5))["profiles"] == 0
    with hub.transaction() as session:
        snap = session.scalars(select(AccountSnapshot)).one()
        assert snap.followers is not None and snap.followers >= 100
        assert snap.posts == 0 and snap.captured_on == t0.date()


def test_ingest_lag_measures_published_to_first_capture(
        hub: Hub, account: int, engine: PublishingEngine, tokens: TokenManager) -> None:
    _published(hub, engine, 1)
    t0 = now()
    with hub.transaction() as session:
        before = ingest_lag(session, t0)
    assert before["count"] == 0 and before["waiting"] == 1 and before["p50_s"] is None
    collect_metrics(hub, tokens, now=t0 + timedelta(seconds=90))
    with hub.transaction() as session:
        after = ingest_lag(session, t0)
    assert after["count"] == 1 and after["waiting"] == 0
    assert 89 <= after["p50_s"] <= 120
    shown = run_cli("daemon", "status")  # what a person reads
    assert "metrics ingest lag (published → first capture, last 7 days): p50" in shown.stdout
    assert run_cli("daemon", "status", "--json").json()["metrics_ingest_lag"]["count"] == 1


def test_a_count_a_later_capture_lacks_keeps_its_last_captured_value(
        hub: Hub, account: int, engine: PublishingEngine) -> None:
    # X's link clicks vanish after 30 days: the capture of day 31 has none.
    from socialhub.services.analytics.captures import record_capture

    d_id = _published(hub, engine, 1)[0]
    t0 = now()
    day29: dict[str, int | None] = {"impressions": 400, "likes": 9, "clicks": 12}
    day31: dict[str, int | None] = {"impressions": 410, "likes": 10, "clicks": None}
    with hub.transaction() as session:
        record_capture(session, d_id, t0, day29, {})
        record_capture(session, d_id, t0 + timedelta(days=2), day31, {})
    with hub.transaction() as session:
        latest = session.get(MetricLatest, d_id)
        assert latest is not None
        assert (latest.impressions, latest.likes, latest.clicks) == (410, 10, 12)
        history = session.scalars(select(MetricSnapshot.clicks).where(
            MetricSnapshot.delivery_id == d_id).order_by(MetricSnapshot.captured_at)).all()
        assert history == [12, None]  # the history says what each capture found


def test_analytics_collect_measures_the_organizations_posts_now_on_the_same_schedule(
        hub: Hub, account: int, engine: PublishingEngine, tokens: TokenManager) -> None:
    _published(hub, engine, 2)
    # Limited to other accounts, nothing of this one is measured.
    assert collect_metrics(hub, tokens, accounts=set())["captured"] == 0
    first = run_cli("analytics", "collect", "--json")
    assert first.exit_code == 0, first.stderr
    assert first.json()["captured"] == 2 and first.json()["failed"] == 0
    assert _count(hub, MetricSnapshot) == 2
    again = run_cli("analytics", "collect")  # measured minutes ago: not due again
    assert again.exit_code == 0 and "measured 0 post(s)" in again.stderr
    assert _count(hub, MetricSnapshot) == 2


def test_collection_holding_the_token_a_reconnect_revoked_uses_the_new_one(
        hub: Hub, account: int, sandbox: SandboxServer, engine: PublishingEngine,
        tokens: TokenManager) -> None:
    # The daemon's adapter was built before `accounts connect` reconnected the account:
    # the platform refuses its old token and the new one is in the database. Collection
    # takes it, as sends and the inbox sync do, instead of failing until a send
    # happens to refresh the shared adapter.
    _published(hub, engine, 2)
    old = tokens.adapter_for(account).tokens.access_token
    reconnect(hub, sandbox.url, "demo")
    counts = collect_metrics(hub, tokens, now=now())
    assert (counts["captured"], counts["failed"], counts["profiles"]) == (2, 0, 1)
    assert tokens.adapter_for(account).tokens.access_token != old
    assert _count(hub, MetricSnapshot) == 2 and _count(hub, AccountSnapshot) == 1
    assert account_status(hub, account) == "active"


def test_collection_refreshes_an_expired_token_once(
        hub: Hub, account: int, sandbox: SandboxServer, engine: PublishingEngine,
        tokens: TokenManager) -> None:
    _published(hub, engine, 1)
    adapter = tokens.adapter_for(account)
    old = adapter.tokens.access_token
    assert old is not None
    sandbox.world.tokens[old].expires_at = 0.0  # expired early, as a platform may say
    counts = collect_metrics(hub, tokens, now=now())
    assert (counts["captured"], counts["failed"], counts["profiles"]) == (1, 0, 1)
    assert adapter.tokens.access_token != old
    assert tokens.refresh_counts["ok"] == 1
    assert account_status(hub, account) == "active"


def test_a_refused_token_with_nothing_newer_stored_fails_the_run_and_is_tried_again(
        hub: Hub, account: int, sandbox: SandboxServer, engine: PublishingEngine,
        tokens: TokenManager) -> None:
    # Revoked at the platform, no reconnect: nothing to adopt. As before, collection
    # logs the failure and does not flag the account itself (a metrics endpoint may
    # refuse for a missing analytics scope while publishing still works).
    _published(hub, engine, 2)
    old = tokens.adapter_for(account).tokens.access_token
    httpx.post(f"{sandbox.url}/oauth/revoke", data={"token": old}, timeout=5)
    counts = collect_metrics(hub, tokens, now=now())
    assert (counts["captured"], counts["failed"], counts["profiles"]) == (0, 2, 0)
    assert _count(hub, MetricSnapshot) == 0 and _count(hub, AccountSnapshot) == 0
    assert tokens.adapter_for(account).tokens.access_token == old
    assert account_status(hub, account) == "active"
