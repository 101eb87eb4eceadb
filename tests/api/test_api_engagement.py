"""Accounts, inbox sync, analytics import and collect, the digest, rules and webhooks
through real HTTP (SQLite and PostgreSQL), against the sandbox network and a local
webhook receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from socialhub.sandbox_network.server import SandboxServer
from tests.api.conftest import Api, make_token
from tests.services.conftest import receiver  # noqa: F401  (a fixture)

ACCOUNT = "bluesky:@shop.example.com"
HEADER = "account,published_at,text,url,impressions,likes,replies,reposts,quotes,clicks,saves"


@pytest.fixture
def sandbox(db_home: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    """The sandbox network, as the config's sandbox instance (before the API's hub)."""
    server = SandboxServer().start()
    monkeypatch.setenv("SOCIALHUB_PLATFORMS_SANDBOX_BASE_URL", server.url)
    yield server
    server.stop()


@pytest.fixture
def hooked(db_home: str, receiver: tuple[str, list[dict[str, Any]]],  # noqa: F811
           monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """A webhook endpoint ``ops`` in the config (before the API's hub); what it received."""
    url, got = receiver
    monkeypatch.setenv("HOOK_SECRET", "whsec_" + "a" * 32)
    monkeypatch.setenv("SOCIALHUB_DAEMON_WEBHOOKS",
                       f"[{{name: ops, url: '{url}', secret: 'env:HOOK_SECRET', "
                       "events: ['webhook.test']}]")
    return got


def _channels(api: Api, kind: str) -> list[tuple[str, str]]:
    with api.hub.transaction() as session:
        return [(r[0], r[1]) for r in session.execute(text(
            "SELECT channel, action FROM audit_events WHERE record_kind = :k ORDER BY id"),
            {"k": kind})]


def test_accounts_are_added_and_removed_with_accounts_write(api: Api) -> None:
    body = {"ref": "mastodon:@me@social.example", "base_url": "https://social.example",
            "max_characters": 1000}
    with api.client(api.token("accounts:write"), **{"Idempotency-Key": "acc-1"}) as c:
        made = c.post("/api/v1/accounts", json=body)
        assert made.status_code == 201, made.text
        assert made.json()["ref"] == "mastodon:@me@social.example"
        assert c.post("/api/v1/accounts", json=body).headers["Idempotent-Replayed"] == "true"
    with api.client(api.token("accounts:write")) as c:
        assert c.post("/api/v1/accounts", json=body).status_code == 409
        assert c.post("/api/v1/accounts", json={"ref": "myspace:@me"}).status_code == 422
        gone = c.delete("/api/v1/accounts/mastodon:@me@social.example")
        assert gone.status_code == 200 and gone.json()["removed"] is True
        assert c.delete("/api/v1/accounts/mastodon:@me@social.example").status_code == 404
    with api.client(api.token("accounts:read")) as c:
        assert c.post("/api/v1/accounts", json=body).status_code == 403
        assert c.delete(f"/api/v1/accounts/{ACCOUNT}").status_code == 403
    assert _channels(api, "Account")[-2:] == [("api", "create"), ("api", "delete")]


def test_another_organizations_account_is_a_404(api: Api) -> None:
    from socialhub.services.accounts.accounts import add_account
    from socialhub.services.orgs import add_organization
    from socialhub.services.teams.acting import acting_login

    with api.hub.transaction() as session:
        add_organization(session, "rival", login=acting_login(session))
    with api.hub.context("cli", organization="rival") as ctx:
        add_account(ctx, platform="bluesky", handle="rival.example.com")
    with api.client(api.token("accounts:write")) as c:
        assert c.delete("/api/v1/accounts/bluesky:@rival.example.com").status_code == 404
    rival = make_token(api.hub, "accounts:read", organization="rival")
    with api.client(rival) as c:
        assert c.get("/api/v1/accounts/bluesky:@rival.example.com").status_code == 200


def test_connect_then_sync_the_inbox_over_http(sandbox: SandboxServer, api: Api) -> None:
    with api.client(api.token("accounts:read")) as c:
        refused = c.post("/api/v1/accounts/connect",
                         json={"platform": "sandbox", "handle": "demo"})
        assert refused.status_code == 403
    with api.client(api.token("accounts:write"), **{"Idempotency-Key": "conn-1"}) as c:
        made = c.post("/api/v1/accounts/connect",
                      json={"platform": "sandbox", "handle": "demo"})
        assert made.status_code == 200, made.text
        data = made.json()
        assert data["ref"] == "sandbox:@demo" and data["created"] is True
        assert not {"access_token", "refresh_token", "token"} & set(data)
        replay = c.post("/api/v1/accounts/connect",
                        json={"platform": "sandbox", "handle": "demo"})
        assert replay.headers["Idempotent-Replayed"] == "true" and replay.json() == data
    with api.client(api.token("accounts:write")) as c:
        again = c.post("/api/v1/accounts/connect",
                       json={"platform": "sandbox", "handle": "demo"})
        assert again.status_code == 200 and again.json()["created"] is False
        assert again.json()["id"] == data["id"]
        # No app password, no login; OAuth networks are not offered at all.
        assert c.post("/api/v1/accounts/connect",
                      json={"platform": "bluesky", "handle": "x.example"}).status_code == 422
        assert c.post("/api/v1/accounts/connect",
                      json={"platform": "x", "handle": "x"}).status_code == 422
    assert ("api", "create") in _channels(api, "Account")
    assert ("api", "reconnect") in _channels(api, "Account")

    httpx.post(f"{sandbox.url}/_sandbox/inbox", json={"count": 5, "seed": 3},
               timeout=10).raise_for_status()
    with api.client(api.token("inbox:read")) as c:
        synced = c.post("/api/v1/inbox/sync", json={"account": "sandbox:@demo"})
        assert synced.status_code == 200, synced.text
        [report] = synced.json()["items"]
        assert report["account"] == "sandbox:@demo" and report["new"] == 5
        assert report["error"] is None
        assert len(c.get("/api/v1/inbox", params={"limit": 50}).json()["items"]) == 5
        assert c.post("/api/v1/inbox/sync",
                      json={"account": "sandbox:@nobody"}).status_code == 404
    with api.client(api.token("posts:read")) as c:
        assert c.post("/api/v1/inbox/sync", json={}).status_code == 403


def test_analytics_import_collect_and_the_digest(api: Api) -> None:
    csv = f"{HEADER}\n{ACCOUNT},2026-11-02T09:00:00+00:00,Hello world,,120,7,1,0,0,2,\n"
    body = {"format": "csv", "content": csv}
    with api.client(api.token("analytics:import"), **{"Idempotency-Key": "imp-1"}) as c:
        first = c.post("/api/v1/analytics/import", json=body)
        assert first.status_code == 200, first.text
        assert first.json()["imported"] == 1 and first.json()["rows"] == 1
        assert c.post("/api/v1/analytics/import",
                      json=body).headers["Idempotent-Replayed"] == "true"
    with api.client(api.token("analytics:import")) as c:
        assert c.post("/api/v1/analytics/import", json=body).json()["unchanged"] == 1
        rows = [{"account": ACCOUNT, "published_at": "2026-11-03T09:00:00+00:00",
                 "text": "From JSON", "impressions": 50}]
        as_json = c.post("/api/v1/analytics/import",
                         json={"format": "json", "content": json.dumps(rows)})
        assert as_json.status_code == 200 and as_json.json()["imported"] == 1
        bad = c.post("/api/v1/analytics/import",
                     json={"format": "csv", "content": f"{HEADER}\nnope,yesterday,x,,,,,,,,\n"})
        assert bad.status_code == 422 and bad.json()["code"] == "invalid"
        assert "body.csv:2" in bad.json()["detail"]
        counts = c.post("/api/v1/analytics/collect")
        assert counts.status_code == 200, counts.text
        assert set(counts.json()) >= {"captured", "failed", "deferred", "accounts"}
    with api.client(api.token("analytics:read")) as c:
        assert c.post("/api/v1/analytics/import", json=body).status_code == 403
        assert c.post("/api/v1/analytics/collect").status_code == 403
        day = c.get("/api/v1/digest", params={"date": "2026-11-02"})
        assert day.status_code == 200, day.text
        assert day.json()["totals"]["posts"] >= 0 and "failures" in day.json()
        plain = c.get("/api/v1/digest", params={"date": "2026-11-02", "format": "text"})
        assert plain.headers["content-type"].startswith("text/plain")
        assert plain.text.startswith("socialhub digest")
        page = c.get("/api/v1/digest", params={"date": "2026-11-02", "format": "html"})
        assert page.headers["content-type"].startswith("text/html") and "<html" in page.text
        assert c.get("/api/v1/digest", params={"date": "someday"}).status_code == 422
    with api.client(api.token("posts:read")) as c:
        assert c.get("/api/v1/digest").status_code == 403


def _rule(api: Api, tmp_path: Path) -> None:
    from tests.conftest import run_cli

    path = tmp_path / "rule.yaml"
    path.write_text("""apiVersion: socialhub/v1
kind: Rule
metadata:
  name: thanks
spec:
  dry_run: true
  trigger:
    type: inbox
    keywords: [thank]
  actions:
    - tag: thanked
""")
    result = run_cli("apply", "-f", str(path))
    assert result.exit_code == 0, result.stderr


def test_rules_are_listed_replayed_and_logged(api: Api, tmp_path: Path) -> None:
    _rule(api, tmp_path)
    with api.client(api.token("rules:read")) as c:
        listed = c.get("/api/v1/rules")
        assert listed.status_code == 200, listed.text
        assert [r["name"] for r in listed.json()["items"]] == ["thanks"]
        replay = c.get("/api/v1/rules/thanks/test", params={"limit": 5})
        assert replay.status_code == 200 and replay.json()["items"] == []
        assert c.get("/api/v1/rules/nope/test").status_code == 404
        log = c.get("/api/v1/rules/log", params={"rule": "thanks"})
        assert log.status_code == 200 and log.json() == {"items": [], "next_cursor": None}
    with api.client(api.token("posts:read")) as c:
        assert c.get("/api/v1/rules").status_code == 403
        assert c.get("/api/v1/rules/log").status_code == 403


def test_webhooks_are_listed_tested_and_logged(hooked: list[dict[str, Any]],
                                               api: Api) -> None:
    with api.client(api.token("webhooks:read")) as c:
        [hook] = c.get("/api/v1/webhooks").json()["items"]
        assert hook["name"] == "ops" and "secret" not in json.dumps(hook).lower().replace(
            "signed", "")
        assert c.post("/api/v1/webhooks/ops/test").status_code == 403
    with api.client(api.token("webhooks:write"), **{"Idempotency-Key": "hook-1"}) as c:
        sent = c.post("/api/v1/webhooks/ops/test")
        assert sent.status_code == 200, sent.text
        assert sent.json()["status"] == "delivered" and sent.json()["event"] == "webhook.test"
        assert c.post("/api/v1/webhooks/ops/test").headers["Idempotent-Replayed"] == "true"
        # The same key on another path is a misuse of the key.
        assert c.post("/api/v1/webhooks/nope/test").status_code == 422
    with api.client(api.token("webhooks:write")) as c:
        assert c.post("/api/v1/webhooks/nope/test").status_code == 404
    assert [r["body"]["type"] for r in hooked] == ["webhook.test"]
    with api.client(api.token("webhooks:read")) as c:
        log = c.get("/api/v1/webhooks/log", params={"limit": 1})
        assert [d["status"] for d in log.json()["items"]] == ["delivered"]
        assert c.get("/api/v1/webhooks/log", params={"status": "lost"}).status_code == 422
    with api.client(api.token("posts:read")) as c:
        assert c.get("/api/v1/webhooks").status_code == 403
