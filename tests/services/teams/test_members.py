"""Members: add, list, change roles, remove — each recorded; the last owner stays, and
nobody grants a role above their own. Adding a member is SQLite here: on PostgreSQL a
member is a database login, created by `members add` through `db roles`' function and
tested with real logins in test_database_logins.py and tests/db/test_tenancy.py."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from socialhub.db.models import AuditEvent, Membership
from socialhub.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from socialhub.services.teams.members import (
    add_member,
    list_members,
    remove_member,
    roles_matrix,
    set_member_role,
)
from tests.conftest import ctx_as


@pytest.fixture
def sqlite_ctx(ctx: Any) -> Any:
    if ctx.session.get_bind().dialect.name == "postgresql":
        pytest.skip("PostgreSQL members are database logins: test_database_logins.py")
    return ctx


def _events(ctx: Any) -> list[str]:
    return [f"{a.record_kind}.{a.action}:{a.record_name}" for a in ctx.session.scalars(
        select(AuditEvent).where(AuditEvent.record_kind == "Member").order_by(AuditEvent.id))]


def _seats(ctx: Any) -> int:
    return int(ctx.session.scalar(select(func.count()).select_from(Membership)) or 0)


def test_a_member_is_added_listed_promoted_and_removed_with_each_step_recorded(
        sqlite_ctx: Any) -> None:
    ctx = sqlite_ctx
    assert add_member(ctx, "alice", "editor")["role"] == "editor"
    assert {(m["login"], m["role"]) for m in list_members(ctx)} == {
        (ctx.actor.name, "owner"), ("alice", "editor")}
    assert set_member_role(ctx, "alice", "admin")["role"] == "admin"
    remove_member(ctx, "alice")
    assert [m["login"] for m in list_members(ctx)] == [ctx.actor.name]
    assert _events(ctx) == ["Member.add:alice", "Member.change_role:alice",
                            "Member.remove:alice"]


def test_the_last_owner_can_be_neither_demoted_nor_removed(sqlite_ctx: Any) -> None:
    ctx = sqlite_ctx
    me = ctx.actor.name
    with pytest.raises(ConflictError, match="last owner"):
        set_member_role(ctx, me, "admin")
    with pytest.raises(ConflictError, match="last owner"):
        remove_member(ctx, me)
    add_member(ctx, "olga", "owner")
    assert set_member_role(ctx, me, "admin")["role"] == "admin"  # another owner remains


def test_nobody_grants_a_role_above_their_own(sqlite_ctx: Any) -> None:
    ctx = sqlite_ctx
    add_member(ctx, "ada", "admin")
    admin = ctx_as(ctx, "admin")
    before = _seats(ctx)
    with pytest.raises(PermissionDeniedError, match="may not grant owner"):
        add_member(admin, "eve", "owner")
    with pytest.raises(PermissionDeniedError, match="may not grant owner"):
        set_member_role(admin, "ada", "owner")
    with pytest.raises(PermissionDeniedError, match="who is owner"):
        remove_member(admin, ctx.actor.name)
    with pytest.raises(PermissionDeniedError, match=r"members\.manage"):
        add_member(ctx_as(ctx, "editor"), "eve", "viewer")
    assert _seats(ctx) == before
    assert add_member(admin, "eve", "editor")["role"] == "editor"


@pytest.mark.parametrize(("login", "role", "error"), [
    ("bob", "boss", ValidationError), ("bob", "daemon", ValidationError),
    ("with space", "editor", ValidationError), ("", "editor", ValidationError),
])
def test_bad_input_changes_nothing(sqlite_ctx: Any, login: str, role: str,
                                   error: type[Exception]) -> None:
    before = _seats(sqlite_ctx)
    with pytest.raises(error):
        add_member(sqlite_ctx, login, role)
    assert _seats(sqlite_ctx) == before and _events(sqlite_ctx) == []


def test_adding_twice_or_changing_a_stranger_is_refused(sqlite_ctx: Any) -> None:
    add_member(sqlite_ctx, "alice", "editor")
    with pytest.raises(ConflictError, match="member already"):
        add_member(sqlite_ctx, "alice", "viewer")
    with pytest.raises(NotFoundError):
        set_member_role(sqlite_ctx, "nobody", "viewer")


def test_roles_matrix_lists_every_member_role() -> None:
    rows = {r["role"]: set(r["permissions"]) for r in roles_matrix()}
    assert list(rows) == ["owner", "admin", "editor", "reviewer", "viewer"]
    assert "posts.approve" in rows["reviewer"] and "posts.publish" not in rows["reviewer"]


def test_docs_teams_shows_the_matrix_of_the_code() -> None:
    from pathlib import Path

    rows = roles_matrix()
    permissions = sorted({p for row in rows for p in row["permissions"]})
    table = ["| permission | " + " | ".join(r["role"] for r in rows) + " |",
             "|---|" + "---|" * len(rows)]
    table += ["| `" + p + "` | " + " | ".join(
        "yes" if p in r["permissions"] else "–" for r in rows) + " |" for p in permissions]
    doc = (Path(__file__).parents[3] / "docs" / "teams.md").read_text(encoding="utf-8")
    assert "\n".join(table) in doc, "regenerate the table with `socialhub members roles --json`"
