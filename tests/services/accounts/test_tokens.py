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
from tests.publishing_kit import make_hub


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
