"""Master-key sources: order, permissions, creation, the keyring, and retired keys."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from socialhub.errors import SecurityError
from socialhub.security import keys as keystore
from socialhub.security.keys import (
    MasterKey,
    describe_key_source,
    encode_key,
    load_keyring,
    load_master_key,
)
from socialhub.services.settings import load_config
from tests.conftest import TEST_MASTER_KEY
from tests.security.conftest import MemoryKeyring


def _key(n: int) -> bytes:
    return bytes([n]) * 32


def _write_key(path: Path, key: bytes, mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(base64.b64encode(key).decode() + "\n")
    path.chmod(mode)


def test_first_use_creates_a_private_key_file(no_env_key: Path) -> None:
    config = load_config()
    assert not config.paths.data_dir.exists()
    key = load_master_key(config)
    path = config.paths.key_file
    assert key.source == "file" and key.location == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_master_key(config) == key  # the second use reads the same key


def test_no_key_and_no_create_is_an_error(no_env_key: Path) -> None:
    with pytest.raises(SecurityError, match="no master key found"):
        load_master_key(load_config(), create=False)
    assert not load_config().paths.key_file.exists()


def test_configured_key_file_is_used(no_env_key: Path, monkeypatch: pytest.MonkeyPatch,
                                     tmp_path: Path) -> None:
    path = tmp_path / "keys" / "socialhub.key"
    monkeypatch.setenv("SOCIALHUB_SECURITY_KEY_FILE", str(path))
    key = load_master_key(load_config())
    assert path.is_file() and key.location == str(path)
    assert not load_config().paths.key_file.exists()


def test_credentials_directory_beats_environment_beats_file(
    no_env_key: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = load_config()
    _write_key(config.paths.key_file, _key(1))
    assert load_master_key(config).key == _key(1)

    monkeypatch.setenv("SOCIALHUB_MASTER_KEY", base64.b64encode(_key(2)).decode())
    env_key = load_master_key(config)
    assert (env_key.key, env_key.source) == (_key(2), "env")

    creds = tmp_path / "creds"
    # systemd hands over raw bytes or text; hex is accepted as well as base64.
    _write_key(creds / "socialhub-master-key", _key(3), mode=0o400)
    (creds / "socialhub-master-key").chmod(0o600)
    (creds / "socialhub-master-key").write_text(_key(3).hex())
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    systemd_key = load_master_key(config)
    assert (systemd_key.key, systemd_key.source) == (_key(3), "systemd-credential")


def test_credentials_directory_without_our_credential_falls_through(
    home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    assert load_master_key(load_config()).source == "env"


def test_group_readable_key_file_is_refused(no_env_key: Path) -> None:
    config = load_config()
    _write_key(config.paths.key_file, _key(1), mode=0o644)
    with pytest.raises(SecurityError, match="chmod 600") as exc:
        load_master_key(config)
    assert "0644" in str(exc.value)
    assert "AQEB" not in str(exc.value)  # the key's base64 never shows


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"short").decode(), "  "])
def test_malformed_environment_key_is_refused_without_echoing_it(
    home: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("SOCIALHUB_MASTER_KEY", value)
    if not value.strip():
        # An empty variable means "not set": the key file is created instead.
        assert load_master_key(load_config()).source == "file"
        return
    with pytest.raises(SecurityError, match=r"\$SOCIALHUB_MASTER_KEY: not a master key") as exc:
        load_master_key(load_config())
    assert value not in str(exc.value)


def test_test_key_from_environment_is_used(home: Path) -> None:
    key = load_master_key(load_config())
    assert key.key == base64.b64decode(TEST_MASTER_KEY)
    assert not load_config().paths.key_file.exists()


def test_working_keyring_stores_a_new_key_and_beats_the_file(
    memory_keyring: MemoryKeyring,
) -> None:
    config = load_config()
    key = load_master_key(config)
    assert key.source == "keyring"
    assert memory_keyring.entries[("socialhub", "master-key")] == encode_key(key)
    assert not config.paths.key_file.exists()
    _write_key(config.paths.key_file, _key(9))
    assert load_master_key(config) == key


def test_keyring_switched_off_in_config_is_not_touched(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCIALHUB_SECURITY_USE_KEYRING", "false")
    assert load_master_key(load_config()).source == "file"
    assert memory_keyring.entries == {}


def test_fail_backend_means_the_key_file(no_env_key: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    monkeypatch.setenv("SOCIALHUB_SECURITY_USE_KEYRING", "true")
    try:
        config = load_config()
        assert keystore.keyring_backend(config) is None
        assert load_master_key(config).source == "file"
    finally:
        keyring.set_keyring(previous)


def test_describe_key_source_names_source_and_id_but_never_the_key(no_env_key: Path) -> None:
    config = load_config()
    assert describe_key_source(config)["source"] == "none"
    assert describe_key_source(config)["will_create_in"] == str(config.paths.key_file)
    key = load_master_key(config)
    described = describe_key_source(config)
    assert described["source"] == "file"
    assert described["key_id"] == key.key_id
    assert described["path"] == str(config.paths.key_file)
    assert encode_key(key) not in repr(described) and key.key.hex() not in repr(described)


def test_describe_key_source_reports_an_open_key_file(no_env_key: Path) -> None:
    config = load_config()
    _write_key(config.paths.key_file, _key(1), mode=0o640)
    assert "chmod 600" in describe_key_source(config)["error"]


def test_retired_keys_join_the_keyring_of_readable_keys(no_env_key: Path) -> None:
    config = load_config()
    current = load_master_key(config)
    old = MasterKey.from_bytes(_key(7), "file")
    assert keystore.retire_key(config, old) is True
    assert keystore.retire_key(config, old) is False
    retired_file = keystore.retired_dir(config) / f"{old.key_id}.key"
    assert stat.S_IMODE(retired_file.stat().st_mode) == 0o600
    assert set(load_keyring(config)) == {current.key_id, old.key_id}
    keystore.forget_retired_key(config, old.key_id)
    assert set(load_keyring(config)) == {current.key_id}


def test_retired_keys_live_in_the_keyring_when_the_key_does(
    memory_keyring: MemoryKeyring,
) -> None:
    config = load_config()
    current = load_master_key(config)
    old = MasterKey.from_bytes(_key(7), "keyring")
    keystore.retire_key(config, old, in_keyring=True)
    assert not keystore.retired_dir(config).exists()
    assert set(load_keyring(config)) == {current.key_id, old.key_id}
    keystore.forget_retired_key(config, old.key_id)
    assert set(load_keyring(config)) == {current.key_id}
    assert ("socialhub", f"retired-key:{old.key_id}") not in memory_keyring.entries


def test_key_file_race_keeps_the_first_key(no_env_key: Path) -> None:
    config = load_config()
    _write_key(config.paths.key_file, _key(5))
    with pytest.raises(FileExistsError):
        keystore.write_secret_file(config.paths.key_file, b"other", overwrite=False)
    assert load_master_key(config).key == _key(5)
    assert [p.name for p in config.paths.key_file.parent.iterdir()] == ["master.key"]
    assert os.access(config.paths.key_file, os.R_OK)
