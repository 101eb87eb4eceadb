"""AES-256-GCM blobs: round trip, key ids, and refusal of anything altered."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialhub.errors import ExitCode, SecurityError
from socialhub.security.crypto import MAGIC, decrypt, encrypt, key_id_of
from socialhub.security.keys import MasterKey, generate_master_key

KEY = MasterKey.from_bytes(bytes(range(32)), "test")
OTHER = MasterKey.from_bytes(bytes(range(1, 33)), "test")


def test_encrypted_secret_decrypts_to_the_same_bytes() -> None:
    blob = encrypt(b"access-token-value", KEY, b"credential:1:access_token")
    assert decrypt(blob, KEY, b"credential:1:access_token") == b"access-token-value"
    assert decrypt(blob, {KEY.key_id: KEY, OTHER.key_id: OTHER},
                   b"credential:1:access_token") == b"access-token-value"


def test_blob_starts_with_magic_and_names_its_key() -> None:
    blob = encrypt(b"a-long-plaintext-token", KEY)
    assert blob.startswith(MAGIC)
    assert key_id_of(blob) == KEY.key_id
    assert b"a-long-plaintext-token" not in blob


def test_same_plaintext_encrypts_differently_each_time() -> None:
    assert encrypt(b"same", KEY) != encrypt(b"same", KEY)


def test_key_id_is_derived_from_the_key_and_never_shows_it() -> None:
    assert MasterKey.from_bytes(KEY.key, "elsewhere").key_id == KEY.key_id
    assert KEY.key_id != OTHER.key_id
    assert len(KEY.key_id) == 12
    assert KEY.key.hex()[:12] != KEY.key_id
    assert repr(KEY.key) not in repr(KEY) and KEY.key.hex() not in repr(KEY)


def test_missing_key_is_named_by_id() -> None:
    blob = encrypt(b"secret", KEY)
    with pytest.raises(SecurityError, match=f"encrypted with key {KEY.key_id}, which is not "
                       "available") as exc:
        decrypt(blob, {OTHER.key_id: OTHER})
    assert exc.value.exit_code == ExitCode.SECURITY
    with pytest.raises(SecurityError, match="not available"):
        decrypt(blob, OTHER)


def test_wrong_key_under_the_right_id_is_refused() -> None:
    impostor = MasterKey(KEY.key_id, OTHER.key, "test")
    with pytest.raises(SecurityError, match="wrong key or corrupted data"):
        decrypt(encrypt(b"secret", KEY), impostor)


def test_associated_data_mismatch_is_refused() -> None:
    blob = encrypt(b"secret", KEY, b"credential:1:access_token")
    for aad in (b"", b"credential:2:access_token", b"credential:1:refresh_token"):
        with pytest.raises(SecurityError, match="wrong key or corrupted data"):
            decrypt(blob, KEY, aad)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_any_flipped_bit_is_detected(data: st.DataObject) -> None:
    blob = encrypt(b"refresh-token", KEY, b"aad")
    index = data.draw(st.integers(0, len(blob) - 1))
    bit = data.draw(st.integers(0, 7))
    tampered = bytearray(blob)
    tampered[index] ^= 1 << bit
    with pytest.raises(SecurityError):
        decrypt(bytes(tampered), {KEY.key_id: KEY}, b"aad")


@pytest.mark.parametrize("blob", [b"", b"SH1", b"SH1\x0c", b"XX1" + b"\0" * 40,
                                  encrypt(b"secret", KEY)[:-1][:30]],
                         ids=["empty", "magic-only", "no-key-id", "wrong-magic", "truncated"])
def test_malformed_blob_is_refused(blob: bytes) -> None:
    with pytest.raises(SecurityError, match="corrupted"):
        decrypt(blob, KEY)


def test_error_messages_never_contain_key_material() -> None:
    key = generate_master_key("test")
    blob = encrypt(b"plaintext-secret", key)
    for keys in (OTHER, MasterKey(key.key_id, OTHER.key, "test")):
        with pytest.raises(SecurityError) as exc:
            decrypt(blob, keys)
        text = str(exc.value)
        assert "plaintext-secret" not in text
        assert key.key.hex() not in text and OTHER.key.hex() not in text
