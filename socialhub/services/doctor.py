"""Health checks for ``socialhub doctor``: config, database, keys, accounts, daemon."""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy import select

from socialhub.config import LoadedConfig, masked_settings
from socialhub.db.models import Account
from socialhub.errors import SocialhubError
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
    checks.append(_key_check(cfg))
    with hub.transaction() as session:
        org = hub.org_id(session)
        bad = list(session.scalars(select(Account).where(Account.org_id == org,
                                                         Account.status != "active")))
        if bad:
            checks.append(_check("accounts", "warn", "; ".join(
                f"{a.ref} is {a.status}" + (f" ({a.status_reason})" if a.status_reason else "")
                for a in bad)))
        else:
            checks.append(_check("accounts", "ok", "no account needs attention"))
        checks.extend(_daemon_checks(session, cfg))
    return checks


def _key_check(cfg: LoadedConfig) -> dict[str, Any]:
    try:
        keys = importlib.import_module("socialhub.security.keys")
    except ModuleNotFoundError:
        return _check("master key", "warn", "security module not installed")
    try:
        info = keys.describe_key_source(cfg)
    except SocialhubError as exc:
        return _check("master key", "fail", str(exc))
    if info.get("error"):
        return _check("master key", "fail", str(info["error"]))
    if not info.get("key_id"):
        target = info.get("will_create_in") or "a 0600 key file"
        return _check("master key", "warn", f"no key yet; the first credential creates one in "
                      f"{target}")
    where = info.get("path") or ""
    detail = f"{info.get('source')} (key id {info.get('key_id')}){' at ' + where if where else ''}"
    return _check("master key", "ok", detail)


def _daemon_checks(session: Any, cfg: LoadedConfig) -> list[dict[str, Any]]:
    try:
        status = importlib.import_module("socialhub.services.daemon_status")
    except ModuleNotFoundError:
        return []
    fn = getattr(status, "doctor_checks", None)
    return list(fn(session, cfg)) if fn else []
