"""Alert and digest mail over SMTP (``alerts.email``), with the standard library.

``smtplib`` does all that is needed (STARTTLS, login, a multipart text + HTML message);
a mail package would add nothing. The password may be a literal or an ``env:VAR`` /
``keyring:NAME`` reference. Sending is a courtesy like a webhook: failures are logged
and reported as False, never raised into the daemon's jobs.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from types import SimpleNamespace
from typing import Any

from socialhub.config import AlertEmailConfig, Settings
from socialhub.errors import ConfigError

log = logging.getLogger(__name__)


def mail_enabled(settings: Settings | None) -> bool:
    """Whether ``alerts.email`` names a server and at least one recipient."""
    return bool(settings is not None and settings.alerts.email.host
                and settings.alerts.email.to)


def _password(settings: Settings, email: AlertEmailConfig) -> str | None:
    raw = email.password.get_secret_value().strip() if email.password is not None else ""
    if not raw:
        return None
    if raw.startswith(("env:", "keyring:")):
        from socialhub.security.references import resolve_reference

        # resolve_reference reads only .settings (the keyring switch) of the config.
        loaded: Any = SimpleNamespace(settings=settings)
        raw = resolve_reference(loaded, raw, what="alerts.email.password")
    return raw


def build_message(email: AlertEmailConfig, subject: str, text: str,
                  html: str | None = None) -> EmailMessage:
    """A message from ``email.sender`` to ``email.to``: plain text, and HTML as the
    alternative part when given."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = email.sender
    message["To"] = ", ".join(email.to)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def send_mail(settings: Settings, subject: str, text: str, html: str | None = None) -> bool:
    """Send one message to ``alerts.email.to``; True when the server accepted it.

    Nothing is sent (False) when mail is not configured; a refused or unreachable
    server, or a password reference that does not resolve, is logged and gives False.
    """
    if not mail_enabled(settings):
        return False
    email = settings.alerts.email
    assert email.host is not None
    try:
        password = _password(settings, email)
        with smtplib.SMTP(email.host, email.port, timeout=email.timeout_s) as smtp:
            if email.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if email.user and password is not None:
                smtp.login(email.user, password)
            smtp.send_message(build_message(email, subject, text, html))
    except (OSError, smtplib.SMTPException, ConfigError) as exc:
        log.warning("alert mail via %s:%s failed: %s", email.host, email.port,
                    getattr(exc, "message", None) or type(exc).__name__)
        return False
    return True
