"""The whole permission matrix: every role × every use case, on SQLite and PostgreSQL.

Every function decorated with ``@use_case`` across ``socialhub.services`` is called
with a context of each role and dummy arguments. A role without the use case's
permission gets ``PermissionDeniedError`` and the database is left exactly as it was;
a role holding it never gets ``PermissionDeniedError`` (the dummy arguments may fail
in any other way: an unknown post, a bad name).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import socialhub.services as services
from socialhub.core.policy import Permission, Role, allows
from socialhub.db.models import Base
from socialhub.errors import PermissionDeniedError
from socialhub.services.context import permission_of
from tests.conftest import ctx_as


def use_cases() -> list[tuple[str, Callable[..., Any], Permission]]:
    """Every use case of the services, by dotted name."""
    found: dict[str, tuple[str, Callable[..., Any], Permission]] = {}
    for info in pkgutil.walk_packages(services.__path__, "socialhub.services."):
        module = importlib.import_module(info.name)
        for name, fn in vars(module).items():
            permission = permission_of(fn) if callable(fn) else None
            if permission is not None and getattr(fn, "__module__", None) == module.__name__:
                found[f"{module.__name__}.{name}"] = (f"{module.__name__}.{name}", fn,
                                                      permission)
    return sorted(found.values())


USE_CASES = use_cases()


def test_the_walk_found_the_use_cases() -> None:
    names = {name.rsplit(".", 1)[1] for name, _, _ in USE_CASES}
    assert {"create_post", "schedule_post", "approve_post", "add_member",
            "set_approvals", "apply_manifests", "list_queue"} <= names
    assert len(USE_CASES) > 50


def dummy(annotation: Any) -> Any:
    """A harmless value for a parameter annotated ``annotation`` (a string here)."""
    text = str(annotation)
    for marker, value in (("datetime", datetime(2099, 1, 1, tzinfo=UTC)),
                          ("date", date(2099, 1, 1)), ("Path", Path("/nonexistent/x.csv")),
                          ("bool", False), ("int", 1), ("float", 1.0), ("list", []),
                          ("Sequence", []), ("dict", {}), ("str", "no-such-thing")):
        if marker in text:
            return value
    return None


def call(fn: Callable[..., Any], ctx: Any) -> None:
    """Call ``fn`` with ``ctx`` and a dummy value for each required parameter."""
    params = list(inspect.signature(fn).parameters.values())[1:]
    args, kwargs = [], {}
    for p in params:
        if p.default is not inspect.Parameter.empty or p.kind in (
                inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        if p.kind is inspect.Parameter.KEYWORD_ONLY:
            kwargs[p.name] = dummy(p.annotation)
        else:
            args.append(dummy(p.annotation))
    fn(ctx, *args, **kwargs)


def snapshot(session: Any) -> dict[str, int]:
    """The row count of every table."""
    session.flush()
    return {t.name: int(session.scalar(select(func.count()).select_from(t)) or 0)
            for t in Base.metadata.sorted_tables}


ROLES = [Role.OWNER, Role.ADMIN, Role.EDITOR, Role.REVIEWER, Role.VIEWER, Role.DAEMON]


def test_every_role_times_every_use_case(ctx: Any) -> None:
    before = snapshot(ctx.session)
    denied = 0
    for role in ROLES:
        acting = ctx_as(ctx, role.value)
        for name, fn, permission in USE_CASES:
            if allows(role, permission):
                continue
            with pytest.raises(PermissionDeniedError) as refused:
                call(fn, acting)
            assert permission.value in str(refused.value), name
            denied += 1
    assert denied > 100
    assert snapshot(ctx.session) == before  # a refused call changes nothing

    for role in ROLES:
        acting = ctx_as(ctx, role.value)
        for name, fn, permission in USE_CASES:
            if not allows(role, permission):
                continue
            savepoint = ctx.session.begin_nested()
            try:
                call(fn, acting)
            except PermissionDeniedError as exc:  # pragma: no cover - the failure itself
                pytest.fail(f"{role.value} holds {permission.value} but {name} refused: {exc}")
            except Exception:
                pass
            finally:
                if savepoint.is_active:
                    savepoint.rollback()
