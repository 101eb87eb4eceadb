"""Health checks for ``socialhub doctor``: config, database, keys, accounts, daemon."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from socialhub.config import LoadedConfig, masked_settings
from socialhub.errors import NotFoundError, SocialhubError
from socialhub.services.hub import Hub


def _check(name: str, status: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"check": name, "status": status, "detail": detail, **extra}


def run_checks(hub: Hub) -> list[dict[str, Any]]:
    """Every check, each ``{"check", "status": ok|warn|fail, "detail"}``; never raises."""
    cfg: LoadedConfig = hub.config
    checks = [_check("config", "ok", str(cfg.file) if cfg.file else "no file: defaults",
                     env_overrides=cfg.env_overrides)]
    url = masked_settings(cfg.settings)["database"]["url"] or cfg.database_url
    try:
        from socialhub.db.migrate import current_revision

        hub.engine  # noqa: B018 - opening it checks (or creates) the schema
        checks.append(_check("database", "ok", f"{url} at revision {current_revision(hub.engine)}"))
    except SocialhubError as exc:
        checks.append(_check("database", "fail", f"{url}: {exc}"))
        return checks
    checks.extend(file_mode_checks(cfg))
    checks.append(_key_check(cfg))
    with hub.transaction() as session:
        try:
            org = hub.org_id(session)
        except NotFoundError as exc:
            checks.append(_check("organization", "fail", str(exc)))
            return checks
        checks.append(account_check(session, org))
        checks.extend(_daemon_checks(session, cfg))
    return checks


def _key_check(cfg: LoadedConfig) -> dict[str, Any]:
    try:
        keys = importlib.import_module("socialhub.security.keys")
    except ModuleNotFoundError:
        return _check("master key", "warn", "security module not installed")
    try:
        info = keys.describe_key_source(cfg)
        created = ensure_master_key(cfg, info)
        if created:
            info = keys.describe_key_source(cfg)
    except SocialhubError as exc:
        return _check("master key", "fail", str(exc))
    if info.get("error"):
        return _check("master key", "fail", str(info["error"]))
    if not info.get("key_id"):
        return _check("master key", "fail", "no master key, and none could be created")
    where = info.get("path") or ""
    detail = f"{info.get('source')} (key id {info.get('key_id')}){' at ' + where if where else ''}"
    if created:
        detail = f"created on this first run: {detail}; back it up (docs/security.md)"
    return _check("master key", "ok", detail)


def ensure_master_key(cfg: LoadedConfig, info: dict[str, Any]) -> bool:
    """Create the master key when none exists yet (doctor's first run); True if it did.

    ``info`` is ``describe_key_source``'s answer. A key that exists but cannot
    be read is left alone: creating another would orphan what it encrypted.

    Raises:
        SecurityError: the key could not be created.
    """
    if info.get("key_id") or info.get("error"):
        return False
    from socialhub.security.keys import load_master_key

    load_master_key(cfg, create=True)
    return True


def account_check(session: Session, org_id: int) -> dict[str, Any]:
    """``accounts``: every account that cannot publish (not connected, needs_reauth,
    disabled), the deliveries waiting on it and the command that fixes it."""
    from socialhub.services.accounts.accounts import accounts_that_cannot_publish

    stuck = accounts_that_cannot_publish(session, org_id)
    if not stuck:
        return _check("accounts", "ok", "every account can publish")
    detail = "; ".join(
        f"{row['ref']} is {row['problem']}, {row['waiting']} "
        f"deliver{'y' if row['waiting'] == 1 else 'ies'} waiting ({row['fix']})"
        for row in stuck)
    return _check("accounts", "warn", detail, accounts=stuck)


def _daemon_checks(session: Any, cfg: LoadedConfig) -> list[dict[str, Any]]:
    try:
        status = importlib.import_module("socialhub.services.ops.daemon_status")
    except ModuleNotFoundError:
        return []
    fn = getattr(status, "doctor_checks", None)
    return list(fn(session, cfg)) if fn else []


def file_mode_checks(cfg: LoadedConfig) -> list[dict[str, Any]]:
    """``file modes``: a warning per data file or folder others may read, with the fix.

    Covers the data folder, the SQLite database with its -wal/-shm files, the
    docs and music sidecars, and the backups. Read only: a mode the user set is
    reported, never changed.
    """
    from socialhub.db.engine import sqlite_file
    from socialhub.private_files import loose_files, sqlite_family

    paths: list[Path] = [cfg.paths.data_dir]
    database = sqlite_file(cfg.database_url)
    for db in (database, cfg.docs_path, cfg.music_path):
        if db is not None:
            paths.extend(sqlite_family(db))
    backups = cfg.paths.backups_dir
    if backups.is_dir():
        paths.append(backups)
        paths.extend(sorted(backups.iterdir()))
    loose = loose_files(dict.fromkeys(paths))
    if not loose:
        return [_check("file modes", "ok", "data files are private (files 0600, folders 0700)")]
    return [_check("file modes", "warn", str(f), path=str(f.path), mode=f"{f.mode:04o}",
                   fix=f.fix) for f in loose]

