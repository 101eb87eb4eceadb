"""Store, load and re-key an account's tokens, encrypted at rest.

Each token is its own AES-GCM blob bound to its row and field by associated
data (``credential:<account id>:<field>``), so blobs cannot be swapped between
accounts or fields. Every token this module stores or decrypts is registered
with the log redactor. Reconnecting never drops a still-valid refresh token.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from socialhub.db.models import Account, Credential
from socialhub.db.queries import credentials as queries
from socialhub.db.types import utcnow
from socialhub.errors import ConflictError, ValidationError
from socialhub.platforms.base import Tokens
from socialhub.security import keys as keystore
from socialhub.security.crypto import decrypt, encrypt
from socialhub.security.keys import MasterKey
from socialhub.security.redact import register_secret

if TYPE_CHECKING:
    from socialhub.services.hub import Hub

log = logging.getLogger(__name__)

_FIELDS = ("access_token", "refresh_token", "extra")
# Keys of ``extra`` whose values are secret too (e.g. a Bluesky app password).
_SECRET_EXTRA_WORDS = ("token", "secret", "password", "jwt", "key")

Progress = Callable[[int, int], None]


def _aad(account_id: int, name: str) -> bytes:
    return f"credential:{account_id}:{name}".encode()


def _register(tokens: Tokens) -> None:
    register_secret(tokens.access_token)
    register_secret(tokens.refresh_token)
    for k, v in tokens.extra.items():
        if isinstance(v, str) and any(w in k.lower() for w in _SECRET_EXTRA_WORDS):
            register_secret(v)


def _seal(value: str | None, key: MasterKey, account_id: int, name: str) -> bytes | None:
    return None if value is None else encrypt(value.encode(), key, _aad(account_id, name))


def _open(blob: bytes | None, keys: Mapping[str, MasterKey] | MasterKey, account_id: int,
          name: str) -> str | None:
    return None if blob is None else decrypt(blob, keys, _aad(account_id, name)).decode()


def _refresh_still_valid(credential: Credential) -> bool:
    if credential.refresh_token_enc is None or credential.status == "revoked":
        return False
    until = credential.refresh_expires_at
    return until is None or until > utcnow()


def _account_id(session: Session, account: Account) -> int:
    if account.id is None:
        session.flush()
    return account.id


def _credential_for(session: Session, account_id: int) -> Credential | None:
    return queries.credential_of(session, account_id)


def store_tokens(session: Session, account: Account, tokens: Tokens, key: MasterKey, *,
                 keys: Mapping[str, MasterKey] | None = None) -> Credential:
    """Create or update ``account``'s credential with ``tokens`` encrypted under ``key``.

    On update, a ``None`` refresh token keeps the stored one while it is still
    valid (not expired, not revoked), with its expiry: reconnecting never drops
    a still-valid refresh token. The status becomes ``valid``.

    Args:
        keys: other keys able to read the stored refresh token when it was
            made under an older key (it is re-encrypted under ``key``).

    Raises:
        SecurityError: a kept refresh token cannot be decrypted.
    """
    account_id = _account_id(session, account)
    _register(tokens)
    credential = _credential_for(session, account_id)
    refresh_enc = _seal(tokens.refresh_token, key, account_id, "refresh_token")
    refresh_until = tokens.refresh_expires_at
    if credential is not None and tokens.refresh_token is None and _refresh_still_valid(credential):
        readers = {**(keys or {}), key.key_id: key}
        kept = _open(credential.refresh_token_enc, readers, account_id, "refresh_token")
        register_secret(kept)
        refresh_enc = _seal(kept, key, account_id, "refresh_token")
        refresh_until = refresh_until or credential.refresh_expires_at
    values: dict[str, Any] = {
        "key_id": key.key_id,
        "access_token_enc": _seal(tokens.access_token, key, account_id, "access_token"),
        "refresh_token_enc": refresh_enc,
        "extra_enc": _seal(json.dumps(tokens.extra), key, account_id, "extra")
        if tokens.extra else None,
        "expires_at": tokens.expires_at,
        "refresh_expires_at": refresh_until if refresh_enc is not None else None,
        "scopes": list(tokens.scopes),
        "status": "valid",
    }
    if credential is None:
        credential = Credential(account=account, **values)
        session.add(credential)
    else:
        for name, value in values.items():
            setattr(credential, name, value)
        # Written even when it reads "valid" already: a flag may have committed "error"
        # since this session read it (PostgreSQL), and the reconnect must win.
        flag_modified(credential, "status")
    session.flush()
    return credential


def load_tokens(session: Session, account: Account,
                keys: Mapping[str, MasterKey] | MasterKey) -> Tokens | None:
    """Return ``account``'s tokens in clear, or None when it has no credential.

    Raises:
        SecurityError: the key a token was made with is missing, or the data
            was tampered with.
    """
    account_id = _account_id(session, account)
    credential = _credential_for(session, account_id)
    if credential is None:
        return None
    extra = _open(credential.extra_enc, keys, account_id, "extra")
    tokens = Tokens(
        access_token=_open(credential.access_token_enc, keys, account_id, "access_token"),
        refresh_token=_open(credential.refresh_token_enc, keys, account_id, "refresh_token"),
        expires_at=credential.expires_at,
        refresh_expires_at=credential.refresh_expires_at,
        scopes=[str(s) for s in credential.scopes or []],
        extra=json.loads(extra) if extra else {},
    )
    _register(tokens)
    return tokens


def rotate_keys(session: Session, keys: Mapping[str, MasterKey], new_key: MasterKey, *,
                progress: Progress | None = None, batch_size: int = 500) -> int:
    """Re-encrypt every credential under ``new_key``; return how many were re-encrypted.

    Rows are locked (``FOR UPDATE`` on PostgreSQL) so a concurrent token
    refresh is not overwritten. Runs in the caller's transaction: nothing is
    changed unless it commits.

    Raises:
        SecurityError: some credential cannot be decrypted with ``keys``.
    """
    readers = {**keys, new_key.key_id: new_key}
    ids = queries.credential_ids(session)
    done = 0
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        rows = queries.lock_credentials(session, chunk)
        for credential in rows:
            for name in _FIELDS:
                column = f"{name}_enc"
                value = _open(getattr(credential, column), readers, credential.account_id, name)
                if name != "extra":
                    register_secret(value)
                setattr(credential, column, _seal(value, new_key, credential.account_id, name))
            credential.key_id = new_key.key_id
            done += 1
            if progress is not None:
                progress(done, len(ids))
        session.flush()
        for credential in rows:
            session.expunge(credential)  # keep memory flat for large tables
    return done


def credential_counts_by_key(session: Session) -> dict[str, int]:
    """How many credentials each key id encrypts."""
    return queries.counts_by_key(session)


def credential_summary(credential: Credential) -> dict[str, Any]:
    """What is known about a credential without revealing it: expiry, scopes, status, key id."""
    return {
        "account_id": credential.account_id,
        "key_id": credential.key_id,
        "status": credential.status,
        "scopes": list(credential.scopes or []),
        "expires_at": credential.expires_at,
        "refresh_expires_at": credential.refresh_expires_at,
        "has_access_token": credential.access_token_enc is not None,
        "has_refresh_token": credential.refresh_token_enc is not None,
    }


@dataclass
class RotationResult:
    """What ``rotate_master_key`` did."""

    old_key_id: str
    new_key_id: str
    source: str
    count: int
    new_key_file: Path | None = None


def rotate_master_key(hub: Hub, *, new_key_file: Path | None = None,
                      progress: Progress | None = None) -> RotationResult:
    """Replace the master key: re-encrypt every credential in one transaction, then store it.

    Crash-safe order: the old key is retired (kept readable) and the new key is
    staged among the retired keys first; then the credentials are re-encrypted
    and committed; then the new key replaces the old in the same kind of
    source (key file or keyring). At every point each credential is readable.
    A key from ``$SOCIALHUB_MASTER_KEY`` or systemd cannot be replaced by
    socialhub: the new key is written to ``new_key_file`` for the user to
    install, and stays readable as a retired key meanwhile.

    Args:
        hub: the hub whose config names the key and whose database holds the credentials.

    Raises:
        ValidationError: the key comes from the environment or systemd and no
            ``new_key_file`` was given.
        ConflictError: ``new_key_file`` exists already.
        SecurityError: a credential cannot be decrypted, or a key cannot be stored.
    """
    config = hub.config
    current = keystore.load_master_key(config)
    managed = current.source in (keystore.SOURCE_FILE, keystore.SOURCE_KEYRING)
    if not managed and new_key_file is None:
        raise ValidationError(f"the master key comes from {current.location or current.source}, "
                              "which socialhub cannot change",
                              hint="pass --new-key-file PATH and install that key afterwards")
    if new_key_file is not None and new_key_file.exists():
        raise ConflictError(f"{new_key_file} exists already; name a new file")
    keys = keystore.load_keyring(config)
    in_keyring = current.source == keystore.SOURCE_KEYRING
    new_key = keystore.generate_master_key(current.source)
    keystore.retire_key(config, current, in_keyring=in_keyring)
    if new_key_file is not None:
        try:
            keystore.write_secret_file(new_key_file, (keystore.encode_key(new_key) + "\n").encode(),
                                       overwrite=False)
        except FileExistsError:
            raise ConflictError(f"{new_key_file} exists already; name a new file") from None
    # Staged among the retired keys so a crash after the commit below loses nothing.
    keystore.retire_key(config, new_key, in_keyring=in_keyring)
    try:
        with hub.transaction() as session:
            count = rotate_keys(session, keys, new_key, progress=progress)
    except BaseException:
        keystore.forget_retired_key(config, new_key.key_id)
        if new_key_file is not None:
            new_key_file.unlink(missing_ok=True)
        raise
    if managed:
        keystore.store_master_key(config, new_key, current)
        keystore.forget_retired_key(config, new_key.key_id)
    log.info("rotated master key %s -> %s (%d credentials)", current.key_id, new_key.key_id, count)
    return RotationResult(current.key_id, new_key.key_id, current.source, count, new_key_file)

