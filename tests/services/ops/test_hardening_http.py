"""Hardening of the HTTP APIs: no open port without a token, bounded parameters, body limit.

The refusals run the real command as a subprocess (on the old code it would
have started serving and never returned); the rest run the real ASGI apps
in-process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from socialhub.daemon.http import create_daemon_app
from socialhub.errors import ConfigError
from socialhub.search.api import create_app
from socialhub.services.ops.http_access import daemon_access, is_loopback
from socialhub.services.settings import load_config
from tests.conftest import CLIResult

TOKEN = "hardening-token-5f1e0c2b9a7d4e36"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
HUGE = "9223372036854775808"  # 2**63: one past SQLite's INTEGER range


def _run(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALHUB_")}
    clean.update(SOCIALHUB_HOME=str(home), SOCIALHUB_SECURITY_USE_KEYRING="false", **env)
    return subprocess.run([sys.executable, "-m", "socialhub", *args], env=clean,
                          capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "example.org"])
def test_daemon_refuses_to_listen_off_loopback_without_a_token(tmp_path: Path,
                                                               host: str) -> None:
    result = _run(tmp_path / "home", "daemon", "run", SOCIALHUB_DAEMON_HTTP_HOST=host,
                  SOCIALHUB_DAEMON_HTTP_PORT="0")
    assert result.returncode == 3, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: refusing to serve HTTP on {host} without a token")
    assert "daemon.http_token" in lines[0] and "SOCIALHUB_DAEMON_HTTP_TOKEN" in lines[0]


def test_search_serve_refuses_to_listen_off_loopback_without_a_token(tmp_path: Path) -> None:
    result = _run(tmp_path / "home", "search", "serve", "--host", "0.0.0.0", "--port", "0")
    assert result.returncode == 3, result.stderr
    assert result.stderr.strip().startswith(
        "error: refusing to serve HTTP on 0.0.0.0 without a token")
    assert "search.token" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_short_token_off_loopback_is_refused_without_echoing_it(tmp_path: Path) -> None:
    result = _run(tmp_path / "home", "search", "serve", "--host", "0.0.0.0", "--port", "0",
                  SOCIALHUB_SEARCH_TOKEN="short-tok")
    assert result.returncode == 3
    assert "too short" in result.stderr and "short-tok" not in result.stderr


def test_a_token_reference_is_resolved_and_loopback_needs_none(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # (off loopback the REST API also wants TLS or a declared proxy: tests/services/ops/
    # test_api_bind.py; here a proxy is declared so only the token is in question)
    env = {"SOCIALHUB_HOME": str(tmp_path / "home"), "SOCIALHUB_DAEMON_HTTP_HOST": "0.0.0.0",
           "SOCIALHUB_DAEMON_HTTP_TOKEN": "env:MY_DAEMON_TOKEN",
           "SOCIALHUB_API_INSECURE_BEHIND_PROXY": "true"}
    monkeypatch.delenv("MY_DAEMON_TOKEN", raising=False)
    with pytest.raises(ConfigError) as missing:
        daemon_access(load_config(env=env))
    assert str(missing.value).startswith(
        "daemon.http_token refers to env:MY_DAEMON_TOKEN, which is not set")
    monkeypatch.setenv("MY_DAEMON_TOKEN", TOKEN)
    access = daemon_access(load_config(env=env))
    assert access.token == TOKEN and TOKEN not in repr(access)
    local = daemon_access(load_config(env={"SOCIALHUB_HOME": str(tmp_path / "home")}))
    assert local.token is None and local.loopback
    assert [is_loopback(h) for h in ("127.0.0.1", "127.8.9.1", "::1", "[::1]", "localhost",
                                     "0.0.0.0", "::", "10.0.0.1", "my-host")] == [
        True, True, True, True, True, False, False, False, False]


def _daemon_client(tmp_path: Path, token: str | None, max_body: int = 1_048_576
                   ) -> TestClient:
    from socialhub.services.ops.http_access import HttpAccess

    config = load_config(env={"SOCIALHUB_HOME": str(tmp_path / "home")})
    access = HttpAccess("0.0.0.0" if token else "127.0.0.1", 0, token, max_body)
    app = create_daemon_app(
        config, lambda: {"status": "ok", "worker": "host-1", "database": "ok"},
        lambda: {"queue": {"oldest_overdue": {"post": "unreleased-product-launch"}}}, access)
    return TestClient(app)


def test_with_a_token_every_daemon_route_but_a_minimal_health_needs_it(tmp_path: Path) -> None:
    with _daemon_client(tmp_path, TOKEN) as c:
        for method, path in [("GET", "/metrics"), ("GET", "/metrics.json"),
                             ("GET", "/search?q=x"), ("GET", "/docs/1"),
                             ("DELETE", "/docs/1"), ("POST", "/docs"),
                             ("GET", "/music/search"), ("GET", "/openapi.json"),
                             ("GET", "/swagger")]:
            denied = c.request(method, path, json={"title": "t", "body": "b"})
            assert denied.status_code == 401, (path, denied.text)
            assert denied.json() == {"error": {"code": "unauthorized", "detail": None,
                                               "message": "a valid bearer token is required"}}
            assert denied.headers["www-authenticate"] == "Bearer"
            wrong = c.request(method, path, headers={"Authorization": f"Bearer {TOKEN}x"})
            assert wrong.status_code == 401
        assert "unreleased-product-launch" not in c.get("/metrics").text
        health = c.get("/healthz")
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        assert c.get("/healthz", headers=AUTH).json()["worker"] == "host-1"
        assert "unreleased" in c.get("/metrics", headers=AUTH).text
        created = c.post("/docs", json={"title": "t", "body": "b"}, headers=AUTH)
        assert created.status_code == 201
        assert c.delete(f"/docs/{created.json()['id']}", headers=AUTH).status_code == 204


def test_on_loopback_without_a_token_the_api_is_open_as_before(tmp_path: Path) -> None:
    with _daemon_client(tmp_path, None) as c:
        assert c.get("/healthz").json()["worker"] == "host-1"
        assert c.get("/metrics").status_code == 200
        assert c.post("/docs", json={"title": "t", "body": "b"}).status_code == 201


@pytest.mark.parametrize("path", [f"/search?q=x&offset={HUGE}", f"/search?q=x&limit={HUGE}",
                                  "/search?q=x&offset=-1", f"/music/search?offset={HUGE}",
                                  f"/docs/{HUGE}", f"/music/track/{HUGE}", "/docs/0",
                                  "/search?q=" + "x" * 5000])
def test_out_of_range_parameters_are_a_422_naming_the_field(tmp_path: Path, path: str) -> None:
    config = load_config(env={"SOCIALHUB_HOME": str(tmp_path / "home")})
    with TestClient(create_app(config), raise_server_exceptions=False) as c:
        response = c.get(path)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["message"].startswith("invalid field '")


@pytest.mark.parametrize("args", [("docs", "search", "x", "--offset", HUGE),
                                  ("docs", "search", "x", "--limit", HUGE),
                                  ("music", "search", "x", "--offset", HUGE),
                                  ("music", "search", "x", "--limit", "0")])
def test_cli_search_bounds_are_usage_errors(cli: Callable[..., CLIResult],
                                            args: tuple[str, ...]) -> None:
    result = cli(*args)
    assert result.exit_code == 2, result.stderr
    assert f"Invalid value for '{args[3]}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_body_over_the_limit_is_a_413_and_nothing_is_written(tmp_path: Path) -> None:
    home = tmp_path / "home"
    config = load_config(env={"SOCIALHUB_HOME": str(home), "SOCIALHUB_SEARCH_MAX_BODY_BYTES":
                              "2048"})
    with TestClient(create_app(config)) as c:
        big = {"title": "big", "body": "x" * 4000}
        response = c.post("/docs", json=big)
        assert response.status_code == 413
        assert response.json()["error"] == {
            "code": "payload_too_large", "detail": None,
            "message": "request body is larger than 2048 bytes "
                       "(the limit is search.max_body_bytes)"}

        def chunks() -> Any:  # no Content-Length: the guard counts what arrives
            yield json.dumps(big)[:1500].encode()
            yield json.dumps(big)[1500:].encode()

        chunked = c.post("/docs", content=chunks(), headers={"content-type": "application/json"})
        assert chunked.status_code == 413
        assert c.post("/docs", json={"title": "small", "body": "word " * 300}).status_code == 201
        hits = c.get("/search", params={"q": "word"}).json()["results"]
        assert [h["title"] for h in hits] == ["small"]


def test_the_daemon_applies_its_own_body_limit(tmp_path: Path) -> None:
    with _daemon_client(tmp_path, TOKEN, max_body=1024) as c:
        response = c.post("/docs", json={"title": "t", "body": "y" * 2000}, headers=AUTH)
    assert response.status_code == 413
    assert "daemon.http_max_body_bytes" in response.json()["error"]["message"]


def test_a_real_server_off_loopback_needs_the_token_and_never_logs_it(tmp_path: Path) -> None:
    import socket
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALHUB_")}
    clean.update(SOCIALHUB_HOME=str(tmp_path / "home"), SOCIALHUB_SEARCH_TOKEN=TOKEN)
    proc = subprocess.Popen([sys.executable, "-m", "socialhub", "search", "serve", "--host",
                             "0.0.0.0", "--port", str(port)], env=clean,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).json() == {"status": "ok"}:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.1)
        assert httpx.get(f"{url}/search", params={"q": "x"}).status_code == 401
        assert httpx.get(f"{url}/search", params={"q": "x", "offset": HUGE},
                         headers=AUTH).status_code == 422
        assert httpx.get(f"{url}/search", params={"q": "x"}, headers=AUTH).status_code == 200
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)
    assert TOKEN not in stderr and "token required" in stderr
