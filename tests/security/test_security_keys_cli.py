"""``socialhub keys status|rotate`` on both databases, with every kind of key source."""

from __future__ import annotations

import base64
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from socialhub.db.models import Account, Credential
from socialhub.errors import ExitCode
from socialhub.security.crypto import decrypt
from socialhub.security.keys import (
    MasterKey,
    generate_master_key,
    load_keyring,
    load_master_key,
    retired_dir,
)
from socialhub.services.accounts.credentials import (
    Tokens,
    load_tokens,
    rotate_master_key,
    store_tokens,
)
from socialhub.services.hub import Hub
from socialhub.services.settings import load_config
from tests.conftest import TEST_MASTER_KEY, CLIResult
from tests.security.conftest import MemoryKeyring

PLANTED = "planted-token-must-never-show-4242"
CLI = Callable[..., CLIResult]


pytestmark = pytest.mark.usefixtures("fresh_secret_registry")


def _seed(n: int, key: MasterKey | None = None, prefix: str = "user") -> list[int]:
    """Create ``n`` accounts with credentials under ``key`` (default: the current key)."""
    hub = Hub(load_config())
    key = key or load_master_key(hub.config)
    ids = []
    with hub.transaction() as s:
        org = hub.org_id(s)
        for i in range(n):
            account = Account(org_id=org, platform="sandbox", handle=f"{prefix}{i}")
            s.add(account)
            store_tokens(s, account, Tokens(access_token=f"{PLANTED}-{i}",
                                            refresh_token=f"refresh-{PLANTED}-{i}"), key)
            ids.append(account.id)
    hub.dispose()
    return ids


def _blobs() -> dict[int, bytes]:
    hub = Hub(load_config())
    with hub.transaction() as s:
        rows = s.execute(select(Credential.account_id, Credential.access_token_enc)).all()
    hub.dispose()
    return {account_id: blob for account_id, blob in rows if blob is not None}


def _all_tokens(keys: dict[str, MasterKey]) -> list[str | None]:
    hub = Hub(load_config())
    with hub.transaction() as s:
        accounts = s.scalars(select(Account).order_by(Account.id)).all()
        loaded = [load_tokens(s, a, keys) for a in accounts]
    hub.dispose()
    return [t.access_token if t else None for t in loaded]


def _assert_no_secret(result: CLIResult) -> None:
    assert PLANTED not in result.stdout and PLANTED not in result.stderr


def test_status_counts_credentials_per_key(dbcli: CLI) -> None:
    _seed(3)
    other = generate_master_key("test")
    _seed_other = Hub(load_config())
    with _seed_other.transaction() as s:
        account = Account(org_id=_seed_other.org_id(s), platform="sandbox", handle="lost")
        s.add(account)
        store_tokens(s, account, Tokens(access_token=PLANTED), other)
    _seed_other.dispose()
    result = dbcli("keys", "status", "--json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert isinstance(data, dict)
    current = load_master_key(load_config())
    assert data["source"] == "env" and data["key_id"] == current.key_id
    assert {r["key_id"]: (r["count"], r["current"], r["available"])
            for r in data["credentials"]} == {current.key_id: (3, True, True),
                                             other.key_id: (1, False, False)}
    assert TEST_MASTER_KEY not in result.stdout
    text = dbcli("keys", "status")
    assert text.exit_code == 0
    assert f"{other.key_id}       1  MISSING" in text.stdout
    assert "not available" in text.stderr
    _assert_no_secret(text)


def test_rotate_with_a_key_file_replaces_it_and_retires_the_old(
    dbcli: CLI, no_env_key: Path
) -> None:
    ids = _seed(4)
    config = load_config()
    old = load_master_key(config)
    before = _blobs()
    result = dbcli("keys", "rotate", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    _assert_no_secret(result)
    data = result.json()
    assert isinstance(data, dict) and data["count"] == 4 and data["old_key_id"] == old.key_id
    new = load_master_key(config)
    assert new.key_id == data["new_key_id"] != old.key_id and new.source == "file"
    assert stat.S_IMODE(config.paths.key_file.stat().st_mode) == 0o600
    retired = retired_dir(config) / f"{old.key_id}.key"
    assert stat.S_IMODE(retired.stat().st_mode) == 0o600
    assert [p.name for p in retired_dir(config).iterdir()] == [retired.name]
    # Every credential now uses the new key alone.
    assert _all_tokens({new.key_id: new}) == [f"{PLANTED}-{i}" for i in range(4)]
    status = dbcli("keys", "status", "--json").json()
    assert isinstance(status, dict)
    assert [(r["key_id"], r["count"]) for r in status["credentials"]] == [(new.key_id, 4)]
    assert status["retired_key_ids"] == [old.key_id]
    # A backup's blobs still decrypt, but only through the retired key.
    aad = f"credential:{ids[0]}:access_token".encode()
    with pytest.raises(Exception, match="not available"):
        decrypt(before[ids[0]], new, aad)
    assert decrypt(before[ids[0]], load_keyring(config), aad) == f"{PLANTED}-0".encode()


def test_rotate_from_environment_needs_a_new_key_file(dbcli: CLI, tmp_path: Path) -> None:
    _seed(1)
    before = _blobs()
    result = dbcli("keys", "rotate", "--yes")
    assert result.exit_code == ExitCode.VALIDATION
    assert "--new-key-file" in result.stderr and "$SOCIALHUB_MASTER_KEY" in result.stderr
    assert _blobs() == before
    assert not retired_dir(load_config()).exists()


def test_rotate_from_environment_writes_the_new_key_for_the_user(
    dbcli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(2)
    new_file = tmp_path / "new.key"
    result = dbcli("keys", "rotate", "--yes", "--new-key-file", str(new_file))
    assert result.exit_code == 0, result.stderr
    assert "update $SOCIALHUB_MASTER_KEY" in result.stderr
    assert stat.S_IMODE(new_file.stat().st_mode) == 0o600
    new_value = new_file.read_text().strip()
    assert new_value not in result.stdout + result.stderr
    # Before the user updates the environment, the staged new key keeps things readable…
    assert _all_tokens(load_keyring(load_config())) == [f"{PLANTED}-0", f"{PLANTED}-1"]
    # …and afterwards the new key is the current one.
    monkeypatch.setenv("SOCIALHUB_MASTER_KEY", new_value)
    current = load_master_key(load_config())
    assert _all_tokens({current.key_id: current}) == [f"{PLANTED}-0", f"{PLANTED}-1"]
    again = dbcli("keys", "rotate", "--yes", "--new-key-file", str(new_file))
    assert again.exit_code == ExitCode.CONFLICT and "exists already" in again.stderr


def test_rotate_from_systemd_credentials_says_so(
    dbcli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "socialhub-master-key").write_bytes(bytes(range(32)))
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    _seed(1)
    refused = dbcli("keys", "rotate", "--yes")
    assert refused.exit_code == ExitCode.VALIDATION and "socialhub-master-key" in refused.stderr
    result = dbcli("keys", "rotate", "--yes", "--new-key-file", str(tmp_path / "n.key"))
    assert result.exit_code == 0, result.stderr
    assert "systemd credential socialhub-master-key" in result.stderr


def test_failed_rotation_keeps_the_old_key_in_force(dbcli: CLI, no_env_key: Path) -> None:
    _seed(2)
    _seed(1, key=generate_master_key("lost"), prefix="lost")  # a credential nobody can read
    config = load_config()
    old = load_master_key(config)
    before = _blobs()
    result = dbcli("keys", "rotate", "--yes")
    assert result.exit_code == ExitCode.SECURITY and "not available" in result.stderr
    assert load_master_key(config) == old
    assert _blobs() == before
    assert set(load_keyring(config)) == {old.key_id}


def test_rotate_shows_progress_for_many_credentials(dbcli: CLI, no_env_key: Path) -> None:
    _seed(250)
    result = dbcli("keys", "rotate", "--yes")
    assert result.exit_code == 0, result.stderr
    progress = [line for line in result.stderr.splitlines() if line.startswith("re-encrypted")]
    assert progress[-1] == "re-encrypted 250/250 credentials"
    assert 2 <= len(progress) <= 12
    assert "250 credentials re-encrypted" in result.stdout
    _assert_no_secret(result)


def test_rotate_asks_before_changing_anything(dbcli: CLI, no_env_key: Path) -> None:
    _seed(1)
    old = load_master_key(load_config())
    result = dbcli("keys", "rotate", input="n\n")
    assert result.exit_code == 1
    assert load_master_key(load_config()) == old


def test_open_key_file_fails_status_with_the_fix(cli: CLI, no_env_key: Path) -> None:
    path = load_config().paths.key_file
    path.parent.mkdir(parents=True)
    path.write_text(base64.b64encode(bytes(32)).decode())
    path.chmod(0o644)
    result = cli("keys", "status")
    assert result.exit_code == ExitCode.SECURITY
    assert f"chmod 600 {path}" in result.stderr


def test_rotation_in_the_keyring_keeps_the_old_key_there(memory_keyring: MemoryKeyring) -> None:
    _seed(2)
    config = load_config()
    old = load_master_key(config)
    assert old.source == "keyring"
    hub = Hub(config)
    result = rotate_master_key(hub)
    hub.dispose()
    new = load_master_key(config)
    assert (result.count, new.key_id, new.source) == (2, result.new_key_id, "keyring")
    assert set(load_keyring(config)) == {old.key_id, new.key_id}
    assert not retired_dir(config).exists()
    assert memory_keyring.entries[("socialhub", "retired-key-ids")] == old.key_id
    assert _all_tokens({new.key_id: new}) == [f"{PLANTED}-0", f"{PLANTED}-1"]
