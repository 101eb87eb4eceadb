"""Encrypted credentials on SQLite and PostgreSQL: storing, reconnecting, re-keying."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from socialhub.db.models import Account, Credential
from socialhub.db.types import utcnow
from socialhub.errors import SecurityError
from socialhub.security.crypto import decrypt, key_id_of
from socialhub.security.keys import MasterKey, generate_master_key, load_master_key
from socialhub.security.redact import clear_registered_secrets, redact
from socialhub.services.accounts.credentials import (
    Tokens,
    credential_counts_by_key,
    credential_summary,
    load_tokens,
    rotate_keys,
    store_tokens,
)
from socialhub.services.hub import Hub

ACCESS = "access-token-planted-0001"
REFRESH = "refresh-token-planted-0002"


pytestmark = pytest.mark.usefixtures("fresh_secret_registry")


@pytest.fixture
def key(hub: Hub) -> MasterKey:
    return load_master_key(hub.config)


def _account(hub: Hub, handle: str) -> int:
    with hub.transaction() as s:
        account = Account(org_id=hub.org_id(s), platform="sandbox", handle=handle)
        s.add(account)
        s.flush()
        return account.id


def _tokens(**overrides: object) -> Tokens:
    values: dict[str, object] = {
        "access_token": ACCESS, "refresh_token": REFRESH,
        "expires_at": utcnow() + timedelta(hours=1),
        "refresh_expires_at": utcnow() + timedelta(days=30),
        "scopes": ["read", "write"],
        "extra": {"did": "did:plc:abc", "app_password": "pw-1234-5678"},
    }
    values.update(overrides)
    return Tokens(**values)  # type: ignore[arg-type]


def test_stored_tokens_load_back_identically(hub: Hub, key: MasterKey) -> None:
    account_id = _account(hub, "a")
    original = _tokens()
    with hub.transaction() as s:
        store_tokens(s, s.get_one(Account, account_id), original, key)
    with hub.transaction() as s:
        loaded = load_tokens(s, s.get_one(Account, account_id), key)
    assert loaded == original


def test_account_without_credential_loads_none(hub: Hub, key: MasterKey) -> None:
    account_id = _account(hub, "a")
    with hub.transaction() as s:
        assert load_tokens(s, s.get_one(Account, account_id), key) is None


def test_tokens_never_reach_the_database_in_clear(hub: Hub, key: MasterKey) -> None:
    account_id = _account(hub, "a")
    with hub.transaction() as s:
        store_tokens(s, s.get_one(Account, account_id), _tokens(), key)
    with hub.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM credentials")).one()
    dumped = repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row))
    for secret in (ACCESS, REFRESH, "pw-1234-5678"):
        assert secret not in dumped and secret.encode().hex() not in dumped
    assert row.key_id == key.key_id


def test_tokens_and_summary_never_show_secrets(hub: Hub, key: MasterKey) -> None:
    account_id = _account(hub, "a")
    with hub.transaction() as s:
        credential = store_tokens(s, s.get_one(Account, account_id), _tokens(), key)
        summary = credential_summary(credential)
    assert ACCESS not in repr(_tokens()) and REFRESH not in repr(_tokens())
    assert summary["key_id"] == key.key_id and summary["scopes"] == ["read", "write"]
    assert summary["has_refresh_token"] is True and summary["status"] == "valid"
    assert ACCESS not in repr(summary) and REFRESH not in repr(summary)


def test_stored_and_loaded_tokens_are_redacted_from_logs(hub: Hub, key: MasterKey) -> None:
    account_id = _account(hub, "a")
    with hub.transaction() as s:
        store_tokens(s, s.get_one(Account, account_id), _tokens(), key)
    clear_registered_secrets()
    with hub.transaction() as s:
        load_tokens(s, s.get_one(Account, account_id), key)
    line = f"token {ACCESS} / {REFRESH} / pw-1234-5678 for did:plc:abc"
    assert redact(line) == "token [REDACTED] / [REDACTED] / [REDACTED] for did:plc:abc"


def test_reconnecting_without_a_refresh_token_keeps_the_valid_one(hub: Hub,
                                                                   key: MasterKey) -> None:
    account_id = _account(hub, "a")
    first = _tokens()
    with hub.transaction() as s:
        store_tokens(s, s.get_one(Account, account_id), first, key)
    with hub.transaction() as s:
        store_tokens(s, s.get_one(Account, account_id),
                     _tokens(access_token="new-access-token-3", refresh_token=None,
                             refresh_expires_at=None, scopes=["read"]), key)
    with hub.transaction() as s:
        loaded = load_tokens(s, s.get_one(Account, account_id), key)
        assert s.scalar(select(Credential).where(Credential.account_id == account_id))
    assert loaded is not None
    assert loaded.access_token == "new-access-token-3"
    assert loaded.refresh_token == REFRESH
    assert loaded.refresh_expires_at == first.refresh_expires_at
    assert loaded.scopes == ["read"]


def test_reconnecting_drops_an_expired_refresh_token(hub: Hub, key: MasterKey) -> None:
    account_id = _account(hub, "a")
    with hub.transaction() as s:
        store_tokens(s, s.get_one(Account, account_id),
                     _tokens(refresh_expires_at=utcnow() - timedelta(minutes=1)), key)
    with hub.transaction() as s:
        store_tokens(s, s.get_one(Account, account_id), _tokens(refresh_token=None), key)
    with hub.transaction() as s:
        loaded = load_tokens(s, s.get_one(Account, account_id), key)
    assert loaded is not None and loaded.refresh_token is None
    assert loaded.refresh_expires_at is None


def test_reconnecting_with_a_new_refresh_token_replaces_it(hub: Hub, key: MasterKey) -> None:
    account_id = _account(hub, "a")
    with hub.transaction() as s:
        store_tokens(s, s.get_one(Account, account_id), _tokens(), key)
        store_tokens(s, s.get_one(Account, account_id), _tokens(refresh_token="rt-new-0003"), key)
    with hub.transaction() as s:
        loaded = load_tokens(s, s.get_one(Account, account_id), key)
        assert s.scalar(select(Credential.id).where(Credential.account_id == account_id))
    assert loaded is not None and loaded.refresh_token == "rt-new-0003"


def test_blob_moved_to_another_account_does_not_decrypt(hub: Hub, key: MasterKey) -> None:
    a, b = _account(hub, "a"), _account(hub, "b")
    with hub.transaction() as s:
        store_tokens(s, s.get_one(Account, a), _tokens(), key)
        store_tokens(s, s.get_one(Account, b), _tokens(access_token="b-access-token"), key)
    with hub.transaction() as s:
        stolen = s.scalar(select(Credential.access_token_enc).where(Credential.account_id == a))
        s.execute(update(Credential).where(Credential.account_id == b)
                  .values(access_token_enc=stolen))
    with hub.transaction() as s, pytest.raises(SecurityError, match="wrong key or corrupted"):
        load_tokens(s, s.get_one(Account, b), key)


def test_rotation_reencrypts_everything_and_old_blobs_need_the_old_key(hub: Hub,
                                                                      key: MasterKey) -> None:
    ids = [_account(hub, f"acct{i}") for i in range(5)]
    with hub.transaction() as s:
        for i, account_id in enumerate(ids):
            store_tokens(s, s.get_one(Account, account_id),
                         _tokens(access_token=f"access-{i}-planted"), key)
    with hub.transaction() as s:
        old_blobs = list(s.scalars(select(Credential.access_token_enc)))
    new_key = generate_master_key("test")
    seen: list[tuple[int, int]] = []
    with hub.transaction() as s:
        count = rotate_keys(s, {key.key_id: key}, new_key, batch_size=2,
                            progress=lambda done, total: seen.append((done, total)))
    assert count == 5 and seen == [(i, 5) for i in range(1, 6)]
    with hub.transaction() as s:
        assert credential_counts_by_key(s) == {new_key.key_id: 5}
        for blob in s.scalars(select(Credential.access_token_enc)):
            assert blob is not None and key_id_of(blob) == new_key.key_id
        for i, account_id in enumerate(ids):
            loaded = load_tokens(s, s.get_one(Account, account_id), new_key)
            assert loaded is not None and loaded.access_token == f"access-{i}-planted"
            with pytest.raises(SecurityError, match=f"key {new_key.key_id}, which is not"):
                load_tokens(s, s.get_one(Account, account_id), key)
    aad = f"credential:{ids[0]}:access_token".encode()
    assert old_blobs[0] is not None
    with pytest.raises(SecurityError, match=f"key {key.key_id}, which is not available"):
        decrypt(old_blobs[0], new_key, aad)
    assert decrypt(old_blobs[0], {key.key_id: key, new_key.key_id: new_key}, aad)


def test_failed_rotation_changes_nothing(hub: Hub, key: MasterKey) -> None:
    a, b = _account(hub, "a"), _account(hub, "b")
    lost = generate_master_key("test")
    with hub.transaction() as s:
        store_tokens(s, s.get_one(Account, a), _tokens(), key)
        store_tokens(s, s.get_one(Account, b), _tokens(), lost)
    new_key = generate_master_key("test")
    with pytest.raises(SecurityError, match=f"key {lost.key_id}, which is not available"), \
            hub.transaction() as s:
        rotate_keys(s, {key.key_id: key}, new_key)
    with hub.transaction() as s:
        assert credential_counts_by_key(s) == {key.key_id: 1, lost.key_id: 1}
