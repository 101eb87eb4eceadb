"""The use-case context: hub.context opens a Ctx, @use_case checks the permission."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from socialhub.core.policy import Permission, Role
from socialhub.db.models import Campaign
from socialhub.errors import ExitCode, PermissionDeniedError, exit_code_for
from socialhub.services.audit import current_actor
from socialhub.services.context import CHANNELS, Ctx, permission_of, use_case
from tests.conftest import ctx_as


@use_case(Permission.CAMPAIGNS_WRITE)
def _add(ctx: Ctx, name: str) -> int:
    """A tiny write use case for these tests."""
    row = Campaign(org_id=ctx.org_id, name=name, status="planned")
    ctx.session.add(row)
    ctx.session.flush()
    return row.id


def _count(hub: Any) -> int:
    with hub.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(Campaign)) or 0)


def test_context_commits_on_success(hub: Any) -> None:
    with hub.context("cli") as ctx:
        _add(ctx, "spring")
    assert _count(hub) == 1


def test_context_rolls_back_on_error(hub: Any) -> None:
    with pytest.raises(RuntimeError), hub.context("cli") as ctx:
        _add(ctx, "spring")
        raise RuntimeError("boom")
    assert _count(hub) == 0


def test_context_joins_a_transaction_it_is_given(hub: Any) -> None:
    with pytest.raises(RuntimeError), hub.transaction() as session:
        with hub.context("tui", session=session) as ctx:
            assert ctx.session is session
            _add(ctx, "spring")
        raise RuntimeError("the outer transaction decides")
    assert _count(hub) == 0


@pytest.mark.parametrize("channel", CHANNELS)
def test_context_carries_channel_organization_and_owner(hub: Any, channel: Any) -> None:
    with hub.context(channel) as ctx:
        assert ctx.channel == channel
        assert ctx.org_id == hub.org_id(ctx.session)
        if channel == "daemon":
            assert ctx.actor.role is Role.DAEMON and ctx.actor.name == "daemon"
        else:
            # The first login becomes the owner: the OS user on SQLite, the database's
            # login on PostgreSQL.
            expected = "postgres" if hub.engine.dialect.name == "postgresql" else current_actor()
            assert ctx.actor.role is Role.OWNER and ctx.actor.name == expected
            assert ctx.actor.user_id is not None
        assert ctx.settings is hub.config.settings
        assert ctx.now().tzinfo is not None


def test_a_viewer_is_refused_a_write_use_case(ctx: Any) -> None:
    with pytest.raises(PermissionDeniedError) as refused:
        _add(ctx_as(ctx, "viewer"), "spring")
    assert "viewer" in str(refused.value) and Permission.CAMPAIGNS_WRITE.value in str(refused.value)
    assert exit_code_for(refused.value) == ExitCode.PERMISSION == 12
    assert _add(ctx_as(ctx, "editor"), "allowed") > 0


class _Untouchable:
    """A session stand-in that fails the test on any use."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the database was touched ({name})")


def test_the_decorator_refuses_before_touching_the_database() -> None:
    from socialhub.config import Settings
    from socialhub.services.context import Actor

    viewer = Ctx(session=_Untouchable(), org_id=1,  # type: ignore[arg-type]
                 actor=Actor(name="guest", role=Role.VIEWER), channel="api",
                 settings=Settings())
    with pytest.raises(PermissionDeniedError):
        _add(viewer, "spring")


def test_a_use_case_keeps_its_name_doc_and_permission() -> None:
    assert _add.__name__ == "_add" and "tiny" in (_add.__doc__ or "")
    assert permission_of(_add) is Permission.CAMPAIGNS_WRITE
    assert permission_of(_count) is None


def test_a_viewer_may_read_but_not_add_a_campaign(hub: Any) -> None:
    from socialhub.services.authoring.campaigns import add_campaign, list_campaigns

    with hub.context("cli") as ctx:
        with pytest.raises(PermissionDeniedError):
            add_campaign(ctx_as(ctx, "viewer"), "spring")
        assert list_campaigns(ctx_as(ctx, "viewer")) == []
    assert _count(hub) == 0


def test_a_reviewer_may_neither_write_nor_schedule_a_post(hub: Any) -> None:
    from socialhub.services.authoring.posts import TargetSpec, create_post
    from socialhub.services.authoring.scheduling import schedule_post

    with hub.context("cli") as ctx:
        with pytest.raises(PermissionDeniedError):
            create_post(ctx_as(ctx, "reviewer"), body="hi", name="p",
                        targets=[TargetSpec(account="sandbox:@demo")])
        with pytest.raises(PermissionDeniedError):
            schedule_post(ctx_as(ctx, "reviewer"), "p", now=ctx.now())


def test_every_ctx_service_function_declares_a_permission() -> None:
    import importlib
    import inspect
    import pkgutil

    import socialhub.services as services

    undeclared = []
    checked = 0
    for info in pkgutil.walk_packages(services.__path__, "socialhub.services."):
        module = importlib.import_module(info.name)
        checked += 1
        for name, fn in vars(module).items():
            if not inspect.isfunction(fn) or fn.__module__ != module.__name__:
                continue
            params = list(inspect.signature(fn).parameters.values())
            takes_ctx = bool(params) and params[0].name == "ctx" \
                and params[0].annotation in ("Ctx", Ctx)  # the publishing engine has its own
            if takes_ctx and not name.startswith("_") \
                    and permission_of(fn) is None and module.__name__ != Ctx.__module__:
                undeclared.append(f"{module.__name__}.{name}")
    assert checked > 50  # the sub-packages' modules were walked too
    assert undeclared == []
