"""Outgoing HTTPS: every platform client and every webhook verifies servers with one
TLS context built once per process (building one parses the whole CA bundle, ~50 ms of
CPU each), and verification stays on: an untrusted certificate is refused."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from socialhub.config import Settings
from socialhub.platforms.http import make_client
from socialhub.security import tls
from socialhub.services.webhooks import outbox
from tests.tls_kit import https_server, self_signed


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts the CA bundles loaded into a TLS context (what costs ~50 ms each), from a
    clean cache; the cache is cleared again afterwards."""
    count: list[int] = []
    real = ssl.SSLContext.load_verify_locations

    def counting(self: ssl.SSLContext, *args: Any, **kwargs: Any) -> None:
        count.append(1)
        real(self, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counting)
    tls._built.cache_clear()
    yield count
    tls._built.cache_clear()


def _webhook(settings_url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Settings,
                                                                          outbox.Claim]:
    monkeypatch.setenv("HOOK_SECRET", "whsec-test-secret")
    settings = Settings.model_validate({"daemon": {"webhooks": [
        {"name": "ops", "url": settings_url, "secret": "env:HOOK_SECRET", "events": ["*"]}]}})
    claim = outbox.Claim(id=1, org_id=1, webhook_id="msg_1", endpoint="ops",
                         event="post.published", body='{"type": "post.published"}',
                         attempts=0)
    return settings, claim


def test_clients_and_webhooks_share_one_context_and_reach_a_trusted_server(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, built: list[int]) -> None:
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with https_server(cert, key) as (url, answered):
        for n in range(3):
            with make_client(url, timeout_s=5) as client:
                assert client.get(f"/client/{n}").status_code == 200
        settings, claim = _webhook(f"{url}/hook", monkeypatch)
        outcomes = [outbox.send(settings, claim) for _ in range(3)]
    assert [o.http_status for o in outcomes] == [200, 200, 200]
    assert answered == ["/client/0", "/client/1", "/client/2", "/hook", "/hook", "/hook"]
    assert len(built) == 1  # one CA bundle loaded for six clients


def test_an_untrusted_certificate_is_refused_and_a_newly_trusted_one_accepted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, built: list[int]) -> None:
    cert, key = self_signed(tmp_path)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with https_server(cert, key) as (url, answered):
        settings, claim = _webhook(f"{url}/hook", monkeypatch)
        refused = outbox.send(settings, claim)
        with make_client(url, timeout_s=5) as client, pytest.raises(httpx.ConnectError):
            client.get("/client")
        assert answered == []
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # now trusted: a context for it
        assert outbox.send(settings, claim).http_status == 200
    assert refused.http_status is None and refused.error == "no answer: ConnectError"
    assert answered == ["/hook"]
    assert len(built) == 2


def test_one_off_calls_reuse_the_process_context(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, built: list[int]) -> None:
    """Registering socialhub on a Mastodon instance (``accounts connect``) is a one-off
    request outside any adapter; it verifies the instance with the same context."""
    from socialhub.errors import PlatformError
    from socialhub.services.accounts.connect import register_mastodon_app

    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with https_server(cert, key) as (url, answered):
        with make_client(url, timeout_s=5) as client:
            assert client.get("/client").status_code == 200
        with pytest.raises(PlatformError, match="refused to register"):  # it answers {}
            register_mastodon_app(url, "http://127.0.0.1:8765/callback", ("read",),
                                  timeout_s=5)
    assert answered == ["/client", "/api/v1/apps"]
    assert len(built) == 1


def test_pooled_requests_verify_the_server_with_the_same_context(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, built: list[int]) -> None:
    """Adapters' plain requests travel on the pooled ``http.client`` connections
    (``platforms/http_pool.py``): a trusted server answers over TLS on one reused
    connection; an untrusted one is refused before anything is sent."""
    from socialhub.platforms.errors import RetryLaterError
    from socialhub.platforms.http import send

    cert, key = self_signed(tmp_path)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with https_server(cert, key) as (url, answered):
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        with make_client(url, timeout_s=5) as client, \
                pytest.raises(RetryLaterError, match=r"cannot connect.*not sent"):
            send(client, "POST", "/untrusted", platform="t", json={"text": "secret"})
        assert answered == []
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        with make_client(url, timeout_s=5) as client:
            assert client.pooled
            for n in range(3):
                assert send(client, "POST", f"/pooled/{n}", platform="t",
                            json={"n": n}).status_code == 200
            (pool,) = client._pools.values()
            assert len(pool._idle) == 1  # the three went over one TLS connection
    assert answered == ["/pooled/0", "/pooled/1", "/pooled/2"]
    assert len(built) == 2
