"""The token manager: adapters with fresh tokens, refreshed once and by one daemon only.

Tokens are refreshed proactively when they expire within
``daemon.refresh_window_minutes``, and reactively once when a platform says
the access token expired. A refresh runs under a per-account lock so two
daemons never spend the same (single-use, rotated) refresh token:

* PostgreSQL: ``pg_try_advisory_xact_lock`` held by a transaction that stays
  open for the refresh call;
* SQLite: a row claim on ``Credential.refresh_owner/refresh_lease_until``
  (every SQLite transaction is ``BEGIN IMMEDIATE``, so the claim is exclusive).

New tokens are stored in the adapter's ``on_tokens`` callback, in their own
committed transaction, before the adapter even returns: a rotated refresh
token is never lost between the platform's answer and our bookkeeping. A
refresh that fails for good marks the account ``needs_reauth`` (its deliveries
then wait instead of burning attempts) and tells the user; the stored refresh
token is never wiped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from socialhub.db.models import Account
from socialhub.db.queries import credentials as queries
from socialhub.errors import SecurityError
from socialhub.platforms import base
from socialhub.platforms.errors import (
    AdapterError,
    AuthExpiredError,
    AuthRevokedError,
    RetryLaterError,
)
from socialhub.services.accounts.connect import app_credentials
from socialhub.services.clock import now_utc
from socialhub.services.hub import Hub

log = logging.getLogger(__name__)

REFRESH_LEASE_S = 60.0
Notify = Callable[[str, dict[str, Any]], None]
T = TypeVar("T")


class TokenManager:
    """Builds one adapter per account and keeps its tokens fresh.

    Args:
        hub: database access.
        worker: the lease owner name used for SQLite refresh claims.
        timeout_s: the adapters' HTTP timeout.
        notify: ``notify(event, data)`` for ``needs_reauth`` (webhooks).
    """

    def __init__(self, hub: Hub, *, worker: str, timeout_s: float = 30.0,
                 refresh_window: timedelta = timedelta(minutes=15),
                 notify: Notify | None = None) -> None:
        self.hub = hub
        self.worker = worker
        self.timeout_s = timeout_s
        self.refresh_window = refresh_window
        self.notify = notify or (lambda event, data: None)
        #: The transaction factory; the engine swaps in its serialised one on SQLite.
        self.tx: Callable[[], AbstractContextManager[Session]] = hub.transaction
        self._adapters: dict[int, base.PlatformAdapter] = {}
        #: Adapters ``forget`` dropped, each with the monotonic instant it was dropped.
        self._retired: list[tuple[float, base.PlatformAdapter]] = []
        #: How long a dropped adapter stays open for requests already under way: longer
        #: than one request may take (its read timeout, twice, and a margin).
        self.retire_after_s = 2 * timeout_s + 30.0
        self._locks: dict[int, threading.Lock] = {}
        self._guard = threading.Lock()
        self._keys: Any = None
        self._master: Any = None
        #: Token refreshes by result (``ok``, ``failed``) since this manager started.
        self.refresh_counts: Counter[str] = Counter()

    # -- keys and adapters ------------------------------------------------------------
    def _load_keys(self, *, again: bool = False) -> None:
        """Load the master key and keyring once; ``again`` re-reads them.

        A running daemon re-reads them when a credential names a key it does
        not hold and before it stores tokens, so ``socialhub keys rotate``
        takes effect without a restart.
        """
        if self._master is None or again:
            from socialhub.security.keys import load_keyring, load_master_key

            master, keys = load_master_key(self.hub.config), load_keyring(self.hub.config)
            self._master, self._keys = master, keys

    def _account_lock(self, account_id: int) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(account_id, threading.Lock())

    def _read_tokens(self, session: Session, account: Account) -> base.Tokens | None:
        from socialhub.services.accounts.credentials import load_tokens

        self._load_keys()
        try:
            stored = load_tokens(session, account, self._keys)
        except SecurityError:  # made with a key newer than ours (keys rotate)? read them again
            self._load_keys(again=True)
            stored = load_tokens(session, account, self._keys)
        if stored is None:
            return None
        return base.Tokens(access_token=stored.access_token, refresh_token=stored.refresh_token,
                           expires_at=stored.expires_at,
                           refresh_expires_at=stored.refresh_expires_at,
                           scopes=list(stored.scopes), extra=dict(stored.extra))

    def _store_tokens(self, account_id: int, tokens: base.Tokens) -> None:
        from socialhub.services.accounts import credentials

        self._load_keys(again=True)  # encrypt with today's master key, even after a rotation
        with self.tx() as session:
            account = session.get(Account, account_id)
            if account is None:
                return
            credentials.store_tokens(session, account, credentials.Tokens(
                access_token=tokens.access_token, refresh_token=tokens.refresh_token,
                expires_at=tokens.expires_at, refresh_expires_at=tokens.refresh_expires_at,
                scopes=list(tokens.scopes), extra=dict(tokens.extra)), self._master,
                keys=self._keys)
        log.info("stored refreshed tokens for account %s", account_id)

    def adapter_for(self, account_id: int) -> base.PlatformAdapter:
        """The cached adapter for ``account_id``, built with its stored tokens.

        Raises:
            AuthRevokedError: the account has no stored credential.
            ValidationError: no adapter exists for the account's platform.
            SecurityError: the tokens cannot be decrypted.
        """
        # Read without the guard: one dict look-up is atomic, and every send asks here
        # (64 send threads queued on this lock in a profile of the daemon).
        cached = self._adapters.get(account_id)
        if cached is not None:
            return cached
        from socialhub.platforms.registry import adapter_class

        with self.tx() as session:
            account = session.get(Account, account_id)
            if account is None:
                raise AuthRevokedError(f"account {account_id} no longer exists")
            tokens = self._read_tokens(session, account)
            if tokens is None:
                from socialhub.services.accounts.accounts import connect_command

                raise AuthRevokedError(f"{account.ref} is not connected",
                                       hint=f"connect it: {connect_command(account)}")
            cls = adapter_class(account.platform)
            app = self.hub.config.settings.platforms.section(account.platform)
            info = base.AccountInfo(account_id=account.id, platform=account.platform,
                                    handle=account.handle, external_id=account.external_id,
                                    base_url=account.base_url or (app.base_url if app else None),
                                    settings=dict(account.settings or {}))
            creds = app_credentials(self.hub.config, account.platform)
        adapter = cls(info, tokens, timeout_s=self.timeout_s, app=creds,
                      on_tokens=lambda t: self._store_tokens(account_id, t))
        with self._guard:
            existing = self._adapters.setdefault(account_id, adapter)
        if existing is not adapter:
            adapter.close()
        return existing

    def forget(self, account_id: int) -> None:
        """Drop the cached adapter (when its tokens went bad): the next ``adapter_for``
        builds a new one with the stored tokens.

        The dropped adapter is closed only ``retire_after_s`` later (or by ``close``),
        never at once: other threads may be using it right now — a send of the same
        account, the inbox sync — and closing its HTTP client under a request already
        sent turns the platform's answer into a transport error, which for a post
        means an unknown outcome (``unconfirmed``) although the platform answered.
        """
        now = time.monotonic()
        with self._guard:
            adapter = self._adapters.pop(account_id, None)
            if adapter is not None:
                self._retired.append((now, adapter))
            cutoff = now - self.retire_after_s
            due = [a for dropped, a in self._retired if dropped <= cutoff]
            self._retired = [(dropped, a) for dropped, a in self._retired if dropped > cutoff]
        for old in due:
            old.close()

    def close(self) -> None:
        """Close every adapter, the dropped ones too (call it once nothing sends any more)."""
        with self._guard:
            adapters, self._adapters = list(self._adapters.values()), {}
            adapters += [a for _, a in self._retired]
            self._retired = []
        for adapter in adapters:
            adapter.close()

    # -- refreshing ---------------------------------------------------------------------
    def needs_refresh(self, adapter: base.PlatformAdapter) -> bool:
        """True when the adapter can refresh and its access token expires inside the window."""
        expires = adapter.tokens.expires_at
        return (adapter.account_capabilities().refresh and expires is not None
                and expires - now_utc() <= self.refresh_window)

    def ensure_fresh(self, account_id: int, adapter: base.PlatformAdapter) -> None:
        """Refresh proactively when the token expires within the window.

        Raises:
            AuthRevokedError: the refresh failed for good (the account is now needs_reauth).
            RetryLaterError: the platform could not be reached; try again later.
        """
        if self.needs_refresh(adapter):
            self.refresh(account_id, adapter)

    def refresh(self, account_id: int, adapter: base.PlatformAdapter, *,
                failed_token: str | None = None) -> None:
        """Refresh the account's tokens once, under the per-account lock.

        ``failed_token`` is the access token the platform just refused: when the
        stored token differs, another daemon already refreshed and we use its result.
        Each call counts in ``refresh_counts`` (``ok`` or ``failed``).

        Raises:
            AuthRevokedError: refresh impossible or refused (account marked needs_reauth).
            RetryLaterError: a transient failure; nothing was changed.
        """
        try:
            self._refresh(account_id, adapter, failed_token)
        except Exception:
            self.refresh_counts["failed"] += 1
            raise
        self.refresh_counts["ok"] += 1

    def _refresh(self, account_id: int, adapter: base.PlatformAdapter,
                 failed_token: str | None) -> None:
        if not adapter.account_capabilities().refresh:
            if self.adopt_stored(account_id, adapter, failed_token):
                return  # the account was reconnected meanwhile
            self.mark_needs_reauth(account_id, f"{adapter.name} access token no longer works",
                                   refused_token=failed_token)
            raise _revoked(AuthRevokedError(f"{adapter.name}: the access token no longer works",
                                            hint="reconnect the account"), failed_token)
        with self._account_lock(account_id):
            if self._adopt_stored(account_id, adapter, failed_token):
                return
            is_pg = self.hub.engine.dialect.name == "postgresql"
            deadline = time.monotonic() + REFRESH_LEASE_S
            while True:
                done = (self._refresh_pg(account_id, adapter, failed_token) if is_pg
                        else self._refresh_sqlite(account_id, adapter, failed_token))
                if done:
                    return
                if time.monotonic() > deadline:
                    raise RetryLaterError(f"{adapter.name}: another daemon is still refreshing "
                                          f"account {account_id}'s token")
                time.sleep(0.2)  # someone else holds the lock: wait for their result
                if self._adopt_stored(account_id, adapter, failed_token):
                    return

    def adopt_stored(self, account_id: int, adapter: base.PlatformAdapter,
                     failed_token: str | None) -> bool:
        """Use tokens stored since ``adapter`` was built (a reconnect, another daemon's refresh).

        True when the stored tokens differ from ``failed_token`` (the one the
        platform just refused) and are usable, and the adapter now holds them:
        the refused request may be sent again with them. That is also the case
        when another thread sharing the adapter adopted them a moment earlier.
        Without ``failed_token``, True only when the adapter's tokens changed here.
        """
        with self._account_lock(account_id):
            return self._adopt_stored(account_id, adapter, failed_token)

    def call(self, account_id: int, adapter: base.PlatformAdapter,
             request: Callable[[], T]) -> T:
        """``request()`` (a read with ``adapter``), its token handled once as a send does.

        An expired token is refreshed once; a refused one is replaced once by tokens
        stored since (the account was reconnected meanwhile, or another daemon
        refreshed); then ``request()`` runs again. Only a refused token with nothing
        newer stored is an error the caller flags ``needs_reauth`` with
        ``mark_needs_reauth(…, refused_token=exc.refused_token)``.

        Raises:
            AuthRevokedError: refused with nothing newer stored, refused again, or the
                refresh failed for good; ``refused_token`` says which token failed.
            AuthExpiredError: still expired right after a refresh (the caller decides).
        """
        failed_token = adapter.tokens.access_token
        try:
            return request()
        except AuthExpiredError:
            self.refresh(account_id, adapter, failed_token=failed_token)
        except AuthRevokedError as exc:
            if not self.adopt_stored(account_id, adapter, failed_token):
                exc.refused_token = failed_token
                raise
        failed_token = adapter.tokens.access_token
        try:
            return request()
        except AuthRevokedError as exc:
            exc.refused_token = failed_token
            raise

    def _adopt_stored(self, account_id: int, adapter: base.PlatformAdapter,
                      failed_token: str | None) -> bool:
        """Use tokens another process stored meanwhile; True when they are usable."""
        with self.tx() as session:
            account = session.get(Account, account_id)
            stored = self._read_tokens(session, account) if account else None
        if stored is None:
            return False
        if failed_token is not None and stored.access_token == failed_token:
            return False  # the refused token is still the stored one: nothing newer exists
        if stored.access_token == adapter.tokens.access_token:
            # Adopted already (by another thread using this adapter) or nothing new.
            return failed_token is not None and not self.needs_refresh(adapter)
        adapter.tokens = stored
        return not self.needs_refresh(adapter)

    def _call_refresh(self, account_id: int, adapter: base.PlatformAdapter) -> None:
        # A reconnect meanwhile revokes the refresh token too: with the access token held
        # now, the flag below is not raised over the reconnect's newer tokens.
        held = adapter.tokens.access_token
        try:
            adapter.refresh()
        except RetryLaterError:
            raise
        except AdapterError as exc:
            self.mark_needs_reauth(account_id, f"token refresh failed: {exc}",
                                   refused_token=held)
            raise _revoked(AuthRevokedError(str(exc), status=exc.status, code=exc.code,
                                            hint="reconnect the account"), held) from None
        except NotImplementedError:
            self.mark_needs_reauth(account_id, f"{adapter.name} tokens cannot be refreshed",
                                   refused_token=held)
            raise _revoked(AuthRevokedError(f"{adapter.name} tokens cannot be refreshed",
                                            hint="reconnect the account"), held) from None

    def _refresh_pg(self, account_id: int, adapter: base.PlatformAdapter,
                    failed_token: str | None) -> bool:
        # The advisory lock lives as long as this transaction, which spans the refresh call.
        with self.tx() as session:
            if not queries.try_lock_refresh(session, account_id):
                return False
            if self._adopt_stored(account_id, adapter, failed_token):
                return True
            self._call_refresh(account_id, adapter)
        return True

    def _refresh_sqlite(self, account_id: int, adapter: base.PlatformAdapter,
                        failed_token: str | None) -> bool:
        now = now_utc()
        with self.tx() as session:
            cred = queries.credential_of(session, account_id)
            if cred is None:
                raise AuthRevokedError(f"account {account_id} has no stored credentials")
            if (cred.refresh_owner not in (None, self.worker) and cred.refresh_lease_until
                    and cred.refresh_lease_until > now):
                return False
            cred.refresh_owner = self.worker
            cred.refresh_lease_until = now + timedelta(seconds=REFRESH_LEASE_S)
            cred.status = "refresh_pending"
        try:
            if not self._adopt_stored(account_id, adapter, failed_token):
                self._call_refresh(account_id, adapter)
        finally:
            with self.tx() as session:
                queries.end_refresh_lease(session, account_id, self.worker)
        return True

    def mark_needs_reauth(self, account_id: int, reason: str, *,
                          refused_token: str | None = None) -> bool:
        """Flag the account: its deliveries wait until a person reconnects it.

        ``refused_token`` is the access token the platform refused (an
        ``AuthRevokedError``'s ``refused_token``): when the stored one differs, the
        account was reconnected (or refreshed elsewhere) since that token failed, and
        it is not flagged — the next request adopts the new tokens. The account row is
        locked first, so a reconnect committing meanwhile is either seen here or
        overwrites the flag (``save_connection`` always writes the status).
        Without ``refused_token`` the account is flagged as it is.

        Returns:
            True when the account was flagged now (not flagged already, not reconnected).
        """
        with self.tx() as session:
            account = session.get(Account, account_id, with_for_update=True)
            if account is None or account.status == "needs_reauth":
                return False  # already flagged: the user has been told once
            if refused_token is not None:
                try:
                    stored = self._read_tokens(session, account)
                except SecurityError:  # unreadable: nothing says it was reconnected
                    stored = None
                if stored is not None and stored.access_token != refused_token:
                    log.info("account %s was reconnected since its token was refused; "
                             "not flagged", account.ref)
                    return False
            account.status = "needs_reauth"
            account.status_reason = reason
            if account.credential is not None:
                account.credential.status = "error"
            ref = account.ref
        self.forget(account_id)
        log.error("account %s needs to be reconnected: %s", ref, reason,
                  extra={"account": ref, "event": "needs_reauth"})
        self.notify("needs_reauth", {"account": ref, "reason": reason})
        return True

    def refresh_expiring(self) -> dict[str, int]:
        """Proactively refresh every active account whose token expires inside the window."""
        limit = now_utc() + self.refresh_window
        with self.tx() as session:
            ids = queries.expiring_refreshable(session, limit)
        counts = {"refreshed": 0, "failed": 0, "skipped": 0}
        for account_id in ids:
            try:
                adapter = self.adapter_for(account_id)
                if not self.needs_refresh(adapter):
                    counts["skipped"] += 1
                    continue
                self.refresh(account_id, adapter)
                counts["refreshed"] += 1
            except Exception as exc:  # one account's failure must not stop the others
                counts["failed"] += 1
                log.warning("refreshing account %s failed: %s", account_id, exc)
        return counts


def _revoked(exc: AuthRevokedError, refused_token: str | None) -> AuthRevokedError:
    """``exc`` naming the access token that failed (for ``mark_needs_reauth``)."""
    exc.refused_token = refused_token
    return exc
