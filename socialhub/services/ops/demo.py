"""``socialhub demo``: the whole publishing path on a local sandbox, in seconds.

It starts a sandbox network in this process, uses a throwaway data folder
(kept only when asked), creates the organization, a sandbox account with
tokens and a handful of posts due a second or so apart (one of them a
thread), then runs the real delivery engine until they are out. Nothing
leaves the machine. The sandbox stops when the demo returns, unless the
caller's ``hold`` keeps it up (``socialhub demo --keep``: until Ctrl-C).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from socialhub.services.settings import load_config

Progress = Callable[[str, dict[str, Any]], None]
#: Called with the result while the sandbox still runs; the sandbox stops when it returns.
Hold = Callable[["DemoResult"], None]

TEXTS = [
    "Hello from socialhub! This post went out exactly on time.",
    "Threads work too. This is part one of three…",
    "Every delivery carries an idempotency key, so a retry never posts twice.",
    "The daemon wakes for the next due instant instead of polling every minute.",
    "Killed mid-send? Unconfirmed posts are looked up, never blindly resent.",
    "Tokens refresh before they expire, under a lock, exactly once.",
    "Rate limits are honoured: Retry-After decides when to try again.",
    "That's the tour. Run `socialhub --help` to see what else is here.",
]
THREAD = ["Threads work too. This is part one of three…",
          "Part two replies to part one…",
          "…and part three closes the thread."]


@dataclass
class DemoResult:
    """What went out: one row per post, and where the demo's data lives (if kept)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    home: Path | None = None
    elapsed_s: float = 0.0
    sandbox_posts: int = 0
    #: The sandbox network's address; it answers only while ``hold`` runs.
    sandbox_url: str = ""
    #: Past posts imported for analytics (``keep`` only).
    history_posts: int = 0
    #: What simulated people then sent the demo account, as ``inbox list --json`` shows it.
    inbox: list[dict[str, Any]] = field(default_factory=list)
    #: The workflow rule's automatic answer to one of them: ``rule``, ``item_id``,
    #: ``author``, ``question``, ``reply``, ``status`` (``published`` once it went out).
    auto_reply: dict[str, Any] | None = None


def run_demo(*, posts: int = 5, keep: bool = False, first_due_s: float = 2.0,
             spacing_s: float = 1.0, latency_ms: float = 40.0, timeout_s: float = 60.0,
             progress: Progress | None = None, hold: Hold | None = None) -> DemoResult:
    """Run the demo end to end and return what was published.

    Args:
        posts: how many posts (1–8); the second one is a three-part thread.
        keep: keep the demo's data folder (its path is in the result), with the
            posts' first metrics, the account's followers and eight weeks of made-up
            history (``demo_history``) for ``socialhub analytics``.
        first_due_s: seconds from now until the first post is due.
        spacing_s: seconds between due times.
        latency_ms: the sandbox's simulated network latency.
        timeout_s: give up waiting after this long.
        progress: ``progress(event, data)`` for live output (``scheduled``,
            ``published``, ``failed``, ``dead``, ``unconfirmed``).
        hold: called with the result once everything is out, while the sandbox
            still answers (and the data folder still exists); both are torn down
            (the folder only without ``keep``) when it returns or raises.
    """
    import time

    from socialhub.sandbox_network.server import SandboxServer
    from socialhub.services.hub import Hub
    from socialhub.services.publishing.engine import EngineSettings, PublishingEngine

    posts = max(1, min(posts, len(TEXTS)))
    emit = progress or (lambda event, data: None)
    home = Path(tempfile.mkdtemp(prefix="socialhub-demo-"))
    env = {"SOCIALHUB_HOME": str(home), "SOCIALHUB_SECURITY_USE_KEYRING": "false",
           "SOCIALHUB_LOGGING_LEVEL": "WARNING"}
    config = load_config(env=env)
    server = SandboxServer(latency_ms=latency_ms).start()
    hub = Hub(config)
    engine: PublishingEngine | None = None
    started = time.monotonic()
    try:
        ids = _prepare(hub, server.url, posts, first_due_s, spacing_s, emit)
        engine = PublishingEngine(hub, EngineSettings.from_settings(
            config.settings, request_timeout_s=10.0))
        engine.on_event = emit
        engine.run_until(lambda: _all_final(hub, ids), timeout_s=timeout_s, poll_s=0.1)
        result = DemoResult(rows=_rows(hub, ids), home=home if keep else None)
        if keep:  # something for `socialhub analytics` to show afterwards
            from socialhub.services.analytics.collect import collect_metrics
            from socialhub.services.clock import now_utc
            from socialhub.services.ops.demo_history import seed_history

            collect_metrics(hub, engine.tokens)
            result.history_posts = seed_history(hub, home, "sandbox:@demo",
                                                now_utc()).imported
        import httpx

        from socialhub.security.tls import verify_context

        result.sandbox_posts = len(httpx.get(f"{server.url}/_sandbox/posts", timeout=5,
                                             verify=verify_context())
                                   .json()["posts"])
        result.inbox, result.auto_reply = _inbox(hub, server, engine)
        result.elapsed_s = round(time.monotonic() - started, 2)
        result.sandbox_url = server.url
        if engine is not None:  # nothing more to send: only the sandbox stays up
            engine.close()
            engine = None
        if hold is not None:
            hold(result)
        return result
    finally:
        if engine is not None:
            engine.close()
        hub.dispose()
        server.stop()
        if not keep:
            shutil.rmtree(home, ignore_errors=True)


#: The workflow rule the demo applies before people write: it answers order questions.
AUTO_REPLY_RULE = """apiVersion: socialhub/v1
kind: Rule
metadata:
  name: order-status
spec:
  trigger:
    type: inbox
    keywords: [tracking, order]
  actions:
    - reply: "Hi {{ item.author_name }}! Your order is on its way; tracking link by DM."
    - tag: auto-answered
"""


def _inbox(hub: Any, server: Any, engine: Any,
           count: int = 6) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Apply the demo's workflow rule; simulated people comment on, mention and message
    the demo account; sync and list the inbox; run the rules as the daemon does and
    send the one automatic reply through the delivery engine."""
    from socialhub.services.clock import now_utc
    from socialhub.services.inbox.items import inbox_filter, list_inbox
    from socialhub.services.inbox.sync import run_sync
    from socialhub.services.manifests.apply import apply_manifests
    from socialhub.services.manifests.documents import parse_manifests
    from socialhub.services.rules.engine import run_rules

    manifests, issues = parse_manifests([("demo-rules.yaml", AUTO_REPLY_RULE)])
    assert not issues, issues
    with hub.context("cli") as ctx:
        apply_manifests(ctx, manifests, now=now_utc())
    server.world.simulate_inbox(count, seed=1)
    run_sync(hub, None)
    with hub.context("daemon") as ctx:
        runs = [r for r in run_rules(ctx) if r["outcome"] == "done"]
    with hub.context("cli") as ctx:
        rows, _ = list_inbox(ctx, inbox_filter(ctx))
    if not runs:
        return rows, None
    item_id = int(str(runs[0]["subject"]).split(":", 1)[1])
    delivery_id = int(runs[0]["detail"]["actions"][0]["result"])
    engine.run_until(lambda: _all_final(hub, [delivery_id]), timeout_s=10.0, poll_s=0.05)
    item = next((r for r in rows if r["id"] == item_id), {})
    [status] = [r["status"] for r in _rows(hub, [delivery_id])]
    return rows, {"rule": runs[0]["rule"], "item_id": item_id,
                  "author": item.get("author"), "question": item.get("text"),
                  "reply": runs[0]["detail"]["actions"][0]["value"], "status": status}


def _prepare(hub: Any, url: str, posts: int, first_due_s: float, spacing_s: float,
             emit: Progress) -> list[int]:
    from socialhub.core.when import When
    from socialhub.db.queries.delivery import deliveries_of_variants
    from socialhub.platforms.sandbox.adapter import connect
    from socialhub.security.keys import load_master_key
    from socialhub.services.accounts import credentials
    from socialhub.services.accounts.accounts import add_account
    from socialhub.services.authoring.posts import TargetSpec, create_post
    from socialhub.services.authoring.scheduling import schedule_post
    from socialhub.services.clock import now_utc

    external_id, tokens = connect(url, "demo")
    key = load_master_key(hub.config)
    now = now_utc()
    ids: list[int] = []
    with hub.context("cli") as ctx:
        session = ctx.session
        account = add_account(ctx, platform="sandbox", handle="demo",
                              display_name="Demo account", external_id=external_id,
                              base_url=url)
        credentials.store_tokens(session, account, credentials.Tokens(
            access_token=tokens.access_token, refresh_token=tokens.refresh_token,
            expires_at=tokens.expires_at), key)
        for i in range(posts):
            due = now + timedelta(seconds=first_due_s + i * spacing_s)
            is_thread = i == 1
            name = f"demo-{i + 1}"
            create_post(ctx, name=name, body=TEXTS[i], targets=[TargetSpec(
                account="sandbox:@demo", thread=THREAD if is_thread else None)])
            when = When(local=due.replace(tzinfo=None), zone="UTC", utc=due)
            post = schedule_post(ctx, name, at=when, now=now)
            deliveries = deliveries_of_variants(session, [post.variants[0].id])
            assert deliveries  # the one a schedule made
            ids.append(deliveries[0].id)
            emit("scheduled", {"post": name, "due_at": due, "parts": 3 if is_thread else 1})
    return ids


def _all_final(hub: Any, ids: list[int]) -> bool:
    from socialhub.db.queries.delivery import count_unfinished

    with hub.transaction() as session:
        left = count_unfinished(session, ids, ["published", "dead", "canceled"])
    return not left


def _rows(hub: Any, ids: list[int]) -> list[dict[str, Any]]:
    from socialhub.db.queries.delivery import deliveries_due_first

    rows = []
    with hub.transaction() as session:
        for d in deliveries_due_first(session, ids):
            late = _late(d.published_at, d.due_at)
            rows.append({"post": d.variant.post.name, "status": d.status, "due_at": d.due_at,
                         "published_at": d.published_at, "late_s": late,
                         "account": d.account.ref, "remote_id": d.remote_id,
                         "parts": len(d.thread_progress or []), "url": d.remote_url,
                         "urls": [p.get("url") for p in d.thread_progress or []],
                         "error": d.last_error})
    return rows


def _late(published: datetime | None, due: datetime) -> float | None:
    return None if published is None else round((published - due).total_seconds(), 3)
