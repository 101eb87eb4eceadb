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


def test_with_tls_the_daemon_serves_https(tmp_path: Path) -> None:
    """A real HTTPS server from the configured certificate (self-signed here)."""
    import datetime as dt

    import httpx
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from socialhub.daemon.http import HttpServer, create_daemon_app

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    config = _config(tmp_path, SOCIALHUB_API_TLS_CERT=str(cert_path),
                     SOCIALHUB_API_TLS_KEY=str(key_path))
    access = daemon_access(config)  # type: ignore[arg-type]
    app = create_daemon_app(config, lambda: {"status": "ok"}, lambda: {}, access)  # type: ignore[arg-type]
    server = HttpServer(app, "127.0.0.1", 0, tls_cert=access.tls_cert, tls_key=access.tls_key)
    url = server.start()
    try:
        assert url.startswith("https://")
        assert httpx.get(f"{url}/healthz", verify=False).status_code == 200
        with pytest.raises(httpx.HTTPError):
            httpx.get(url.replace("https://", "http://") + "/healthz", timeout=5)
    finally:
        server.stop()
