"""Where the master key comes from, and where old keys are kept.

The master key encrypts every credential (see ``security.crypto``). It is
looked up in this order, and the first source that has one wins:

1. ``$CREDENTIALS_DIRECTORY/socialhub-master-key`` (systemd ``LoadCredential=``)
2. ``$SOCIALHUB_MASTER_KEY`` (base64 of 32 bytes)
3. the OS keyring (service ``socialhub``, user ``master-key``) when
   ``security.use_keyring`` is on and a real backend exists
4. a 0600 key file (``security.key_file``, else ``<data_dir>/master.key``)

With no key anywhere, one is generated and stored in the keyring when usable,
else in the key file. Keys replaced by ``socialhub keys rotate`` are kept as
"retired" keys — in ``<data_dir>/retired-keys/<key id>.key`` (0600), or in the
keyring when the current key lives there — so backups made before a rotation
still decrypt. Key material never appears in a repr, message or log.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import logging
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from socialhub.config import LoadedConfig
from socialhub.errors import SecurityError
from socialhub.private_files import make_private_dirs

log = logging.getLogger(__name__)

KEY_SIZE = 32
CREDENTIAL_NAME = "socialhub-master-key"
ENV_VAR = "SOCIALHUB_MASTER_KEY"
KEYRING_SERVICE = "socialhub"
KEYRING_USER = "master-key"
KEYRING_RETIRED_INDEX = "retired-key-ids"
RETIRED_DIR_NAME = "retired-keys"

SOURCE_SYSTEMD = "systemd-credential"
SOURCE_ENV = "env"
SOURCE_KEYRING = "keyring"
SOURCE_FILE = "file"
SOURCE_RETIRED = "retired"


def key_id_for(key: bytes) -> str:
    """The public id of ``key``: 12 hex characters of a domain-separated SHA-256.

    A one-way hash of a random 256-bit key reveals nothing usable about it.
    """
    return hashlib.sha256(b"socialhub-key-id\0" + key).hexdigest()[:12]


@dataclass(frozen=True)
class MasterKey:
    """A 32-byte AES key, its public id, and where it was found."""

    key_id: str
    key: bytes = field(repr=False)
    source: str
    location: str | None = None  # file path or keyring entry, for `keys status`

    def __post_init__(self) -> None:
        if len(self.key) != KEY_SIZE:
            raise SecurityError(f"a master key must be {KEY_SIZE} bytes, not {len(self.key)}")

    @classmethod
    def from_bytes(cls, key: bytes, source: str, location: str | None = None) -> MasterKey:
        """Build a key whose id is derived from ``key``."""
        return cls(key_id_for(key), key, source, location)


def generate_master_key(source: str, location: str | None = None) -> MasterKey:
    """Return a new random key (from the OS CSPRNG)."""
    return MasterKey.from_bytes(secrets.token_bytes(KEY_SIZE), source, location)


def encode_key(key: MasterKey) -> str:
    """The key as base64 text: the form used in files, the keyring and the environment."""
    return base64.b64encode(key.key).decode("ascii")


def parse_key_material(raw: bytes, where: str) -> bytes:
    """Decode key material: base64 or hex text of 32 bytes, or 32 raw bytes.

    Raises:
        SecurityError: it is none of those (the message names ``where``, never the value).
    """
    text = raw.strip()
    with contextlib.suppress(binascii.Error, ValueError):
        decoded = base64.b64decode(text, validate=True)
        if len(decoded) == KEY_SIZE:
            return decoded
    with contextlib.suppress(ValueError):
        decoded = bytes.fromhex(text.decode("ascii"))
        if len(decoded) == KEY_SIZE:
            return decoded
    if len(raw) == KEY_SIZE:
        return raw
    raise SecurityError(f"{where}: not a master key (expected base64 or hex of {KEY_SIZE} bytes)",
                        hint="generate one with: openssl rand -base64 32")


# --- files -------------------------------------------------------------------------------


def key_file_path(config: LoadedConfig) -> Path:
    """The key file in force: ``security.key_file``, else ``<data_dir>/master.key``."""
    configured = config.settings.security.key_file
    return Path(configured).expanduser() if configured else config.paths.key_file


def retired_dir(config: LoadedConfig) -> Path:
    """The folder holding retired keys, one ``<key id>.key`` file each."""
    return config.paths.data_dir / RETIRED_DIR_NAME


def _check_private(path: Path, st: os.stat_result) -> None:
    if os.name == "posix" and st.st_mode & 0o077:
        mode = stat.S_IMODE(st.st_mode)
        raise SecurityError(f"key file {path} is readable by group or others (mode {mode:04o})",
                            hint=f"run: chmod 600 {path}")


def read_key_file(path: Path, source: str, *, check_mode: bool = True) -> MasterKey:
    """Read a key file, refusing one that group or others may read.

    Raises:
        SecurityError: unreadable, too open, or not a key.
    """
    try:
        with open(path, "rb") as fh:
            if check_mode:
                _check_private(path, os.fstat(fh.fileno()))
            raw = fh.read(4096)
    except OSError as exc:
        raise SecurityError(f"cannot read key file {path}: {exc.strerror}") from None
    return MasterKey.from_bytes(parse_key_material(raw, str(path)), source, str(path))


def write_secret_file(path: Path, data: bytes, *, overwrite: bool) -> None:
    """Write ``data`` to ``path`` atomically with mode 0600 (parents made 0700).

    The file is complete or absent, never half written. With ``overwrite``
    false an existing file is left alone.

    Raises:
        FileExistsError: ``overwrite`` is false and the file exists.
        SecurityError: the file cannot be written.
    """
    make_private_dirs(path.parent)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if another process created the file first
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except FileExistsError:
        raise
    except OSError as exc:
        raise SecurityError(f"cannot write key file {path}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


# --- keyring -----------------------------------------------------------------------------


def keyring_backend(config: LoadedConfig) -> Any | None:
    """The OS keyring backend, or None when disabled in config or only a fail/null one exists."""
    if not config.settings.security.use_keyring:
        return None
    try:
        import keyring
        from keyring.backends import fail, null

        backend = keyring.get_keyring()
    except Exception as exc:  # a broken keyring install must not stop socialhub
        log.warning("OS keyring unavailable: %s", type(exc).__name__)
        return None
    if isinstance(backend, fail.Keyring | null.Keyring):
        return None
    return backend


def _keyring_get(backend: Any, user: str) -> str | None:
    try:
        value = backend.get_password(KEYRING_SERVICE, user)
    except Exception as exc:
        raise SecurityError(f"cannot read the OS keyring ({type(exc).__name__})",
                            hint="unlock it, or set security.use_keyring: false") from None
    return value if isinstance(value, str) else None


def _keyring_set(backend: Any, user: str, value: str) -> None:
    try:
        backend.set_password(KEYRING_SERVICE, user, value)
    except Exception as exc:
        raise SecurityError(f"cannot write to the OS keyring ({type(exc).__name__})",
                            hint="unlock it, or set security.use_keyring: false") from None


def _keyring_delete(backend: Any, user: str) -> None:
    with contextlib.suppress(Exception):
        backend.delete_password(KEYRING_SERVICE, user)


# --- the current key ---------------------------------------------------------------------


def _find_master_key(config: LoadedConfig, env: Mapping[str, str]) -> MasterKey | None:
    cred_dir = env.get("CREDENTIALS_DIRECTORY")
    if cred_dir:
        path = Path(cred_dir) / CREDENTIAL_NAME
        if path.is_file():
            # systemd owns the credential's permissions (a private, read-only mount).
            return read_key_file(path, SOURCE_SYSTEMD, check_mode=False)
    raw = env.get(ENV_VAR)
    if raw and raw.strip():
        return MasterKey.from_bytes(parse_key_material(raw.encode(), f"${ENV_VAR}"), SOURCE_ENV,
                                    f"${ENV_VAR}")
    backend = keyring_backend(config)
    if backend is not None:
        value = _keyring_get(backend, KEYRING_USER)
        if value:
            return MasterKey.from_bytes(parse_key_material(value.encode(), "OS keyring entry"),
                                        SOURCE_KEYRING, f"{KEYRING_SERVICE}/{KEYRING_USER}")
    path = key_file_path(config)
    if path.exists():
        return read_key_file(path, SOURCE_FILE)
    return None


def load_master_key(config: LoadedConfig, *, create: bool = True,
                    env: Mapping[str, str] | None = None) -> MasterKey:
    """Return the current master key, creating and storing one on first use.

    Args:
        config: the loaded configuration (key file path, keyring switch).
        create: when no key exists anywhere, generate one (keyring if usable,
            else the key file); when false, raise instead.
        env: the environment to read (default ``os.environ``).

    Raises:
        SecurityError: a source holds something that is not a key, a key file
            is readable by others, or there is no key and ``create`` is false.
    """
    env = os.environ if env is None else env
    found = _find_master_key(config, env)
    if found is not None:
        return found
    if not create:
        raise SecurityError("no master key found",
                            hint="run any command that stores a credential to create one, or "
                                 f"set ${ENV_VAR}; see docs/security.md")
    backend = keyring_backend(config)
    if backend is not None:
        key = generate_master_key(SOURCE_KEYRING, f"{KEYRING_SERVICE}/{KEYRING_USER}")
        _keyring_set(backend, KEYRING_USER, encode_key(key))
        log.info("created a master key %s in the OS keyring", key.key_id)
        return key
    path = key_file_path(config)
    key = generate_master_key(SOURCE_FILE, str(path))
    try:
        write_secret_file(path, (encode_key(key) + "\n").encode(), overwrite=False)
    except FileExistsError:
        return read_key_file(path, SOURCE_FILE)  # another process won the race: use its key
    log.info("created a master key %s in %s", key.key_id, path)
    return key


def store_master_key(config: LoadedConfig, key: MasterKey, like: MasterKey) -> MasterKey:
    """Make ``key`` the current key, in the same kind of source as ``like``.

    Returns the stored key with its new source and location.

    Raises:
        SecurityError: ``like`` came from the environment or systemd, which
            socialhub cannot change, or the keyring/file cannot be written.
    """
    if like.source == SOURCE_KEYRING:
        backend = keyring_backend(config)
        if backend is None:
            raise SecurityError("the OS keyring is no longer usable; cannot store the new key")
        _keyring_set(backend, KEYRING_USER, encode_key(key))
        return MasterKey(key.key_id, key.key, SOURCE_KEYRING, f"{KEYRING_SERVICE}/{KEYRING_USER}")
    if like.source == SOURCE_FILE:
        path = Path(like.location) if like.location else key_file_path(config)
        write_secret_file(path, (encode_key(key) + "\n").encode(), overwrite=True)
        return MasterKey(key.key_id, key.key, SOURCE_FILE, str(path))
    raise SecurityError(f"cannot replace a master key that comes from {like.source}")


# --- retired keys ------------------------------------------------------------------------


def _retired_keyring_ids(backend: Any) -> list[str]:
    value = _keyring_get(backend, KEYRING_RETIRED_INDEX) or ""
    return [i for i in value.split(",") if i]


def list_retired_keys(config: LoadedConfig) -> dict[str, MasterKey]:
    """Every retired key, by id, from the retired-keys folder and the keyring."""
    found: dict[str, MasterKey] = {}
    folder = retired_dir(config)
    if folder.is_dir():
        for path in sorted(folder.glob("*.key")):
            key = read_key_file(path, SOURCE_RETIRED)
            found[key.key_id] = key
    backend = keyring_backend(config)
    if backend is not None:
        for key_id in _retired_keyring_ids(backend):
            value = _keyring_get(backend, f"retired-key:{key_id}")
            if value:
                material = parse_key_material(value.encode(), "OS keyring entry")
                key = MasterKey.from_bytes(material, SOURCE_RETIRED,
                                           f"{KEYRING_SERVICE}/retired-key:{key_id}")
                found[key.key_id] = key
    return found


def retire_key(config: LoadedConfig, key: MasterKey, *, in_keyring: bool = False) -> bool:
    """Keep ``key`` readable as a retired key; return False when it was already kept.

    ``in_keyring`` keeps it in the OS keyring (for keys that lived there)
    instead of a 0600 file in the retired-keys folder.
    """
    if key.key_id in list_retired_keys(config):
        return False
    backend = keyring_backend(config) if in_keyring else None
    if backend is not None:
        _keyring_set(backend, f"retired-key:{key.key_id}", encode_key(key))
        ids = _retired_keyring_ids(backend)
        _keyring_set(backend, KEYRING_RETIRED_INDEX, ",".join([*ids, key.key_id]))
        return True
    path = retired_dir(config) / f"{key.key_id}.key"
    with contextlib.suppress(FileExistsError):
        write_secret_file(path, (encode_key(key) + "\n").encode(), overwrite=False)
    return True


def forget_retired_key(config: LoadedConfig, key_id: str) -> None:
    """Remove a retired key from the folder and the keyring (no error if absent)."""
    with contextlib.suppress(FileNotFoundError):
        (retired_dir(config) / f"{key_id}.key").unlink()
    backend = keyring_backend(config)
    if backend is not None and key_id in (ids := _retired_keyring_ids(backend)):
        _keyring_set(backend, KEYRING_RETIRED_INDEX, ",".join(i for i in ids if i != key_id))
        _keyring_delete(backend, f"retired-key:{key_id}")


def load_keyring(config: LoadedConfig, *, create: bool = True,
                 env: Mapping[str, str] | None = None) -> dict[str, MasterKey]:
    """Every key that can decrypt: the current one plus all retired ones, by id."""
    current = load_master_key(config, create=create, env=env)
    keys = list_retired_keys(config)
    keys[current.key_id] = current
    return keys


def describe_key_source(config: LoadedConfig, env: Mapping[str, str] | None = None
                        ) -> dict[str, Any]:
    """Where the master key comes from, for ``doctor`` and ``keys status``; never the key.

    Returns a dict with ``source`` (``none`` when no key exists yet), ``key_id``,
    ``path`` (for files), ``keyring`` (backend name or None), ``retired_key_ids``
    and ``error`` (a message when the key cannot be loaded).
    """
    backend = keyring_backend(config)
    info: dict[str, Any] = {
        "source": "none", "key_id": None, "path": None,
        "keyring": type(backend).__module__ + "." + type(backend).__name__ if backend else None,
        "retired_key_ids": [], "error": None,
    }
    try:
        key = _find_master_key(config, os.environ if env is None else env)
        info["retired_key_ids"] = sorted(list_retired_keys(config))
    except SecurityError as exc:
        info["error"] = str(exc)
        return info
    if key is None:
        info["will_create_in"] = SOURCE_KEYRING if backend else str(key_file_path(config))
        return info
    info["source"] = key.source
    info["key_id"] = key.key_id
    if key.source in (SOURCE_FILE, SOURCE_SYSTEMD):
        info["path"] = key.location
    return info
