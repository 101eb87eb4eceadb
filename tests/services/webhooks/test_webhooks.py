"""Webhooks for every event: a real receiver on loopback checks the Standard Webhooks
signature; a failing receiver shows the retries and their backoff in the log; a rolled
back change sends nothing; the secret never shows in `webhooks list`, the log or log
lines; the daemon's job sends what the first try could not; inbox items and rule runs
reach an endpoint that subscribes to them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from socialhub.errors import ConfigError, PermissionDeniedError
from socialhub.sandbox_network.server import SandboxServer
from socialhub.security.redact import redact
from socialhub.services.context import Ctx
from socialhub.services.hub import Hub
from socialhub.services.webhooks import outbox
from socialhub.services.webhooks.signing import verify
from socialhub.services.webhooks.use_cases import deliver_webhooks, list_webhooks, webhook_log
from tests.conftest import CLIResult, ctx_as
from tests.publishing_kit import connect_account, make_hub
from tests.services.inbox.conftest import simulate

SECRET = "wh-s3cret-value-123"


@dataclass
class Receiver:
    """A webhook receiver on loopback that answers each request with the next status of
    ``statuses`` (then 204) and keeps every request: headers, raw body, whether the
    signature was valid when it arrived."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    got: list[dict[str, Any]] = field(default_factory=list)

    def events(self) -> list[str]:
        return [json.loads(r["raw"])["type"] for r in self.got]


def _check(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's check of docs/webhooks.md, written independently of the sender."""
    msg_id, stamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(stamp)) > 300:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), f"{msg_id}.{stamp}.".encode() + body,
                                         hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest("v1," + expected, sig)
               for sig in headers["webhook-signature"].split())


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            headers = {k.lower(): v for k, v in self.headers.items()}
            state.got.append({"headers": headers, "raw": raw,
                              "valid": "webhook-signature" in headers
                              and _check(SECRET, headers, raw)})
            status = state.statuses.pop(0) if state.statuses else 204
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook?token=receiver-token"
    yield state
    server.shutdown()


def _hooks(monkeypatch: pytest.MonkeyPatch, receiver: Receiver, events: str = "['*']",
           **extra: str) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
    more = "".join(f", {k}: {v}" for k, v in extra.items())
    monkeypatch.setenv("SOCIALHUB_DAEMON_WEBHOOKS",
                       f"[{{name: ops, url: '{receiver.url}', secret: 'env:WEBHOOK_SECRET', "
                       f"events: {events}{more}}}]")


@pytest.fixture
def hooked(db_home: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    """A hub whose one endpoint ``ops`` wants every event, signed with SECRET."""
    _hooks(monkeypatch, receiver)
    hub = make_hub()
    yield hub
    hub.dispose()


def _later(hub: Hub, seconds: float) -> Callable[[], AbstractContextManager[Ctx]]:
    """Opens a daemon ``Ctx`` whose clock runs ``seconds`` ahead (to reach a backoff)."""
    @contextmanager
    def open_ctx() -> Iterator[Ctx]:
        with hub.context("daemon") as ctx:
            yield replace(ctx, clock=lambda: datetime.now(ctx.now().tzinfo)
                          + timedelta(seconds=seconds))
    return open_ctx


def _log(hub: Hub, **filters: Any) -> list[dict[str, Any]]:
    with hub.context("cli") as ctx:
        return webhook_log(ctx, **filters)


def test_every_event_reaches_the_endpoint_signed_and_logged(
        hooked: Hub, receiver: Receiver, dbcli: Callable[..., CLIResult]) -> None:
    assert dbcli("accounts", "add", "bluesky:@shop.example.com").exit_code == 0
    assert dbcli("posts", "create", "-b", "hello", "-t", "bluesky:@shop.example.com",
                 "--at", "2030-01-02 09:00", "--name", "hello").exit_code == 0
    assert receiver.events() == ["account.created", "post.created", "post.scheduled",
                                 "schedule.changed"]
    assert all(r["valid"] for r in receiver.got)
    first = receiver.got[0]
    assert verify(SECRET, first["headers"], first["raw"], now=time.time())
    assert not verify("another-secret", first["headers"], first["raw"], now=time.time())
    assert not verify(SECRET, first["headers"], first["raw"] + b" ", now=time.time())
    assert not verify(SECRET, first["headers"], first["raw"], now=time.time() + 301)
    body = json.loads(first["raw"])
    assert body["id"] == first["headers"]["webhook-id"]
    assert body["subject"] == "bluesky:@shop.example.com"
    assert first["headers"]["x-socialhub-signature"] == "sha256=" + hmac.new(
        SECRET.encode(), first["raw"], hashlib.sha256).hexdigest()
    log = _log(hooked)
    assert [(d["event"], d["status"], d["attempts"], d["last_http_status"]) for d in log][:2] \
        == [("schedule.changed", "delivered", 1, 204), ("post.scheduled", "delivered", 1, 204)]
    assert all(d["duration_ms"] is not None and d["next_attempt_at"] is None for d in log)


def test_a_failing_receiver_is_retried_with_exponential_backoff(
        hooked: Hub, receiver: Receiver, dbcli: Callable[..., CLIResult]) -> None:
    receiver.statuses = [500, 503]
    assert dbcli("accounts", "add", "bluesky:@shop.example.com").exit_code == 0
    [first] = _log(hooked)
    assert (first["status"], first["attempts"], first["last_http_status"]) == ("failed", 1, 500)
    assert first["next_attempt_at"] - first["last_attempt_at"] == timedelta(seconds=30)
    # The daemon's job: nothing is due before the backoff has passed.
    assert deliver_webhooks(_later(hooked, 0)) == []
    [second] = deliver_webhooks(_later(hooked, 31))
    assert (second["status"], second["attempts"], second["last_http_status"]) == (
        "failed", 2, 503)
    assert second["next_attempt_at"] - second["last_attempt_at"] == timedelta(seconds=60)
    [third] = deliver_webhooks(_later(hooked, 31 + 61))
    assert (third["status"], third["attempts"], third["last_http_status"]) == (
        "delivered", 3, 204)
    assert third["next_attempt_at"] is None and third["delivered_at"] is not None
    # Every attempt carried the same webhook-id (receivers drop duplicates by it).
    assert len({r["headers"]["webhook-id"] for r in receiver.got}) == 1
    assert len(receiver.got) == 3 and all(r["valid"] for r in receiver.got)
    shown = dbcli("webhooks", "log", "--status", "delivered", "--json").json()
    assert [(d["event"], d["attempts"], d["last_http_status"]) for d in shown] == [
        ("account.created", 3, 204)]


def test_a_delivery_gives_up_after_the_last_attempt(
        db_home: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch,
        dbcli: Callable[..., CLIResult]) -> None:
    _hooks(monkeypatch, receiver)
    monkeypatch.setenv("SOCIALHUB_DAEMON_WEBHOOK_MAX_ATTEMPTS", "2")
    hub = make_hub()
    receiver.statuses = [500, 500, 500]
    assert dbcli("accounts", "add", "bluesky:@shop.example.com").exit_code == 0
    [dead] = deliver_webhooks(_later(hub, 31))
    assert (dead["status"], dead["attempts"], dead["next_attempt_at"]) == ("dead", 2, None)
    assert deliver_webhooks(_later(hub, 10_000)) == []
    failing = dbcli("webhooks", "log", "--status", "dead")
    assert failing.exit_code == 0 and "account.created: dead (attempts 2, HTTP 500" \
        in " ".join(failing.stdout.split())
    hub.dispose()


def test_a_rolled_back_change_sends_and_records_nothing(hooked: Hub, receiver: Receiver) -> None:
    from socialhub.services.accounts.accounts import add_account

    with pytest.raises(RuntimeError), hooked.context("cli") as ctx:
        add_account(ctx, platform="bluesky", handle="shop.example.com")
        raise RuntimeError("changed my mind")
    assert receiver.got == []
    assert _log(hooked) == []


def test_an_unreachable_receiver_waits_for_the_daemon(
        db_home: str, monkeypatch: pytest.MonkeyPatch, dbcli: Callable[..., CLIResult],
        receiver: Receiver) -> None:
    down = Receiver(url="http://127.0.0.1:9/hook")  # nothing listens on the discard port
    _hooks(monkeypatch, down, events="['account.*']")
    monkeypatch.setenv("SOCIALHUB_DAEMON_WEBHOOK_BACKOFF_BASE_S", "0.05")
    started = time.monotonic()
    assert dbcli("accounts", "add", "bluesky:@shop.example.com").exit_code == 0
    assert time.monotonic() - started < 10
    hub = make_hub()
    [queued] = _log(hub)
    assert queued["status"] == "failed" and queued["last_http_status"] is None
    assert queued["last_error"].startswith("no answer")
    hub.dispose()
    # The receiver comes up (same endpoint name, new URL); the daemon's job sends it.
    from socialhub.daemon import jobs

    _hooks(monkeypatch, receiver, events="['account.*']")
    hub = make_hub()
    time.sleep(0.1)
    assert jobs.send_webhooks(hub) == {"sent": 1, "delivered": 1, "failed": 0, "dead": 0,
                                        "forgotten": 0}
    assert receiver.events() == ["account.created"] and receiver.got[0]["valid"]
    hub.dispose()


def test_a_command_past_its_send_budget_leaves_the_rest_to_the_daemon(
        hooked: Hub, receiver: Receiver, dbcli: Callable[..., CLIResult],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from socialhub.daemon import jobs

    monkeypatch.setattr(outbox, "INLINE_BUDGET_S", 0.0)  # a receiver slower than the budget
    assert dbcli("accounts", "add", "bluesky:@shop.example.com").exit_code == 0
    assert dbcli("posts", "create", "-b", "hello", "-t", "bluesky:@shop.example.com",
                 "--at", "2030-01-02 09:00", "--name", "hello").exit_code == 0
    assert receiver.got == []
    assert [(d["event"], d["status"], d["attempts"]) for d in _log(hooked)] == [
        ("schedule.changed", "pending", 0), ("post.scheduled", "pending", 0),
        ("post.created", "pending", 0), ("account.created", "pending", 0)]
    assert jobs.send_webhooks(hooked) == {"sent": 4, "delivered": 4, "failed": 0, "dead": 0,
                                        "forgotten": 0}
    assert receiver.events() == ["account.created", "post.created", "post.scheduled",
                                 "schedule.changed"]  # in the order of the events


def test_the_daemon_job_retries_every_organization_and_each_sees_only_its_own(
        hooked: Hub, receiver: Receiver, dbcli: Callable[..., CLIResult],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from socialhub.daemon import jobs

    def as_other(*args: str) -> CLIResult:
        with monkeypatch.context() as env:
            env.setenv("SOCIALHUB_ORGANIZATION", "other")
            return dbcli(*args)

    assert dbcli("webhooks", "log").exit_code == 0  # the default organization, on first use
    assert dbcli("orgs", "add", "other").exit_code == 0
    monkeypatch.setenv("SOCIALHUB_DAEMON_WEBHOOK_BACKOFF_BASE_S", "0.05")
    receiver.statuses = [500]
    assert as_other("accounts", "add", "bluesky:@other.example.com").exit_code == 0
    assert "account.created" not in [d["event"] for d in _log(hooked)]  # the default's log
    [failed] = [d for d in as_other("webhooks", "log", "--json").json()
                if d["event"] == "account.created"]
    assert failed["status"] == "failed"
    time.sleep(0.1)
    daemon_hub = make_hub()  # the daemon's configuration (the default organization)
    assert jobs.send_webhooks(daemon_hub)["delivered"] == 1
    daemon_hub.dispose()
    assert receiver.events()[-2:] == ["account.created", "account.created"]
    [retried] = [d for d in as_other("webhooks", "log", "--json").json()
                 if d["event"] == "account.created"]
    assert (retried["status"], retried["attempts"]) == ("delivered", 2)


def test_the_secret_never_shows(hooked: Hub, receiver: Receiver,
                                dbcli: Callable[..., CLIResult],
                                caplog: pytest.LogCaptureFixture) -> None:
    receiver.statuses = [500]
    caplog.set_level(logging.DEBUG)
    assert dbcli("accounts", "add", "bluesky:@shop.example.com").exit_code == 0
    listed = dbcli("webhooks", "list", "--json")
    assert listed.exit_code == 0
    [ops] = listed.json()
    assert ops["name"] == "ops" and ops["signed"] is True and ops["events"] == ["*"]
    assert ops["url"].endswith("/hook")  # the query string (a receiver's token) is left out
    assert ops["last_delivery"]["status"] == "failed"
    tested = dbcli("webhooks", "test", "ops")
    assert tested.exit_code == 0, tested.stderr
    assert "webhook.test: delivered" in " ".join(tested.stdout.split())
    assert receiver.got[-1]["valid"]
    outputs = [listed.stdout, tested.stdout, tested.stderr,
               dbcli("webhooks", "list").stdout, dbcli("webhooks", "log", "--json").stdout,
               redact(caplog.text)]  # the daemon's log handler redacts (logs.py)
    for text in outputs:
        assert SECRET not in text and "receiver-token" not in text
    assert SECRET not in caplog.text  # not even before redaction
    assert "env:WEBHOOK_SECRET" not in listed.stdout


def test_webhooks_test_names_the_endpoints_and_fails_on_an_error_answer(
        hooked: Hub, receiver: Receiver, dbcli: Callable[..., CLIResult]) -> None:
    unknown = dbcli("webhooks", "test", "nope")
    assert unknown.exit_code != 0 and "no webhook endpoint 'nope'" in unknown.stderr
    assert "ops" in unknown.stderr
    receiver.statuses = [418]
    refused = dbcli("webhooks", "test", "ops", "--json")
    assert refused.exit_code == 1
    assert refused.json()["status"] == "failed" and refused.json()["last_http_status"] == 418
    bad = dbcli("webhooks", "log", "--status", "bogus")
    assert bad.exit_code != 0 and "unknown status 'bogus'" in bad.stderr


def test_a_secret_reference_that_cannot_be_read_fails_the_send_not_the_change(
        db_home: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch,
        dbcli: Callable[..., CLIResult]) -> None:
    _hooks(monkeypatch, receiver)
    monkeypatch.delenv("WEBHOOK_SECRET")
    assert dbcli("accounts", "add", "bluesky:@shop.example.com").exit_code == 0
    assert receiver.got == []  # never sent unsigned
    [failed] = dbcli("webhooks", "log", "--json").json()
    assert failed["status"] == "failed"
    assert failed["last_error"] == ("the secret of webhook ops refers to env:WEBHOOK_SECRET, "
                                    "which is not set")


def test_who_may_read_and_test_webhooks(hooked: Hub) -> None:
    from socialhub.services.webhooks.use_cases import queue_test_webhook

    with hooked.context("cli") as ctx:
        assert [w["name"] for w in list_webhooks(ctx_as(ctx, "editor"))] == ["ops"]
        with pytest.raises(PermissionDeniedError):
            list_webhooks(ctx_as(ctx, "viewer"))
        with pytest.raises(PermissionDeniedError):
            queue_test_webhook(ctx_as(ctx, "editor"), "ops")


def test_legacy_short_names_keep_their_name_and_patterns_select(
        db_home: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch,
        dbcli: Callable[..., CLIResult]) -> None:
    _hooks(monkeypatch, receiver, events="[scheduled, 'post.created']")
    assert dbcli("accounts", "add", "bluesky:@shop.example.com").exit_code == 0
    assert dbcli("posts", "create", "-b", "hello", "-t", "bluesky:@shop.example.com",
                 "--at", "2030-01-02 09:00", "--name", "hello").exit_code == 0
    got = [(r["headers"]["x-socialhub-event"], json.loads(r["raw"])["event"],
            json.loads(r["raw"])["type"]) for r in receiver.got]
    assert got == [("post.created", "post.created", "post.created"),
                   ("scheduled", "scheduled", "schedule.changed")]
    assert json.loads(receiver.got[1]["raw"])["data"]["name"] == "hello"


def test_inbox_items_and_rule_runs_reach_a_subscribed_endpoint(
        db_home: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch,
        dbcli: Callable[..., CLIResult], sandbox: SandboxServer, tmp_path: Path) -> None:
    from socialhub.daemon import jobs
    from socialhub.services.inbox.sync import run_sync

    _hooks(monkeypatch, receiver, events="['inbox.*', 'rule.*']")
    hub = make_hub()
    account = connect_account(hub, sandbox.url)
    rules = tmp_path / "rules.yaml"
    rules.write_text("apiVersion: socialhub/v1\nkind: Rule\nmetadata: {name: tagger}\n"
                     "spec:\n  trigger: {type: inbox}\n  actions:\n    - tag: seen\n")
    assert dbcli("apply", "-f", str(rules)).exit_code == 0
    simulate(sandbox, 1)
    run_sync(hub, [account])
    assert jobs.run_workflow_rules(hub, lambda: None)["runs"] == 1
    names = receiver.events()
    assert names[0] == "rule.created"  # the apply
    assert names[1] == "inbox.item_received"
    assert "rule.ran" in names and "rule.acted" in names
    assert not any(n.startswith(("account.", "post.")) for n in names)
    assert all(r["valid"] for r in receiver.got)
    hub.dispose()


@pytest.mark.parametrize(("events", "message"), [
    ("['postapproved']", "unknown event 'postapproved'"),
    ("['post.']", "unknown event 'post.'"),
])
def test_a_bad_subscription_is_refused_at_load(
        home: Path, monkeypatch: pytest.MonkeyPatch, events: str, message: str) -> None:
    monkeypatch.setenv("SOCIALHUB_DAEMON_WEBHOOKS", f"[{{url: 'http://127.0.0.1:1/h', "
                                                    f"events: {events}}}]")
    with pytest.raises(ConfigError, match=message):
        make_hub()


def test_two_endpoints_need_two_names(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIALHUB_DAEMON_WEBHOOKS",
                       "[{url: 'http://127.0.0.1:1/a'}, {url: 'http://127.0.0.1:1/b'}]")
    with pytest.raises(ConfigError, match=re.escape("two webhooks are called '127.0.0.1:1'")):
        make_hub()


def test_the_log_forgets_finished_deliveries_after_30_days(
        hooked: Hub, receiver: Receiver, dbcli: Callable[..., CLIResult]) -> None:
    from sqlalchemy import update

    from socialhub.daemon import jobs
    from socialhub.db.models import WebhookDelivery

    receiver.statuses = [204, 500]
    assert dbcli("accounts", "add", "bluesky:@one.example.com").exit_code == 0
    assert dbcli("accounts", "add", "bluesky:@two.example.com").exit_code == 0
    with hooked.transaction() as session:
        session.execute(update(WebhookDelivery).values(
            created_at=datetime.now(UTC) - timedelta(days=31)))
    assert jobs.send_webhooks(hooked)["forgotten"] == 1  # the delivered one; not the failed
    assert [(d["subject"], d["status"]) for d in _log(hooked)] == [
        ("bluesky:@two.example.com", "failed")]


def test_the_backoff_doubles_up_to_its_cap() -> None:
    from socialhub.config import Settings

    settings = Settings()
    assert [outbox.backoff(settings, n).total_seconds() for n in (1, 2, 3, 8, 20)] == [
        30, 60, 120, 3600, 3600]
