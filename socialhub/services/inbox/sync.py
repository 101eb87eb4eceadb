"""Syncing inboxes: each account's new items through its adapter, stored once, cursor kept.

One account at a time, one platform call per page, one short transaction per page:
the page's new items are inserted (``INSERT … ON CONFLICT DO NOTHING``, so an item
seen twice is stored once) and the cursor the adapter returned is saved *in the same
transaction*. A failure anywhere leaves the stored cursor where the last saved page
put it, so nothing is skipped; the next sync reads again from there.

The rate budget: at most ``inbox.max_pages`` calls of ``inbox.page_size`` items per
account per sync, then the account waits ``inbox.poll_interval_s``; a platform's
rate limit (``RateLimitedError``, raised by ``platforms/http.py`` from the status
code and the reset headers) moves the account's next sync to the reset instant;
other errors back off exponentially (up to an hour). New items are published on the
event bus as ``inbox.item_received`` after their transaction commits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from socialhub.ai.sentiment import Analyser, select_analyser
from socialhub.core.policy import Permission
from socialhub.db.models import Account
from socialhub.db.queries import inbox as queries
from socialhub.errors import ValidationError
from socialhub.platforms.base import InboxPage, PlatformAdapter, RemoteInboxItem
from socialhub.platforms.errors import (
    AdapterError,
    AuthRevokedError,
    RateLimitedError,
)
from socialhub.platforms.registry import specs
from socialhub.services.accounts.accounts import get_account
from socialhub.services.accounts.tokens import TokenManager
from socialhub.services.clock import now_utc
from socialhub.services.context import Ctx, use_case
from socialhub.services.events import Event, publish
from socialhub.services.hub import Hub

log = logging.getLogger(__name__)

ITEM_RECEIVED = "inbox.item_received"
MAX_BACKOFF = timedelta(hours=1)


def inbox_platforms() -> dict[str, tuple[str, ...]]:
    """Every network with an inbox, with the item kinds it reads (from the specs)."""
    return {s.name: s.inbox.kinds() for s in specs() if s.inbox.any}


@dataclass
class SyncReport:
    """How one account's sync went."""

    account_id: int
    account: str
    new: int = 0
    seen: int = 0
    pages: int = 0
    error: str | None = None
    next_sync_at: datetime | None = None
    new_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The report as plain data (``--json``)."""
        return {"account": self.account, "new": self.new, "seen": self.seen,
                "pages": self.pages, "error": self.error, "next_sync_at": self.next_sync_at}


@use_case(Permission.INBOX_READ)
def accounts_to_sync(ctx: Ctx, account: str | None = None) -> list[int]:
    """The accounts ``inbox sync`` reads now: ``account``, or every one with an inbox.

    Raises:
        NotFoundError: no such account.
        ValidationError: the account's network has no inbox in socialhub.
    """
    platforms = inbox_platforms()
    if account is not None:
        found = get_account(ctx.session, ctx.org_id, account)
        if found.platform not in platforms:
            raise ValidationError(f"{found.ref}: {found.platform} has no inbox in socialhub",
                                  hint="docs/inbox.md lists what each network offers")
        return [found.id]
    return queries.active_accounts_on(ctx.session, ctx.org_id, platforms)


class InboxSync:
    """Syncs accounts' inboxes; the daemon keeps one, ``inbox sync`` makes one per run.

    Args:
        hub: the database.
        tokens: builds each account's adapter with fresh tokens.
        analyser: reads sentiment, flags and language (default: ``inbox.analyser``).
        clock: the current instant (tests freeze it).
        channel: the channel (and actor) the ``inbox.item_received`` events name.
        stopping: true once the caller shuts down; the sync ends between pages.
    """

    def __init__(self, hub: Hub, tokens: TokenManager, *, analyser: Analyser | None = None,
                 clock: Callable[[], datetime] = now_utc, channel: str = "daemon",
                 stopping: Callable[[], bool] = lambda: False) -> None:
        self.hub = hub
        #: True once the daemon is shutting down: the sync stops between pages.
        self.stopping = stopping
        self.tokens = tokens
        settings = hub.config.settings
        self.config = settings.inbox
        self.analyser = analyser or select_analyser(settings.ai, self.config.analyser)
        self.clock = clock
        self.channel = channel
        self._platforms = inbox_platforms()

    def due(self) -> list[int]:
        """Accounts whose next sync is due now (the daemon's job asks this)."""
        with self.hub.transaction() as session:
            return [a.id for a in queries.accounts_due(session, self._platforms, self.clock())]

    def run(self, account_ids: Collection[int] | None = None) -> list[SyncReport]:
        """Sync ``account_ids`` (default: every account that is due); one report each."""
        ids = list(account_ids) if account_ids is not None else self.due()
        reports = []
        for account_id in ids:
            if self.stopping():
                break
            reports.append(self.sync_account(account_id))
        return reports

    def sync_account(self, account_id: int) -> SyncReport:
        """Read the account's new items page by page until caught up or out of budget."""
        with self.hub.transaction() as session:
            account = session.get(Account, account_id)
            if account is None:
                return SyncReport(account_id, f"account {account_id}", error="no such account")
            report = SyncReport(account_id, account.ref)
            org_id, platform = account.org_id, account.platform
            state = queries.cursor_of(session, account_id)
            cursor = dict(state.cursor) if state is not None else {}
        try:
            adapter = self.tokens.adapter_for(account_id)
            self.tokens.ensure_fresh(account_id, adapter)
            for _ in range(self.config.max_pages):
                page = self._fetch(account_id, adapter, cursor)
                report.pages += 1
                report.seen += len(page.items)
                new = self._store(org_id, account_id, platform, page.items, page.cursor)
                report.new += len(new)
                report.new_ids.extend(new)
                cursor = page.cursor
                if not page.more or self.stopping():
                    break
        except RateLimitedError as exc:
            report.error = f"rate limited: {exc.message}"
            self._failed(account_id, report, exc, until=exc.until)
        except AuthRevokedError as exc:
            self.tokens.mark_needs_reauth(account_id, str(exc), refused_token=exc.refused_token)
            report.error = str(exc)
            self._failed(account_id, report, exc)
        except (AdapterError, NotImplementedError, OSError) as exc:
            report.error = str(exc)
            self._failed(account_id, report, exc)
        else:
            self._succeeded(account_id, report)
        return report

    def _fetch(self, account_id: int, adapter: PlatformAdapter,
               cursor: dict[str, Any]) -> InboxPage:
        """One page; an expired token is refreshed once, and a refused one is replaced once
        by tokens stored since (the account was reconnected meanwhile), as the delivery
        engine does; only a token refused with nothing newer stored is the caller's
        AuthRevokedError (and the account's needs_reauth)."""
        return self.tokens.call(account_id, adapter, lambda: adapter.fetch_inbox(
            cursor, limit=self.config.page_size))

    # -- writing ---------------------------------------------------------------------------
    def _rows(self, org_id: int, account_id: int, platform: str,
              items: list[RemoteInboxItem], ours: dict[str, int]) -> list[dict[str, Any]]:
        now = self.clock()
        rows = []
        for item in items:
            found = self.analyser.analyse(item.text)
            rows.append({
                "org_id": org_id, "account_id": account_id, "platform": platform,
                "remote_id": item.remote_id[:500], "kind": item.kind,
                "author_handle": item.author_handle[:320],
                "author_name": (item.author_name or None) and item.author_name[:200],
                "text": item.text, "url": item.url,
                "delivery_id": ours.get(item.parent_id or ""),
                "parent_id": item.parent_id, "conversation_id": item.conversation_id,
                "context": dict(item.context), "received_at": item.received_at,
                "synced_at": now, "read": False, "archived": False, "assignee": None,
                "sentiment": found.sentiment, "sentiment_score": found.score,
                "flags": list(found.flags), "language": found.language})
        return rows

    def _store(self, org_id: int, account_id: int, platform: str,
               items: list[RemoteInboxItem], cursor: dict[str, Any]) -> list[int]:
        """Insert the page's new items and save the cursor, in one transaction."""
        with self.hub.transaction() as session:
            parents = {i.parent_id for i in items if i.parent_id}
            ours = queries.delivery_ids_by_remote(session, account_id, parents)
            new_ids = queries.insert_new_items(
                session, self._rows(org_id, account_id, platform, items, ours))
            state = queries.cursor_for_update(session, account_id)
            state.cursor = dict(cursor)
            if new_ids:
                for item in queries.items_by_id(session, new_ids):
                    publish(session, Event(
                        ITEM_RECEIVED, org_id=org_id, subject=item.id,
                        data={"item_id": item.id, "account_id": account_id,
                              "platform": platform, "kind": item.kind,
                              "author": item.author_handle, "text": item.text,
                              "sentiment": item.sentiment, "flags": list(item.flags or []),
                              "language": item.language},
                        actor=self.channel, channel=self.channel))
        return new_ids

    def _succeeded(self, account_id: int, report: SyncReport) -> None:
        now = self.clock()
        with self.hub.transaction() as session:
            state = queries.cursor_for_update(session, account_id)
            state.synced_at, state.failures, state.last_error = now, 0, None
            state.next_sync_at = now + timedelta(seconds=self.config.poll_interval_s)
            report.next_sync_at = state.next_sync_at

    def _failed(self, account_id: int, report: SyncReport, exc: BaseException, *,
                until: datetime | None = None) -> None:
        """Record the error and when to try again; the cursor stays as the last page left it."""
        now = self.clock()
        log.warning("inbox sync of %s failed: %s", report.account, exc)
        with self.hub.transaction() as session:
            state = queries.cursor_for_update(session, account_id)
            state.failures = (state.failures or 0) + 1
            state.last_error = str(exc)[:2000]
            delay = min(timedelta(seconds=self.config.poll_interval_s) * 2 ** (state.failures - 1),
                        MAX_BACKOFF)
            state.next_sync_at = max(until, now) if until is not None else now + delay
            report.next_sync_at = state.next_sync_at


def run_sync(hub: Hub, account_ids: Collection[int] | None = None, *,
             analyser: Analyser | None = None, channel: str = "cli") -> list[SyncReport]:
    """Sync now (``inbox sync``): the given accounts, or every due one; closes its adapters."""
    from socialhub.services.publishing.delivery_claim import make_worker_id

    tokens = TokenManager(hub, worker=make_worker_id(),
                          timeout_s=hub.config.settings.daemon.request_timeout_s)
    try:
        return InboxSync(hub, tokens, analyser=analyser, channel=channel).run(account_ids)
    finally:
        tokens.close()
