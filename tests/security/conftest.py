"""Fixtures of the security tests: a keyring in memory and the registry of secrets.

``home`` (tests/conftest.py) sets ``SOCIALHUB_MASTER_KEY`` to the test key;
``no_env_key`` (tests/conftest.py too) takes it away, so the key comes from a
file, the keyring or systemd's credentials, as on a real machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from socialhub.security.redact import clear_registered_secrets


class MemoryKeyring(KeyringBackend):
    """A working keyring backend that keeps entries in memory (no D-Bus in CI)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@pytest.fixture
def memory_keyring(no_env_key: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    """The keyring in use (``security.use_keyring`` on) is an empty ``MemoryKeyring``."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    monkeypatch.setenv("SOCIALHUB_SECURITY_USE_KEYRING", "true")
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def fresh_secret_registry() -> Iterator[None]:
    """No registered secret (what redaction hides) leaks into or out of the test.

    A module takes it with ``pytestmark = pytest.mark.usefixtures("fresh_secret_registry")``.
    """
    clear_registered_secrets()
    yield
    clear_registered_secrets()
