"""Authenticated encryption of secrets at rest (AES-256-GCM).

Every ciphertext describes itself, so a database can hold blobs made with
several keys at once (during and after a rotation)::

    b"SH1" | len(key_id) (1 byte) | key_id (ASCII) | nonce (12 bytes) | ciphertext + tag (16)

The header (magic, key id) is authenticated together with the caller's
associated data, so neither the key id nor the row a blob belongs to can be
changed without decryption failing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from socialhub.errors import SecurityError
from socialhub.security.keys import MasterKey

MAGIC = b"SH1"
NONCE_SIZE = 12  # 96 bits: the size GCM is designed for; random per message
TAG_SIZE = 16

__all__ = ["MAGIC", "decrypt", "encrypt", "key_id_of"]


def _header(key_id: str) -> bytes:
    raw = key_id.encode("ascii")
    if not 0 < len(raw) < 256:
        raise SecurityError("key id must be 1 to 255 ASCII characters")
    return MAGIC + bytes([len(raw)]) + raw


def _split(blob: bytes) -> tuple[bytes, str, bytes, bytes]:
    """Return (header, key_id, nonce, ciphertext) or raise SecurityError."""
    if len(blob) < len(MAGIC) + 2 or not blob.startswith(MAGIC):
        raise SecurityError("cannot decrypt: not a socialhub ciphertext (corrupted data)")
    n = blob[len(MAGIC)]
    end = len(MAGIC) + 1 + n
    if n == 0 or len(blob) < end + NONCE_SIZE + TAG_SIZE:
        raise SecurityError("cannot decrypt: ciphertext is truncated (corrupted data)")
    try:
        key_id = blob[len(MAGIC) + 1 : end].decode("ascii")
    except UnicodeDecodeError:
        raise SecurityError("cannot decrypt: key id is not ASCII (corrupted data)") from None
    return blob[:end], key_id, blob[end : end + NONCE_SIZE], blob[end + NONCE_SIZE :]


def encrypt(plaintext: bytes, key: MasterKey, aad: bytes = b"") -> bytes:
    """Encrypt ``plaintext`` under ``key`` with a fresh random nonce.

    Args:
        plaintext: the secret.
        key: the master key; its id is written into the blob.
        aad: associated data that must be given again to decrypt (e.g.
            ``b"credential:42:access_token"``), binding the blob to its row.

    Returns:
        A self-describing blob (see the module docstring).
    """
    header = _header(key.key_id)
    nonce = os.urandom(NONCE_SIZE)
    return header + nonce + AESGCM(key.key).encrypt(nonce, plaintext, header + aad)


def key_id_of(blob: bytes) -> str:
    """Return the id of the key ``blob`` was encrypted with.

    Raises:
        SecurityError: ``blob`` is not a socialhub ciphertext.
    """
    return _split(blob)[1]


def decrypt(blob: bytes, keys: Mapping[str, MasterKey] | MasterKey, aad: bytes = b"") -> bytes:
    """Decrypt ``blob`` with whichever of ``keys`` it names.

    Args:
        blob: bytes made by :func:`encrypt`.
        keys: one key, or every available key by id (current and retired).
        aad: the same associated data given to :func:`encrypt`.

    Raises:
        SecurityError: the key it names is not among ``keys``, or the key, the
            associated data or the blob itself is wrong.
    """
    header, key_id, nonce, ciphertext = _split(blob)
    if isinstance(keys, MasterKey):
        key = keys if keys.key_id == key_id else None
    else:
        key = keys.get(key_id)
    if key is None:
        raise SecurityError(
            f"credential was encrypted with key {key_id}, which is not available",
            hint="restore that key or put it in the retired-keys folder; see docs/security.md",
        )
    try:
        return AESGCM(key.key).decrypt(nonce, ciphertext, header + aad)
    except InvalidTag:
        raise SecurityError("cannot decrypt: wrong key or corrupted data") from None
