"""Alerts and the daily digest: rules raise each occurrence once, and it reaches a real
local webhook receiver (signed) and a real local SMTP server, on SQLite and PostgreSQL."""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from socialhub.db.models import Account, Delivery
from tests.conftest import CLIResult

CLI = Callable[..., CLIResult]
HEADER = "account,published_at,text,url,impressions,likes,replies,reposts,quotes,clicks,saves"
SECRET = "s3cret-for-alerts"


def _ago(days: float, hour: int = 9) -> str:
    day = datetime.now(UTC) - timedelta(days=days)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0).isoformat()


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A webhook receiver over real HTTP that checks each body's signature."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            received.append({"event": self.headers.get("X-Socialhub-Event"),
                             "signed": self.headers.get("X-Socialhub-Signature") == expected,
                             "body": json.loads(body)})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, list[Message]]]:
    """A real SMTP server on localhost (aiosmtpd) collecting what it is sent."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox.messages
    controller.stop()


@pytest.fixture
def alert_hub(dbcli: CLI, tmp_path: Path, receiver: tuple[str, list[dict[str, Any]]],
              smtp: tuple[int, list[Message]], monkeypatch: pytest.MonkeyPatch
              ) -> Iterator[Any]:
    """A hub whose alerts go to the receiver (signed) and the SMTP server, over an
    account with six ordinary posts, one that passed 1,000 likes and one that fell flat."""
    url, _ = receiver
    port, _ = smtp
    monkeypatch.setenv("SOCIALHUB_DAEMON_WEBHOOKS",
                       f"[{{url: '{url}', events: [alert, digest], secret: {SECRET}}}]")
    monkeypatch.setenv("SOCIALHUB_ALERTS_EMAIL_HOST", "127.0.0.1")
    monkeypatch.setenv("SOCIALHUB_ALERTS_EMAIL_PORT", str(port))
    monkeypatch.setenv("SOCIALHUB_ALERTS_EMAIL_STARTTLS", "false")
    monkeypatch.setenv("SOCIALHUB_ALERTS_EMAIL_TO", "[team@example.com]")
    monkeypatch.setenv("SOCIALHUB_ALERTS_MILESTONE_LIKES", "[1000]")
    assert dbcli("accounts", "add", "mastodon:@me@social.example").exit_code == 0
    rows = [f"mastodon:@me@social.example,{_ago(d)},ordinary {d},,1000,50,5,5,0,0,0"
            for d in (4, 5, 6, 8, 10, 12)]
    rows.append(f"mastodon:@me@social.example,{_ago(1, 20)},viral,https://s.example/1,"
                "50000,1500,80,90,3,0,0")
    rows.append(f"mastodon:@me@social.example,{_ago(2)},flat,,1000,2,0,0,0,0,0")
    history = tmp_path / "history.csv"
    history.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    imported = dbcli("analytics", "import", str(history))
    assert imported.exit_code == 0, imported.stderr
    from socialhub.services.hub import Hub
    from socialhub.services.settings import load_config

    hub = Hub(load_config())
    yield hub
    hub.dispose()


def _wait_for(items: list[Any], n: int) -> None:
    deadline = time.monotonic() + 10
    while len(items) < n and time.monotonic() < deadline:
        time.sleep(0.05)


def _raise(hub: Any) -> list[dict[str, Any]]:
    from socialhub.services.analytics.alerts import raise_alerts

    with hub.context("daemon") as ctx:
        return raise_alerts(ctx)


def test_milestone_and_drop_alerts_fire_once_by_webhook_and_mail(
        alert_hub: Any, receiver: tuple[str, list[dict[str, Any]]],
        smtp: tuple[int, list[Message]]) -> None:
    _, received = receiver
    _, mails = smtp
    raised = _raise(alert_hub)
    assert sorted(a["rule"] for a in raised) == ["drop", "milestone"]
    milestone = next(a for a in raised if a["rule"] == "milestone")
    assert milestone["data"]["value"] == 1500 and milestone["data"]["threshold"] == 1000
    assert "passed 1,000 likes" in milestone["message"]
    _wait_for(received, 2)
    _wait_for(mails, 2)
    assert len(received) == 2 and all(r["event"] == "alert" and r["signed"] for r in received)
    assert {r["body"]["data"]["rule"] for r in received} == {"milestone", "drop"}
    assert len(mails) == 2
    subjects = sorted(m["Subject"] for m in mails)
    assert any("passed 1,000 likes" in s for s in subjects)
    assert any("under 25%" in s for s in subjects)
    assert all(m["To"] == "team@example.com" for m in mails)
    # The next run remembers what it told: nothing goes out twice.
    assert _raise(alert_hub) == []
    time.sleep(0.3)
    assert len(received) == 2 and len(mails) == 2


def test_failure_reauth_and_stale_scheduler_alerts(alert_hub: Any) -> None:
    _raise(alert_hub)  # the milestone and the drop
    from socialhub.services.ops.daemon_status import record_job_run

    old = datetime.now(UTC) - timedelta(hours=2)
    with alert_hub.transaction() as session:
        delivery = session.scalars(select(Delivery)).first()
        delivery.status, delivery.last_error = "dead", "HTTP 500 from the network"
        session.execute(update(Account).values(status="needs_reauth",
                                               status_reason="token revoked"))
        record_job_run(session, "reconcile", owner="worker-1", started=old, finished=old,
                       status="ok")
    raised = _raise(alert_hub)
    assert sorted(a["rule"] for a in raised) == ["needs_reauth", "publish_failure",
                                                 "stale_scheduler"]
    messages = " | ".join(a["message"] for a in raised)
    assert "dead: HTTP 500 from the network" in messages
    assert "mastodon:@me@social.example needs signing in again: token revoked" in messages
    assert "reconcile job has not run for 120 minutes" in messages
    assert _raise(alert_hub) == []


def test_digest_prints_yesterdays_posts_and_problems(alert_hub: Any, dbcli: CLI) -> None:
    with alert_hub.transaction() as session:
        session.execute(update(Account).values(status="needs_reauth",
                                               status_reason="token revoked"))
    data = json.loads(dbcli("digest", "--json").stdout)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    assert data["date"] == yesterday
    assert [p["text"] for p in data["posts"]] == ["viral"]
    assert data["totals"]["likes"] == 1500
    assert data["needs_reauth"][0]["account"] == "mastodon:@me@social.example"
    text = dbcli("digest").stdout
    assert "socialhub digest" in text and "1 posts" in text
    assert "viral" in text and "likes 1,500" in text
    assert "needs signing in again: token revoked" in text
    html = dbcli("digest", "--format", "html", "--date", _ago(2)[:10]).stdout
    assert html.startswith("<!DOCTYPE html>") and "flat" in html and "viral" not in html
    bad = dbcli("digest", "--format", "pdf")
    assert bad.exit_code != 0 and "text or html" in bad.stderr


def test_daemon_digest_job_mails_text_and_html(alert_hub: Any,
                                               smtp: tuple[int, list[Message]]) -> None:
    from socialhub.daemon.jobs import mail_digest

    _, mails = smtp
    assert mail_digest(alert_hub) is True
    _wait_for(mails, 1)
    message = mails[0]
    assert message["Subject"].startswith("socialhub digest")
    parts = {part.get_content_type(): bytes(part.get_payload(decode=True)).decode()
             for part in message.walk() if not part.is_multipart()}
    assert "viral" in parts["text/plain"] and "<table id=\"posts\">" in parts["text/html"]
