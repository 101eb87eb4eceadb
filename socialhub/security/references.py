"""Secrets named by reference in manifests: ``env:VAR`` or ``keyring:[SERVICE/]NAME``.

An Account manifest says where a secret lives, never the secret itself
(``core/manifests.py`` refuses anything else). This resolves such a
reference when the secret is needed; the value is never logged or echoed,
and errors name the reference only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from socialhub.errors import ConfigError

if TYPE_CHECKING:
    from socialhub.config import LoadedConfig


def resolve_reference(config: LoadedConfig, ref: str, *, what: str,
                      env: Mapping[str, str] | None = None) -> str:
    """The secret ``ref`` points at.

    ``env:VAR`` reads the environment variable; ``keyring:SERVICE/NAME`` the
    OS keyring entry (``keyring:NAME`` means service ``socialhub``).

    Raises:
        ConfigError: the variable or keyring entry is missing or empty, the
            keyring is off or unavailable, or ``ref`` is not a reference.
    """
    scheme, _, name = ref.partition(":")
    if scheme == "env" and name:
        value = (os.environ if env is None else env).get(name)
        if not value:
            raise ConfigError(f"{what} refers to env:{name}, which is not set")
        return value
    if scheme == "keyring" and name:
        from socialhub.security.keys import KEYRING_SERVICE, keyring_backend

        service, _, user = name.rpartition("/")
        backend = keyring_backend(config)
        if backend is None:
            raise ConfigError(f"{what} refers to keyring:{name}, but the OS keyring is off or "
                              "unavailable", hint="security.use_keyring, or use env:VAR")
        try:
            value = backend.get_password(service or KEYRING_SERVICE, user)
        except Exception as exc:  # a locked keyring: say so, not why in detail
            raise ConfigError(f"{what}: cannot read keyring:{name} "
                              f"({type(exc).__name__})") from None
        if not value:
            raise ConfigError(f"{what} refers to keyring:{name}, which has no entry")
        return str(value)
    raise ConfigError(f"{what} is not a reference (keyring:NAME or env:VAR)")
