"""The delivery engine through real HTTP to the sandbox, on SQLite and PostgreSQL.

Each test drives a real PublishingEngine against a real SandboxServer and a
real database, then counts what the sandbox received: nothing may be lost
and nothing may arrive twice.
"""

from __future__ import annotations

from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update

from socialhub.db.models import Attempt, Delivery, Post
from socialhub.platforms.sandbox.adapter import SandboxAdapter
from socialhub.sandbox_network.server import SandboxServer
from socialhub.services.hub import Hub
from socialhub.services.publishing.delivery_outcome import Policy, backoff_delay
from socialhub.services.publishing.engine import PublishingEngine
from tests.publishing_kit import (
    claim_and_start,
    connect_account,
    delivery,
    duplicates,
    make_engine,
    make_hub,
    now,
    outcomes,
    run,
    sandbox_posts,
    schedule,
)


def test_due_posts_and_threads_go_out_once_with_their_remote_urls(
        hub: Hub, sandbox: SandboxServer, account: int, engine: PublishingEngine) -> None:
    single = schedule(hub, "single", now() - timedelta(seconds=1))
    thread = schedule(hub, "thread", now(), thread=["one", "two", "three"])
    later = schedule(hub, "later", now() + timedelta(hours=2))
    assert run(engine, hub, [single, thread])
    d = delivery(hub, thread)
    assert [p["index"] for p in d.thread_progress] == [0, 1, 2]
    assert d.remote_url and d.remote_url.startswith(sandbox.url)
    posts = sandbox_posts(sandbox.url)
    assert len(posts) == 4 and duplicates(posts) == 0
    by_text = {p["text"]: p for p in posts}
    assert by_text["two"]["reply_to"] == by_text["one"]["id"]
    assert delivery(hub, later).status == "scheduled"
    with hub.transaction() as session:
        assert session.scalar(select(Post.status).where(Post.name == "thread")) == "published"
    assert outcomes(hub, single) == ["published"]


def test_canceled_post_never_goes_out_even_after_it_was_claimed(
        hub: Hub, sandbox: SandboxServer, account: int, engine: PublishingEngine) -> None:
    from socialhub.services.authoring.scheduling import cancel_post
    from socialhub.services.publishing.delivery_claim import claim_due_deliveries
    from socialhub.services.publishing.delivery_send import run_claim

    d_id = schedule(hub, "oops", now() - timedelta(seconds=1))
    with hub.transaction() as session:
        claims = claim_due_deliveries(session, engine.worker, now(), limit=5, lease_seconds=30)
    assert [c.delivery_id for c in claims] == [d_id]
    with hub.context("cli") as ctx:
        cancel_post(ctx, "oops")
    assert run_claim(engine.ctx, claims[0]) == "skipped"
    engine.close()
    assert delivery(hub, d_id).status == "canceled"
    assert sandbox_posts(sandbox.url) == []


def test_a_claim_starts_live_sends_and_ends_canceled_or_unapproved_ones_in_one_write(
        hub: Hub, sandbox: SandboxServer, account: int, engine: PublishingEngine) -> None:
    """A claim of sends that can be looked up starts them in its own transaction: each
    delivery's one row is written once — ``publishing`` with its Attempt, ``canceled`` when
    its post was canceled after it became due, or held (``dead``, with why) when its post
    changed after its approval — and nothing but the live one is handed to a sender."""
    live, gone, held = (schedule(hub, name, now() - timedelta(seconds=1))
                        for name in ("live", "gone", "held"))
    with hub.transaction() as session:  # as if it happened after the deliveries became due
        session.execute(update(Post).where(Post.name == "gone").values(status="canceled"))
        session.execute(update(Post).where(Post.name == "held").values(
            approved_digest="the content someone approved"))
    claims, started = claim_and_start(hub, engine, limit=5)
    assert sorted(c.delivery_id for c in claims) == sorted([live, gone, held])
    assert list(started) == [live]
    d = delivery(hub, live)
    assert (d.status, d.attempts, d.lease_owner) == ("publishing", 1, engine.worker)
    with hub.transaction() as session:
        assert [(a.delivery_id, a.outcome) for a in session.scalars(select(Attempt))] == [
            (live, "sending")]
    d = delivery(hub, gone)
    assert (d.status, d.attempts, d.lease_owner, d.lease_expires_at) == ("canceled", 0, None,
                                                                          None)
    d = delivery(hub, held)
    assert (d.status, d.last_error_class, d.lease_owner) == ("dead", "ApprovalRequiredError",
                                                             None)
    assert d.last_error and "approv" in d.last_error
    engine.close()
    assert sandbox_posts(sandbox.url) == []


def test_thread_resumes_after_the_last_published_part(
        hub: Hub, sandbox: SandboxServer, account: int, engine: PublishingEngine) -> None:
    from socialhub.platforms.sandbox.adapter import part_key

    d_id = schedule(hub, "resume", now() - timedelta(seconds=1), thread=["a", "b", "c"])
    d = delivery(hub, d_id)
    adapter = engine.tokens.adapter_for(account)
    assert isinstance(adapter, SandboxAdapter)
    first = adapter._call("POST", "/api/posts", json={"text": "a"},
                          headers={"Idempotency-Key": part_key(d.idempotency_key, 0)}).json()
    with hub.transaction() as session:
        from socialhub.db.models import Delivery

        row = session.get(Delivery, d_id)
        assert row is not None
        row.thread_progress = [{"index": 0, "remote_id": first["id"], "url": first["url"],
                                "extra": {}}]
    assert run(engine, hub, [d_id])
    posts = sandbox_posts(sandbox.url)
    assert [p["text"] for p in posts] == ["a", "b", "c"]
    assert posts[1]["reply_to"] == first["id"]


def run_two_engines(hub: Hub, ids: list[int], *, per_account: int = 2,
                    timeout: float = 30) -> None:
    """Run two engines, each with its own hub (as two daemons), until ``ids`` are published."""
    import threading

    other = make_hub()
    try:
        pairs = [(make_engine(h, per_account=per_account), h) for h in (hub, other)]
        threads = [threading.Thread(target=run, args=(e, h, ids, ("published",), timeout))
                   for e, h in pairs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout + 10)
    finally:
        other.dispose()


def test_two_engines_share_the_queue_without_duplicates(
        hub: Hub, sandbox: SandboxServer, account: int) -> None:
    # Due once both engines are up (an engine still warming up when the posts were
    # already due found them all sent by the other on a fast machine), with room for
    # both: each engine sends at most 8 at once, the account takes 16 across them.
    sandbox.configure(latency_ms=50)
    ids = [schedule(hub, f"p{i}", now() + timedelta(hours=1)) for i in range(24)]
    with hub.transaction() as session:
        due = now() + timedelta(seconds=1.5)
        session.execute(update(Delivery).where(Delivery.id.in_(ids))
                        .values(due_at=due, next_attempt_at=due))
    run_two_engines(hub, ids, per_account=16)
    posts = sandbox_posts(sandbox.url)
    assert len(posts) == 24 and duplicates(posts) == 0
    assert all(delivery(hub, i).status == "published" for i in ids)
    with hub.transaction() as session:
        workers = set(session.scalars(select(Attempt.worker)))
    assert len(workers) == 2  # both took a share


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_concurrency_caps_hold_across_engines_sharing_a_database(
        hub: Hub, sandbox: SandboxServer, account: int) -> None:
    sandbox.configure(latency_ms=250)  # every send takes a while: caps are what limit them
    ids = [schedule(hub, f"c{i}", now() - timedelta(seconds=1)) for i in range(12)]
    run_two_engines(hub, ids, per_account=2)
    posts = sandbox_posts(sandbox.url)
    assert len(posts) == 12 and duplicates(posts) == 0
    stats = httpx.get(f"{sandbox.url}/_sandbox/posts", timeout=10).json()["stats"]
    assert stats["max_in_flight_per_account"] == 2  # not 2 per engine




@given(failures=st.integers(min_value=1, max_value=40),
       base=st.floats(min_value=0.01, max_value=60), cap=st.floats(min_value=1, max_value=3600))
def test_backoff_grows_exponentially_with_jitter_and_never_passes_the_cap(
        failures: int, base: float, cap: float) -> None:
    import random

    policy = Policy(backoff_base_s=base, backoff_max_s=cap)
    step = min(cap, base * 2 ** (failures - 1))
    delay = backoff_delay(failures, policy, random.Random(failures))
    assert step / 2 <= delay <= step <= cap


class _Hooks(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_webhooks_announce_published_and_dead_deliveries_signed_with_hmac(
        db_home: str, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib
    import hmac
    import json
    import threading

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hooks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    monkeypatch.setenv("SOCIALHUB_DAEMON_WEBHOOKS",
                       f"[{{url: '{url}', secret: s3cret, events: [published, dead]}}]")
    hub = make_hub()
    connect_account(hub, sandbox.url)
    ok = schedule(hub, "fine", now() - timedelta(seconds=2))
    sandbox.configure(max_chars=20)
    bad = schedule(hub, "bad", now() - timedelta(seconds=1), text="x" * 30)
    engine = make_engine(hub)
    run(engine, hub, [ok, bad], ("published", "dead"))
    server.shutdown()
    hub.dispose()
    events = {}
    for headers, body in _Hooks.received:
        expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        assert headers["X-Socialhub-Signature"] == expected
        payload = json.loads(body)
        events[payload["event"]] = payload["data"]
    assert events["published"]["post"] == "fine"
    assert events["published"]["remote_url"].startswith(sandbox.url)
    assert "longer than 20" in events["dead"]["last_error"]


def test_outcomes_written_together_derive_each_post_from_all_its_targets(
        hub: Hub, sandbox: SandboxServer, account: int, engine: PublishingEngine) -> None:
    """The send threads' outcomes are written as one set (``FINISH``): a post whose targets
    settle in the same batch is derived once from all of them, each attempt is closed and
    each delivery keeps its own remote URL."""
    from socialhub.platforms.base import PublishedPart
    from socialhub.services.authoring.posts import TargetSpec, create_post
    from socialhub.services.authoring.scheduling import schedule_post
    from socialhub.services.publishing.delivery_outcome import Outcome
    from socialhub.services.publishing.delivery_records import FINISH, Finish
    from tests.publishing_kit import when

    connect_account(hub, sandbox.url, "other")
    with hub.context("cli") as ctx:
        for name in ("both", "half"):
            create_post(ctx, name=name, body=f"{name} out", targets=[
                TargetSpec(account="sandbox:@demo"), TargetSpec(account="sandbox:@other")])
            schedule_post(ctx, name, at=when(now() + timedelta(hours=1)), now=now())
        ctx.session.execute(update(Delivery).values(due_at=now() - timedelta(seconds=1),
                                                    next_attempt_at=now() - timedelta(seconds=1)))
    _, started = claim_and_start(hub, engine, limit=10)
    assert len(started) == 4
    assert {delivery(hub, did).status for did in started} == {"publishing"}
    by_post: dict[str, list[tuple[int, int]]] = {}
    for did, s in started.items():
        by_post.setdefault(s.summary["post"], []).append((did, s.attempt_id))
    (b1, a1), (b2, a2) = by_post["both"]
    (h1, a3), (h2, a4) = by_post["half"]

    def out(i: int) -> Outcome:
        return Outcome("published", parts=[PublishedPart(0, f"r{i}", f"{sandbox.url}/p/{i}")])

    with hub.transaction() as session:
        results = FINISH.run_many(session, [
            Finish(engine.ctx, b1, a1, out(1)), Finish(engine.ctx, h1, a3, out(3)),
            Finish(engine.ctx, b2, a2, out(2)),
            Finish(engine.ctx, h2, a4, Outcome("invalid", "too long", "InvalidContentError",
                                               400))])
    assert [r[0] if r else None for r in results] == ["published", "published", "published",
                                                      "dead"]
    assert [r[1]["remote_url"] if r else None for r in results][:3] == [
        f"{sandbox.url}/p/1", f"{sandbox.url}/p/3", f"{sandbox.url}/p/2"]
    with hub.transaction() as session:
        statuses = dict(session.execute(select(Post.name, Post.status)).all())
        attempts = {a.delivery_id: (a.outcome, a.ended_at is not None, a.http_status)
                    for a in session.scalars(select(Attempt))}
    assert delivery(hub, b2).remote_id == "r2"
    assert statuses == {"both": "published", "half": "partially_published"}
    assert attempts[b1] == attempts[b2] == attempts[h1] == ("published", True, None)
    assert attempts[h2] == ("invalid", True, 400)
    engine.close()


def test_the_last_part_is_written_with_the_outcome_or_at_once_if_publish_fails_after_it(
        hub: Hub, sandbox: SandboxServer, account: int, engine: PublishingEngine) -> None:
    """Parts are committed as the adapter reports them, except the last, which the outcome
    carries (committed as soon as ``publish`` returns); should ``publish`` fail after
    reporting it, it is committed at once, so a resend never repeats it."""
    from socialhub.platforms.base import PublishedPart
    from socialhub.services.publishing.delivery_publish import PartRecorder

    did = schedule(hub, "thread", now() - timedelta(seconds=1), thread=["a", "b", "c"])
    request = claim_and_start(hub, engine, limit=5)[1][did].request
    parts = [PublishedPart(i, f"r{i}", f"{sandbox.url}/p/{i}") for i in range(3)]

    def saved() -> list[str]:
        return [p["remote_id"] for p in delivery(hub, did).thread_progress or []]

    recorder = PartRecorder(engine.ctx, did, request)
    with recorder:
        recorder(parts[0])
        recorder(parts[1])
        assert saved() == ["r0", "r1"]  # each committed as it was reported
        recorder(parts[2])
        assert saved() == ["r0", "r1"]  # the last waits for the outcome
    assert recorder.parts(parts[:2]) == parts  # …which carries it
    assert recorder.parts(parts) == parts

    failing = PartRecorder(engine.ctx, did, request)
    with pytest.raises(RuntimeError), failing:
        failing(parts[2])
        raise RuntimeError("the adapter broke after reporting its last part")
    assert saved() == ["r0", "r1", "r2"]
    engine.close()
