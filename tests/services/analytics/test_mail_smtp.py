"""Alert mail against a real local SMTP server (aiosmtpd) that requires STARTTLS and
AUTH: the connection is upgraded before the login, the login is checked, and the
password shows up in no log line, whatever goes wrong."""

from __future__ import annotations

import email
import logging
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from socialhub.config import Settings
from socialhub.services.mail import send_mail
from tests.tls_kit import self_signed

USER, PASSWORD = "socialhub@example.com", "s3cret-Pa55-word"


@dataclass
class _Server:
    port: int
    messages: list[Message] = field(default_factory=list)
    logins: list[tuple[str, bool]] = field(default_factory=list)  # (user, over TLS)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                     auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        user = auth_data.login.decode()
        self.logins.append((user, session.ssl is not None))
        return AuthResult(success=(user, auth_data.password.decode()) == (USER, PASSWORD))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[_Server]:
    """An SMTP server on 127.0.0.1 that offers AUTH only after STARTTLS, with a
    self-signed certificate the client trusts through ``SSL_CERT_FILE``."""
    cert, key = self_signed(tmp_path, "smtp")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = _Server(_free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port,
                            tls_context=context, require_starttls=True,
                            auth_require_tls=True, authenticator=server.authenticate)
    controller.start()
    yield server
    controller.stop()


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> Iterator[list[str]]:
    """Every log line of the test, as it is logged: the mail module's (caught at its own
    logger too, which the daemon's logging set-up may keep from propagating) and all
    others, the SMTP server's included."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    mail_log, root = logging.getLogger("socialhub.services.mail"), logging.getLogger()
    handler, level = Keep(logging.DEBUG), mail_log.level
    mail_log.addHandler(handler)
    root.addHandler(handler)  # aiosmtpd's and everyone else's (a line may come twice)
    mail_log.setLevel(logging.DEBUG)
    with caplog.at_level(logging.DEBUG):
        yield lines
    root.removeHandler(handler)
    mail_log.removeHandler(handler)
    mail_log.setLevel(level)


def _settings(port: int, password: str, *, starttls: bool = True) -> Settings:
    return Settings.model_validate({"alerts": {"email": {
        "host": "127.0.0.1", "port": port, "starttls": starttls, "user": USER,
        "password": password, "sender": USER, "to": ["team@example.com"],
        "timeout_s": 5}}})


def test_mail_upgrades_to_tls_then_logs_in_and_is_delivered(
        smtp_tls: _Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    assert send_mail(_settings(smtp_tls.port, "env:SMTP_PASSWORD"), "Milestone", "100 likes",
                     "<p>100 likes</p>")
    assert smtp_tls.logins == [(USER, True)]  # the password went over TLS only
    [message] = smtp_tls.messages
    assert (message["Subject"], message["To"]) == ("Milestone", "team@example.com")
    assert [p.get_content_type() for p in message.walk()][1:] == ["text/plain", "text/html"]


def test_a_refused_login_is_logged_without_the_password(
        smtp_tls: _Server, logged: list[str]) -> None:
    wrong = "not-the-Pa55word-42"
    assert not send_mail(_settings(smtp_tls.port, wrong), "Milestone", "100 likes")
    assert smtp_tls.messages == [] and smtp_tls.logins == [(USER, True)]
    assert any(line.startswith("alert mail via 127.0.0.1") for line in logged)
    assert not any(wrong in line or PASSWORD in line for line in logged)


def test_without_starttls_the_server_refuses_before_any_password_is_sent(
        smtp_tls: _Server, logged: list[str]) -> None:
    assert not send_mail(_settings(smtp_tls.port, PASSWORD, starttls=False), "x", "y")
    assert smtp_tls.logins == [] and smtp_tls.messages == []
    assert logged and not any(PASSWORD in line for line in logged)


def test_an_untrusted_certificate_stops_the_mail_before_the_login(
        smtp_tls: _Server, monkeypatch: pytest.MonkeyPatch, logged: list[str],
        tmp_path: Path) -> None:
    (tmp_path / "other").mkdir()
    other, _ = self_signed(tmp_path / "other", "smtp")
    monkeypatch.setenv("SSL_CERT_FILE", str(other))  # trusts another certificate only
    assert not send_mail(_settings(smtp_tls.port, PASSWORD), "x", "y")
    assert smtp_tls.logins == [] and not any(PASSWORD in line for line in logged)
