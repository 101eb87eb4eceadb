"""The delivery engine under faults (5xx, timeouts, rate limits, bad tokens, crashes).

Each test drives a real PublishingEngine against a real SandboxServer and a
real database, then counts what the sandbox received: nothing may be lost
and nothing may arrive twice.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select

from socialhub.platforms.sandbox.adapter import SandboxAdapter
from socialhub.sandbox_network.server import SandboxServer
from socialhub.services.hub import Hub
from socialhub.services.publishing.engine import PublishingEngine
from tests.publishing_kit import (
    account_status,
    connect_account,
    delivery,
    make_engine,
    now,
    outcomes,
    reconnect,
    run,
    sandbox_posts,
    schedule,
)


def test_server_errors_are_retried_with_backoff_then_published_once(
        hub: Hub, sandbox: SandboxServer, account: int) -> None:
    sandbox.configure(fail_rate=1.0)
    d_id = schedule(hub, "flaky", now() - timedelta(seconds=1))
    engine = make_engine(hub, base=0.4)
    engine.run_until(lambda: delivery(hub, d_id).attempts >= 1, timeout_s=5)
    d = delivery(hub, d_id)
    assert d.status == "retry_scheduled"
    assert "HTTP 500" in (d.last_error or "")
    # Backed off, not hammering: with base 0.4 s the first retry waits at least 0.2 s
    # after the failed attempt ended (measured from the attempt, not the clock now,
    # which a loaded machine may already have carried past it).
    with hub.transaction() as session:
        from socialhub.db.models import Attempt

        ended = session.scalar(select(Attempt.ended_at).where(Attempt.delivery_id == d_id)
                               .order_by(Attempt.id.desc()).limit(1))
    assert ended is not None
    assert (d.next_attempt_at - ended).total_seconds() >= 0.19
    sandbox.configure(fail_rate=0.0)
    assert run(engine, hub, [d_id])
    assert outcomes(hub, d_id)[-1] == "published"
    assert len(sandbox_posts(sandbox.url)) == 1


def test_retry_budget_spent_ends_dead_with_a_reason(
        hub: Hub, sandbox: SandboxServer, account: int) -> None:
    sandbox.configure(fail_rate=1.0)
    d_id = schedule(hub, "doomed", now() - timedelta(seconds=1))
    assert run(make_engine(hub, max_attempts=3, base=0.01), hub, [d_id], ("dead",))
    d = delivery(hub, d_id)
    assert d.attempts == 3
    assert d.last_error and d.last_error.startswith("gave up after 3 attempts")
    assert sandbox_posts(sandbox.url) == []


def test_invalid_content_is_dead_at_once_without_retries(
        hub: Hub, sandbox: SandboxServer, account: int, engine: PublishingEngine) -> None:
    sandbox.configure(max_chars=5)
    d_id = schedule(hub, "too-long", now() - timedelta(seconds=1), text="far too long for it")
    assert run(engine, hub, [d_id], ("dead",))
    d = delivery(hub, d_id)
    assert d.attempts == 1
    assert "longer than 5 characters" in (d.last_error or "")


def test_timeout_after_send_is_unconfirmed_then_found_not_resent(
        hub: Hub, sandbox: SandboxServer, account: int) -> None:
    sandbox.configure(timeout_rate=1.0, hang_s=3.0)
    d_id = schedule(hub, "lost-answer", now() - timedelta(seconds=1))
    engine = make_engine(hub, timeout_s=0.5, base=0.2)
    engine.run_until(lambda: delivery(hub, d_id).status == "unconfirmed", timeout_s=10)
    assert delivery(hub, d_id).status == "unconfirmed"
    sandbox.configure(timeout_rate=0.0)
    assert run(engine, hub, [d_id])
    posts = sandbox_posts(sandbox.url)
    assert len(posts) == 1
    assert delivery(hub, d_id).remote_id == posts[0]["id"]
    assert outcomes(hub, d_id) == ["unknown", "published"]  # the lookup found it


def test_rate_limit_waits_until_reset_without_spending_the_budget(
        hub: Hub, sandbox: SandboxServer, account: int) -> None:
    sandbox.configure(rate_limit="1/3600s")
    first = schedule(hub, "first", now() - timedelta(seconds=2))
    second = schedule(hub, "second", now() - timedelta(seconds=1))
    engine = make_engine(hub, max_attempts=1, per_account=1)
    engine.run_until(lambda: delivery(hub, second).status == "retry_scheduled", timeout_s=10)
    engine.close()
    d = delivery(hub, second)
    assert d.status == "retry_scheduled"  # not dead, although max_attempts is 1
    assert d.next_attempt_at > now() + timedelta(seconds=0.5)
    assert d.last_error_class == "RateLimitedError"
    assert delivery(hub, first).status == "published"
    assert len(sandbox_posts(sandbox.url)) == 1


def test_revoked_token_pauses_the_account_without_burning_attempts(
        hub: Hub, sandbox: SandboxServer, account: int) -> None:
    from socialhub.services.accounts.tokens import TokenManager

    tm = TokenManager(hub, worker="t")
    httpx.post(f"{sandbox.url}/oauth/revoke",
               data={"token": tm.adapter_for(account).tokens.access_token})
    tm.close()
    d_id = schedule(hub, "paused", now() - timedelta(seconds=1))
    engine = make_engine(hub, max_attempts=1)
    engine.run_until(lambda: delivery(hub, d_id).last_error is not None, timeout_s=10)
    engine.dispatch_due()  # paused: nothing more is claimed
    engine.close()
    d = delivery(hub, d_id)
    assert d.status == "retry_scheduled"
    assert "reconnected" in (d.last_error or "")
    with hub.transaction() as session:
        from socialhub.db.models import Account

        acc = session.get(Account, account)
        assert acc is not None and acc.status == "needs_reauth"
    assert len(outcomes(hub, d_id)) == 1
    assert sandbox_posts(sandbox.url) == []


def test_token_expired_mid_queue_is_refreshed_once_and_the_post_goes_out(
        hub: Hub, db_home: str, engine: PublishingEngine) -> None:
    from socialhub.db.models import Credential

    # Tokens live 3 s: long enough that the refreshed one still works when the retry is
    # sent on a busy machine (with 1 s it sometimes expired again before the send).
    with SandboxServer(token_ttl=3) as server:
        acc = connect_account(hub, server.url)
        with hub.transaction() as session:  # the stored expiry lies: only the 401 tells
            cred = session.scalar(select(Credential).where(Credential.account_id == acc))
            assert cred is not None
            cred.expires_at = now() + timedelta(days=1)
            old_refresh = cred.refresh_token_enc
        import time

        time.sleep(3.2)
        d_id = schedule(hub, "expired", now() - timedelta(seconds=1))
        assert run(engine, hub, [d_id])
        assert outcomes(hub, d_id) == ["auth_expired", "published"]
        assert len(sandbox_posts(server.url)) == 1
        with hub.transaction() as session:
            cred = session.scalar(select(Credential).where(Credential.account_id == acc))
            assert cred is not None and cred.refresh_token_enc != old_refresh
            assert cred.status == "valid"


def test_crashed_daemons_send_is_looked_up_not_resent(
        hub: Hub, sandbox: SandboxServer, account: int, engine: PublishingEngine) -> None:
    from socialhub.db.models import Delivery
    from socialhub.platforms.sandbox.adapter import part_key

    d_id = schedule(hub, "crashed", now() - timedelta(seconds=5))
    adapter = engine.tokens.adapter_for(account)
    assert isinstance(adapter, SandboxAdapter)
    key = delivery(hub, d_id).idempotency_key
    adapter._call("POST", "/api/posts", json={"text": "hello from crashed"},
                  headers={"Idempotency-Key": part_key(key, 0)})
    with hub.transaction() as session:  # another host's daemon died mid-send
        row = session.get(Delivery, d_id)
        assert row is not None
        row.status, row.attempts = "publishing", 1
        row.lease_owner, row.lease_expires_at = "elsewhere:1:abc", now() - timedelta(seconds=1)
    assert run(engine, hub, [d_id])
    assert len(sandbox_posts(sandbox.url)) == 1
    assert outcomes(hub, d_id) == ["published"]  # found by lookup, no new send
    assert delivery(hub, d_id).attempts == 1


def lose_the_answer(hub: Hub, sandbox: SandboxServer, name: str, *,
                    hang_s: float = 3.0) -> tuple[int, PublishingEngine]:
    """A delivery whose post the sandbox made but never confirmed: ``unconfirmed``, with
    the engine that sent it (the sandbox answers normally again afterwards)."""
    sandbox.configure(timeout_rate=1.0, hang_s=hang_s)
    d_id = schedule(hub, name, now() - timedelta(seconds=1))
    engine = make_engine(hub, timeout_s=0.5, base=0.2)
    engine.run_until(lambda: delivery(hub, d_id).status == "unconfirmed", timeout_s=10)
    sandbox.configure(timeout_rate=0.0)
    return d_id, engine


def assert_posted_once(sandbox: SandboxServer) -> None:
    assert sandbox.world.stats["idempotent_replays"] == 0  # never sent again
    assert len(sandbox_posts(sandbox.url)) == 1


def test_an_unconfirmed_send_of_an_account_revoked_meanwhile_is_looked_up_after_the_reconnect(
        hub: Hub, sandbox: SandboxServer, account: int) -> None:
    # The answer to the send is lost, then the person removes the app at the platform: the
    # look-up is refused. The delivery must wait as it is, unconfirmed, and be looked up
    # once the account is reconnected: sending it again (as a paused send would be) could
    # duplicate the post on a network that has no idempotency keys (X, LinkedIn, Reddit…).
    d_id, engine = lose_the_answer(hub, sandbox, "lost-then-revoked")
    httpx.post(f"{sandbox.url}/oauth/revoke", timeout=5,
               data={"token": engine.tokens.adapter_for(account).tokens.access_token})
    engine.run_until(lambda: account_status(hub, account) == "needs_reauth", timeout_s=10)
    engine.close()
    d = delivery(hub, d_id)
    assert d.status == "unconfirmed" and "reconnected" in (d.last_error or "")
    reconnect(hub, sandbox.url, "demo")
    assert run(make_engine(hub), hub, [d_id])
    assert outcomes(hub, d_id) == ["unknown", "paused", "published"]  # the last: a look-up
    assert_posted_once(sandbox)


def test_the_look_up_of_an_unconfirmed_send_uses_an_account_reconnected_meanwhile(
        hub: Hub, sandbox: SandboxServer, account: int) -> None:
    d_id, engine = lose_the_answer(hub, sandbox, "lost-then-reconnected")
    reconnect(hub, sandbox.url, "demo")  # the engine's adapter still holds the revoked token
    assert run(engine, hub, [d_id])
    assert outcomes(hub, d_id) == ["unknown", "published"]  # found by the look-up
    assert account_status(hub, account) == "active"
    assert_posted_once(sandbox)


def test_the_look_up_of_an_unconfirmed_send_refreshes_an_expired_token_once(
        hub: Hub, db_home: str) -> None:
    import time

    from socialhub.db.models import Credential

    # Tokens live 5 s: the send, which must still be accepted, is out well before that
    # even on a loaded machine; the look-up comes after.
    with SandboxServer(token_ttl=5) as server:
        acc = connect_account(hub, server.url)
        born = time.monotonic()
        with hub.transaction() as session:  # the stored expiry lies: only the 401 tells
            cred = session.scalar(select(Credential).where(Credential.account_id == acc))
            assert cred is not None
            cred.expires_at = now() + timedelta(days=1)
        d_id, engine = lose_the_answer(hub, server, "lost-then-expired", hang_s=1.0)
        time.sleep(max(0.0, born + 5.2 - time.monotonic()))  # the access token has expired
        assert run(engine, hub, [d_id])
        assert outcomes(hub, d_id) == ["unknown", "published"]  # found by the look-up
        assert account_status(hub, acc) == "active"
        assert_posted_once(server)
