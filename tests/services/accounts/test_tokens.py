"""The token manager: proactive and reactive refresh, one refresh per rotation, needs_reauth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from socialhub.db.models import Account, Credential
from socialhub.platforms.base import PlatformAdapter
from socialhub.sandbox_network.server import SandboxServer
from socialhub.services.accounts.tokens import TokenManager
from socialhub.services.hub import Hub
from tests.publishing_kit import account_status, make_hub, reconnect, wait_for


def stored(hub: Hub, account_id: int) -> Credential:
    with hub.transaction() as session:
        cred = session.scalar(select(Credential).where(Credential.account_id == account_id))
        assert cred is not None
        session.expunge(cred)
        return cred


def test_token_inside_the_window_is_refreshed_before_use(
        hub: Hub, sandbox: SandboxServer, account: int) -> None:
    before = stored(hub, account)
    with hub.transaction() as session:  # expires in 5 minutes: inside the 15-minute window
        cred = session.scalar(select(Credential).where(Credential.account_id == account))
        assert cred is not None
        cred.expires_at = datetime.now(UTC) + timedelta(minutes=5)
    manager = TokenManager(hub, worker="w", refresh_window=timedelta(minutes=15))
    assert manager.refresh_expiring() == {"refreshed": 1, "failed": 0, "skipped": 0}
    after = stored(hub, account)
    assert after.refresh_token_enc != before.refresh_token_enc
    assert after.expires_at is not None and after.expires_at > datetime.now(UTC) + timedelta(
        minutes=30)
    assert manager.refresh_expiring()["refreshed"] == 0  # fresh now: nothing to do
    manager.close()


def test_failed_refresh_marks_needs_reauth_and_keeps_the_refresh_token(
        hub: Hub, sandbox: SandboxServer, account: int) -> None:
    before = stored(hub, account)
    sandbox.world.reset(accounts=True)  # the platform forgot every token: refresh is refused
    manager = TokenManager(hub, worker="w")
    events: list[str] = []
    manager.notify = lambda event, data: events.append(event)
    adapter = manager.adapter_for(account)
    with pytest.raises(Exception, match="refresh"):
        manager.refresh(account, adapter, failed_token=adapter.tokens.access_token)
    with hub.transaction() as session:
        acc = session.get(Account, account)
        assert acc is not None and acc.status == "needs_reauth"
        assert "refresh" in (acc.status_reason or "")
    assert stored(hub, account).refresh_token_enc == before.refresh_token_enc  # never wiped
    assert events == ["needs_reauth"]
    manager.close()


def test_concurrent_refreshes_spend_the_rotated_refresh_token_once(
        hub: Hub, sandbox: SandboxServer, account: int) -> None:
    import threading

    managers = [TokenManager(hub, worker=f"w{i}") for i in range(2)] + [
        TokenManager(make_hub(), worker="w2")]
    adapters = [m.adapter_for(account) for m in managers]
    errors: list[BaseException] = []

    def refresh(m: TokenManager, a: PlatformAdapter) -> None:
        try:
            m.refresh(account, a, failed_token=a.tokens.access_token)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=refresh, args=pair) for pair in zip(
        managers, adapters, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len({a.tokens.access_token for a in adapters}) == 1  # everyone adopted one result
    with hub.transaction() as session:
        acc = session.get(Account, account)
        assert acc is not None and acc.status == "active"
    for m in managers:
        m.close()


def test_every_user_of_a_shared_adapter_adopts_the_tokens_of_a_reconnect(
        hub: Hub, sandbox: SandboxServer, account: int) -> None:
    # A send and the inbox sync share the daemon's adapter; both were refused the old
    # token. The second to ask finds the new tokens already adopted by the first, and
    # must hear "send again", not "flag the account for a reconnect".
    manager = TokenManager(hub, worker="w")
    adapter = manager.adapter_for(account)
    refused = adapter.tokens.access_token
    reconnect(hub, sandbox.url, "demo")
    assert manager.adopt_stored(account, adapter, refused)
    assert adapter.tokens.access_token != refused
    assert manager.adopt_stored(account, adapter, refused)  # the second user of the adapter
    assert not manager.adopt_stored(account, adapter, None)  # nothing newer than its tokens
    assert not manager.adopt_stored(account, adapter, adapter.tokens.access_token)
    manager.close()


def test_an_adapter_dropped_mid_request_still_hears_the_platforms_answer(
        hub: Hub, sandbox: SandboxServer, account: int) -> None:
    # Flagging an account (another thread's 401) drops its cached adapter. A post already
    # sent with that adapter must get its answer, not a transport error: that error would
    # make the delivery "unconfirmed" although the platform answered.
    import threading

    from socialhub.platforms.base import PublishRequest

    sandbox.configure(latency_ms=400)
    manager = TokenManager(hub, worker="w")
    adapter = manager.adapter_for(account)
    results: list[object] = []

    def publish() -> None:
        try:
            results.append(adapter.publish(PublishRequest(
                idempotency_key="dropped-mid-request", parts=["in flight"]), lambda part: None))
        except Exception as exc:
            results.append(exc)

    sender = threading.Thread(target=publish)
    sender.start()
    assert wait_for(lambda: sandbox.world.stats["max_in_flight_per_account"] >= 1, timeout=10)
    manager.mark_needs_reauth(account, "another thread's request was refused")
    sender.join(30)
    [result] = results
    assert not isinstance(result, Exception), result
    assert manager.adapter_for(account) is not adapter  # dropped from the cache all the same
    assert not adapter._client.is_closed  # type: ignore[attr-defined]
    manager.retire_after_s = 0.0  # past its grace: the next drop closes it
    manager.forget(account)
    assert adapter._client.is_closed  # type: ignore[attr-defined]
    manager.close()


def test_a_flag_for_a_token_refused_before_a_reconnect_is_not_raised_after_it(
        hub: Hub, sandbox: SandboxServer, account: int) -> None:
    # A job refused the old token and found nothing newer; `accounts connect` then
    # committed; only then does the job flag the account. The flag names the refused
    # token, which is no longer the stored one: the account stays active.
    manager = TokenManager(hub, worker="w")
    refused = manager.adapter_for(account).tokens.access_token
    reconnect(hub, sandbox.url, "demo")
    assert not manager.mark_needs_reauth(account, "refused", refused_token=refused)
    assert account_status(hub, account) == "active"
    # The stored token refused: flagged, as without a token named.
    current = stored(hub, account)
    manager.forget(account)
    now_held = manager.adapter_for(account).tokens.access_token
    assert manager.mark_needs_reauth(account, "refused again", refused_token=now_held)
    assert account_status(hub, account) == "needs_reauth"
    assert not manager.mark_needs_reauth(account, "told once", refused_token=now_held)
    assert stored(hub, account).access_token_enc == current.access_token_enc  # never wiped
    manager.close()


def test_a_flag_racing_a_reconnect_in_flight_waits_for_it_and_stands_down(
        hub: Hub, sandbox: SandboxServer, account: int) -> None:
    # The reconnect's transaction is open (new tokens written, not committed) when the
    # job flags the old token. The flag must wait for it and see the new token — on
    # PostgreSQL that takes the row lock `save_connection` always takes by writing the
    # status, even when it reads "active" already.
    import threading
    import time

    from socialhub.platforms.base import ConnectedProfile, Tokens
    from socialhub.platforms.sandbox.adapter import connect
    from socialhub.security.keys import load_master_key
    from socialhub.services.accounts.connect import save_connection

    manager = TokenManager(hub, worker="w")
    refused = manager.adapter_for(account).tokens.access_token
    external_id, fresh = connect(sandbox.url, "demo")
    flagged: list[bool] = []
    with hub.transaction() as session:
        org_id = session.get(Account, account).org_id  # type: ignore[union-attr]
        save_connection(session, org_id, "sandbox", ConnectedProfile(
            handle="demo", external_id=external_id), Tokens(
            access_token=fresh.access_token, refresh_token=fresh.refresh_token,
            expires_at=fresh.expires_at), base_url=sandbox.url,
            key=load_master_key(hub.config))
        flagger = threading.Thread(target=lambda: flagged.append(manager.mark_needs_reauth(
            account, "refused", refused_token=refused)))
        flagger.start()
        time.sleep(0.5)  # the flag is now waiting for the reconnect's transaction
        assert not flagged
    flagger.join(30)
    assert flagged == [False]
    assert account_status(hub, account) == "active"
    manager.close()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_reconnect_that_read_the_credential_before_a_flag_still_leaves_it_valid(
        hub: Hub, sandbox: SandboxServer, account: int) -> None:
    # PostgreSQL only: there a reconnect's transaction holds no lock until it writes, so
    # a flag can commit between its read of the credential ("valid") and its write.
    # The reconnect wins (the account is active again); its credential must say
    # "valid" too, not keep the flag's "error" because "valid" was what it had read.
    # (On SQLite every transaction holds the write lock from its BEGIN.)
    from socialhub.platforms.base import ConnectedProfile, Tokens
    from socialhub.platforms.sandbox.adapter import connect
    from socialhub.security.keys import load_master_key
    from socialhub.services.accounts.connect import save_connection

    manager = TokenManager(hub, worker="w")
    external_id, fresh = connect(sandbox.url, "demo")
    with hub.transaction() as session:
        row = session.get(Account, account)
        assert row is not None and row.credential is not None
        assert row.credential.status == "valid"  # read before the flag
        assert manager.mark_needs_reauth(account, "refused")  # commits meanwhile
        save_connection(session, row.org_id, "sandbox", ConnectedProfile(
            handle="demo", external_id=external_id), Tokens(
            access_token=fresh.access_token, refresh_token=fresh.refresh_token,
            expires_at=fresh.expires_at), base_url=sandbox.url,
            key=load_master_key(hub.config))
    assert account_status(hub, account) == "active"
    assert stored(hub, account).status == "valid"
    manager.close()
