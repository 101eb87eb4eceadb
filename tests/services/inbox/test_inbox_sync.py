"""Inbox sync against the sandbox: every item once, the cursor kept across errors and rate
limits, events for new items, sentiment/flags/language stored and filterable."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import func, select

from socialhub.db.models import Account, InboxCursor, InboxItem
from socialhub.sandbox_network.server import SandboxServer
from socialhub.services.accounts.tokens import TokenManager
from socialhub.services.events import Event, subscribe, unsubscribe
from socialhub.services.hub import Hub
from socialhub.services.inbox.items import inbox_filter, list_inbox
from socialhub.services.inbox.sync import InboxSync, run_sync
from tests.publishing_kit import reconnect
from tests.services.inbox.conftest import simulate


def _count(hub: Hub) -> int:
    with hub.transaction() as session:
        return session.scalar(select(func.count(InboxItem.id))) or 0


def _cursor(hub: Hub, account: int) -> InboxCursor:
    with hub.transaction() as session:
        state = session.get(InboxCursor, account)
        assert state is not None
        session.expunge(state)
        return state


def test_sync_stores_every_item_once_and_a_second_sync_adds_nothing(
        hub: Hub, sandbox: SandboxServer, account: int) -> None:
    simulate(sandbox, 30)
    received: list[Event] = []
    sub = subscribe("inbox.item_received", lambda event, scope: received.append(event))
    try:
        [report] = run_sync(hub, [account])
        assert (report.new, report.error) == (30, None)
        assert len(received) == 30
        assert {e.data["kind"] for e in received} <= {"comment", "mention", "reply", "message"}
        [again] = run_sync(hub, [account])
    finally:
        unsubscribe(sub)
    assert again.new == 0
    assert _count(hub) == 30
    simulate(sandbox, 5, seed=8)
    [more] = run_sync(hub, [account])
    assert more.new == 5 and _count(hub) == 35


def test_a_failing_platform_keeps_the_cursor_and_backs_off(
        hub: Hub, sandbox: SandboxServer, account: int) -> None:
    simulate(sandbox, 10)
    run_sync(hub, [account])
    before = _cursor(hub, account).cursor
    simulate(sandbox, 4)
    sandbox.configure(fail_rate=1.0)
    [failed] = run_sync(hub, [account])
    assert failed.error and failed.new == 0
    state = _cursor(hub, account)
    assert state.cursor == before  # never lost
    assert state.failures == 1 and state.last_error
    assert state.next_sync_at is not None
    sandbox.configure(fail_rate=0.0)
    [ok] = run_sync(hub, [account])
    assert ok.new == 4 and _count(hub) == 14
    assert _cursor(hub, account).failures == 0


def test_a_rate_limit_moves_the_next_sync_to_the_reset(
        hub: Hub, sandbox: SandboxServer, account: int) -> None:
    simulate(sandbox, 3)
    sandbox.configure(rate_limit="1/3600s")
    httpx_first = run_sync(hub, [account])  # the token refresh check spends nothing
    assert httpx_first[0].new == 3
    [limited] = run_sync(hub, [account])
    assert limited.error and "rate limited" in limited.error
    state = _cursor(hub, account)
    assert state.next_sync_at is not None
    assert state.next_sync_at > state.synced_at + timedelta(seconds=60)  # type: ignore[operator]


def test_items_are_analysed_and_filterable(hub: Hub, sandbox: SandboxServer,
                                           account: int) -> None:
    simulate(sandbox, 60)
    run_sync(hub, [account])
    with hub.context("cli") as ctx:
        everything, total = list_inbox(ctx, inbox_filter(ctx))
        negative, n_neg = list_inbox(ctx, inbox_filter(ctx, sentiment="negative"))
        spam, _ = list_inbox(ctx, inbox_filter(ctx, flag="spam"))
        messages, _ = list_inbox(ctx, inbox_filter(ctx, kinds=["message"]))
    assert total == 60 and len(everything) == 60
    assert 0 < n_neg < 60 and all(r["sentiment"] == "negative" for r in negative)
    assert {r["sentiment"] for r in everything} == {"positive", "neutral", "negative"}
    assert spam and all("spam" in r["flags"] for r in spam)
    assert messages and all(r["kind"] == "message" for r in messages)
    assert {"fr", "de", "es", "en"} <= {r["language"] for r in everything}


def test_a_sync_holding_the_token_a_reconnect_revoked_uses_the_new_one(
        hub: Hub, sandbox: SandboxServer, account: int) -> None:
    # The daemon's inbox sync shares the send's adapter, built before the account was
    # reconnected: the platform refuses its old token, and the new one is stored. That is
    # not a revoked account: flagging it needs_reauth would stop every send it has.
    tokens = TokenManager(hub, worker="w")
    try:
        old = tokens.adapter_for(account).tokens.access_token
        reconnect(hub, sandbox.url, "demo")
        simulate(sandbox, 3)
        [report] = InboxSync(hub, tokens).run([account])
        assert (report.new, report.error) == (3, None)
        assert tokens.adapter_for(account).tokens.access_token != old
    finally:
        tokens.close()
    with hub.transaction() as session:
        row = session.get(Account, account)
        assert row is not None and row.status == "active"


def test_a_sync_refused_with_nothing_newer_stored_flags_the_account(
        hub: Hub, sandbox: SandboxServer, account: int) -> None:
    # Revoked at the platform and not reconnected: nothing to adopt, so the account is
    # flagged needs_reauth (its deliveries wait) and the sync backs off.
    tokens = TokenManager(hub, worker="w")
    try:
        old = tokens.adapter_for(account).tokens.access_token
        httpx.post(f"{sandbox.url}/oauth/revoke", data={"token": old}, timeout=5)
        [report] = InboxSync(hub, tokens).run([account])
        assert report.error and report.new == 0
    finally:
        tokens.close()
    with hub.transaction() as session:
        row = session.get(Account, account)
        assert row is not None and row.status == "needs_reauth"
    assert _cursor(hub, account).failures == 1
