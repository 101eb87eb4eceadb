"""Who acts: the first login becomes the owner, members act with their role, strangers are
refused with the command that would let them in, and the daemon is a system actor."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from socialhub.core.policy import Role
from socialhub.db.models import Membership, User
from socialhub.errors import ConfigError, PermissionDeniedError
from socialhub.services.orgs import add_organization
from socialhub.services.teams.members import add_member


def _is_pg(hub: Any) -> bool:
    return bool(hub.engine.dialect.name == "postgresql")


def test_the_first_login_claims_the_owner_seat_once(hub: Any) -> None:
    with hub.context("cli") as ctx:
        first = ctx.actor
    with hub.context("tui") as ctx:
        again = ctx.actor
        users = ctx.session.scalar(select(func.count()).select_from(User))
        seats = ctx.session.scalar(select(func.count()).select_from(Membership))
    assert first.role is Role.OWNER and first.user_id is not None
    assert again == first
    assert (users, seats) == (1, 1)


def test_an_organization_made_before_teams_is_claimed_by_the_first_login(hub: Any) -> None:
    with hub.context("cli") as ctx:
        me = ctx.actor
        add_organization(ctx.session, "legacy")  # a loginless placeholder owner, as before teams
    with hub.context("cli", organization="legacy") as ctx:
        assert ctx.actor.role is Role.OWNER and ctx.actor.user_id == me.user_id
        # the placeholder user is gone: one person, two seats
        assert ctx.session.scalar(select(func.count()).select_from(User)) == 1
        assert ctx.session.scalar(select(func.count()).select_from(Membership)) == 2


def test_a_login_that_is_not_a_member_is_refused_with_the_way_in(
        hub: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    if _is_pg(hub):
        pytest.skip("on PostgreSQL the login is the database's (see test below)")
    with hub.context("cli"):
        pass
    monkeypatch.setenv("SOCIALHUB_LOGIN", "mallory")
    with pytest.raises(PermissionDeniedError) as refused, hub.context("cli"):
        pass
    message = str(refused.value)
    assert "mallory is not a member of organization 'default'" in message
    assert "socialhub members add mallory --role editor --org default" in message
    with hub.transaction() as session:
        assert session.scalar(select(User.id).where(User.login == "mallory")) is None


def test_a_member_acts_with_their_role(hub: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    if _is_pg(hub):
        pytest.skip("PostgreSQL logins arrive with `db roles`")
    with hub.context("cli") as ctx:
        add_member(ctx, "rita", "reviewer")
    monkeypatch.setenv("SOCIALHUB_LOGIN", "rita")
    with hub.context("cli") as ctx:
        assert (ctx.actor.name, ctx.actor.role) == ("rita", Role.REVIEWER)


def test_the_login_override_is_refused_on_postgresql(
        hub: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    if not _is_pg(hub):
        pytest.skip("SQLite honours SOCIALHUB_LOGIN")
    with hub.context("cli") as ctx:
        assert ctx.actor.name == "postgres"  # current_user of the test cluster
    monkeypatch.setenv("SOCIALHUB_LOGIN", "postgres")
    with pytest.raises(ConfigError, match="SOCIALHUB_LOGIN only applies to SQLite"), \
            hub.context("cli"):
        pass


def test_the_daemon_is_a_system_actor_that_never_approves(hub: Any) -> None:
    from socialhub.services.authoring.review import approve_post

    with hub.context("daemon") as ctx:
        assert (ctx.actor.name, ctx.actor.role) == ("daemon", Role.DAEMON)
        with pytest.raises(PermissionDeniedError, match=r"posts\.approve"):
            approve_post(ctx, "anything")


def test_a_context_costs_one_statement_once_the_organization_is_known(hub: Any) -> None:
    from sqlalchemy import event

    for _ in range(2):  # first run: the organization and the owner seat; then it is cached
        with hub.context("cli"):
            pass
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(hub.engine, "before_cursor_execute", count)
    try:
        with hub.context("cli"):
            pass
    finally:
        event.remove(hub.engine, "before_cursor_execute", count)
    # On PostgreSQL the context also selects its organization for row-level security
    # (``set_config``); that is not a read.
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")
               and "set_config" not in s]
    assert len(selects) == 1, selects
