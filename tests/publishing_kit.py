"""Helpers shared by the publishing, daemon, queue and demo tests: real sandbox, real database.

The fixtures built on them live in conftest.py files: ``hub`` (tests/conftest.py),
``sandbox`` and ``account`` (tests/services/conftest.py), ``engine``
(tests/services/publishing/conftest.py).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update

from socialhub.core.when import When
from socialhub.db.models import Account, Attempt, Delivery
from socialhub.services.hub import Hub
from socialhub.services.publishing.delivery_outcome import Policy
from socialhub.services.publishing.engine import EngineSettings, PublishingEngine
from socialhub.services.settings import load_config


def make_hub() -> Hub:
    """A hub for the environment the ``home``/``db_home`` fixtures set up."""
    return Hub(load_config())


def connect_account(hub: Hub, base_url: str, handle: str = "demo") -> int:
    """Create a sandbox account on the server and in the database, with stored tokens."""
    from socialhub.platforms.sandbox.adapter import connect
    from socialhub.security.keys import load_master_key
    from socialhub.services.accounts import credentials
    from socialhub.services.accounts.accounts import add_account

    external_id, tokens = connect(base_url, handle)
    key = load_master_key(hub.config)
    with hub.context("cli") as ctx:
        account = add_account(ctx, platform="sandbox", handle=handle,
                              external_id=external_id, base_url=base_url)
        credentials.store_tokens(ctx.session, account, credentials.Tokens(
            access_token=tokens.access_token, refresh_token=tokens.refresh_token,
            expires_at=tokens.expires_at), key)
        return account.id


def reconnect(hub: Hub, base_url: str, handle: str) -> None:
    """What `accounts connect` does for a known account: the old tokens are revoked at
    the platform, then new ones are stored and the account is active again (one
    transaction, as ``services/accounts/connect.py`` does it: a daemon refused the old
    token in between has flagged it needs_reauth meanwhile)."""
    from socialhub.platforms.sandbox.adapter import connect
    from socialhub.security.keys import load_master_key
    from socialhub.services.accounts import credentials
    from socialhub.services.accounts.accounts import get_account

    with hub.transaction() as session:
        account = get_account(session, hub.org_id(session), f"sandbox:@{handle}")
        old = credentials.load_tokens(session, account, load_master_key(hub.config))
    assert old is not None
    httpx.post(f"{base_url}/oauth/revoke", data={"token": old.access_token}, timeout=5)
    _, tokens = connect(base_url, handle)
    with hub.transaction() as session:
        account = get_account(session, hub.org_id(session), f"sandbox:@{handle}")
        account.status, account.status_reason = "active", None
        credentials.store_tokens(session, account, credentials.Tokens(
            access_token=tokens.access_token, refresh_token=tokens.refresh_token,
            expires_at=tokens.expires_at), load_master_key(hub.config))


def when(at: datetime) -> When:
    """A UTC When for ``at``."""
    return When(local=at.astimezone(UTC).replace(tzinfo=None), zone="UTC", utc=at)


def schedule(hub: Hub, name: str, due: datetime, *, text: str | None = None,
             thread: list[str] | None = None, account: str = "sandbox:@demo") -> int:
    """Create and schedule a post (``due`` may be in the past); returns its delivery id."""
    from socialhub.services.authoring.posts import TargetSpec, create_post
    from socialhub.services.authoring.scheduling import schedule_post

    now = datetime.now(UTC)
    at = due if due > now + timedelta(seconds=1) else now + timedelta(hours=1)
    with hub.context("cli") as ctx:
        create_post(ctx, name=name, body=text or f"hello from {name}",
                    targets=[TargetSpec(account=account, text=text, thread=thread)])
        post = schedule_post(ctx, name, at=when(at), now=now)
        delivery = ctx.session.scalar(select(Delivery).where(
            Delivery.variant_id == post.variants[0].id))
        assert delivery is not None
        if at != due:
            delivery.due_at = delivery.next_attempt_at = due
        return delivery.id


def delivery(hub: Hub, delivery_id: int) -> Delivery:
    """The delivery row, freshly read."""
    with hub.transaction() as session:
        d = session.get(Delivery, delivery_id)
        assert d is not None
        session.expunge(d)
        return d


def set_account(hub: Hub, account_id: int, **values: Any) -> None:
    """Change an account row (e.g. its status)."""
    with hub.transaction() as session:
        session.execute(update(Account).where(Account.id == account_id).values(**values))


def account_status(hub: Hub, account_id: int) -> str | None:
    """The account's status (``active``, ``needs_reauth``…), freshly read; None if gone."""
    with hub.transaction() as session:
        row = session.get(Account, account_id)
        return None if row is None else row.status


def sandbox_posts(url: str) -> list[dict[str, Any]]:
    """Every post the sandbox received."""
    return list(httpx.get(f"{url}/_sandbox/posts", timeout=10).json()["posts"])


def duplicates(posts: list[dict[str, Any]]) -> int:
    """Posts whose (account, text, reply_to) occurs more than once."""
    counts = Counter((p["account"], p["text"], p["reply_to"]) for p in posts)
    return sum(n - 1 for n in counts.values() if n > 1)


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, step: float = 0.05) -> bool:
    """Poll ``predicate`` until true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def make_engine(hub: Hub, *, max_attempts: int = 5, timeout_s: float = 5.0,
                base: float = 0.05, per_account: int = 2) -> PublishingEngine:
    """An engine with short leases and backoff, for tests."""
    settings = EngineSettings(policy=Policy(lease_seconds=30, max_attempts=max_attempts,
                                            backoff_base_s=base, backoff_max_s=1.0),
                              request_timeout_s=timeout_s, concurrency_per_account=per_account)
    return PublishingEngine(hub, settings)


def run(engine: PublishingEngine, hub: Hub, ids: list[int], statuses: tuple[str, ...] = (
        "published",), timeout: float = 15.0) -> bool:
    """Run ``engine`` until every delivery in ``ids`` reaches one of ``statuses``."""
    try:
        return engine.run_until(lambda: all(delivery(hub, i).status in statuses for i in ids),
                                timeout_s=timeout, poll_s=0.05)
    finally:
        engine.close()


def outcomes(hub: Hub, delivery_id: int) -> list[str | None]:
    """The outcome of each attempt of a delivery, in order."""
    with hub.transaction() as session:
        return list(session.scalars(select(Attempt.outcome).where(
            Attempt.delivery_id == delivery_id).order_by(Attempt.id)))


def now() -> datetime:
    """The current instant (UTC)."""
    return datetime.now(UTC)


def claim_and_start(hub: Hub, engine: Any, *, limit: int) -> tuple[list[Any], dict[int, Any]]:
    """Claim up to ``limit`` due deliveries for ``engine`` and start their sends in the
    claim's transaction, as its dispatcher does: the claims and the started sends."""
    from socialhub.services.publishing.delivery_claim import pick_due_deliveries, take_leases
    from socialhub.services.publishing.delivery_records import begin_attempts

    with hub.transaction() as session:
        claims, leases = pick_due_deliveries(session, engine.worker, datetime.now(UTC),
                                             limit=limit, lease_seconds=30)
        started = begin_attempts(session, engine.ctx, {r["did"]: r for r in leases})
        take_leases(session, leases)
    return claims, started
