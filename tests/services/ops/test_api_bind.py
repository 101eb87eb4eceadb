"""The REST API's bind rule: off loopback only with TLS or behind a declared proxy."""

from __future__ import annotations

from pathlib import Path

import pytest

from socialhub.errors import ConfigError
from socialhub.services.ops.http_access import daemon_access
from socialhub.services.settings import load_config

TOKEN = "a-daemon-token-long-enough"


def _config(tmp_path: Path, **env: str) -> object:
    return load_config(env={"SOCIALHUB_HOME": str(tmp_path / "home"),
                            "SOCIALHUB_DAEMON_HTTP_TOKEN": TOKEN, **env})


def test_loopback_needs_no_tls(tmp_path: Path) -> None:
    access = daemon_access(_config(tmp_path))  # type: ignore[arg-type]
    assert access.tls_cert is None and access.loopback


def test_off_loopback_without_tls_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="without TLS"):
        daemon_access(_config(tmp_path, SOCIALHUB_DAEMON_HTTP_HOST="0.0.0.0"))  # type: ignore[arg-type]


def test_off_loopback_behind_a_proxy_or_with_the_api_off_is_allowed(tmp_path: Path) -> None:
    for env in ({"SOCIALHUB_API_INSECURE_BEHIND_PROXY": "true"},
                {"SOCIALHUB_API_ENABLED": "false"}):
        access = daemon_access(_config(tmp_path, SOCIALHUB_DAEMON_HTTP_HOST="0.0.0.0",  # type: ignore[arg-type]
                                       **env))
        assert not access.loopback


def test_tls_paths_must_both_exist(tmp_path: Path) -> None:
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_text("x")
    with pytest.raises(ConfigError, match="go together"):
        daemon_access(_config(tmp_path, SOCIALHUB_API_TLS_CERT=str(cert)))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="no file"):
        daemon_access(_config(tmp_path, SOCIALHUB_API_TLS_CERT=str(cert),  # type: ignore[arg-type]
                              SOCIALHUB_API_TLS_KEY=str(key)))
    key.write_text("x")
    access = daemon_access(_config(tmp_path, SOCIALHUB_DAEMON_HTTP_HOST="0.0.0.0",  # type: ignore[arg-type]
                                   SOCIALHUB_API_TLS_CERT=str(cert),
                                   SOCIALHUB_API_TLS_KEY=str(key)))
    assert access.tls_cert == str(cert) and access.tls_key == str(key)
