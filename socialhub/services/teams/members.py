"""The members of an organization: add, list, change a role, remove.

Rules every front end gets for free: a role is one of ``core.policy.MEMBER_ROLES``;
nobody grants, changes or takes away a role ranked above their own (an admin
cannot make an owner, nor demote one); the last owner can be neither demoted
nor removed. Each change is recorded (``member.added``, ``member.role_changed``,
``member.removed``).
"""

from __future__ import annotations

from typing import Any

from socialhub.core.policy import MEMBER_ROLES, Permission, Role, may_grant
from socialhub.db.models import Membership, User
from socialhub.db.queries import teams as queries
from socialhub.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from socialhub.services.audit import record_event
from socialhub.services.context import Ctx, use_case
from socialhub.services.teams.database_logins import ensure_member_login

#: The column is VARCHAR(200).
MAX_LOGIN_LENGTH = 200


def parse_role(role: str) -> Role:
    """The member role named ``role``.

    Raises:
        ValidationError: not a role a member can hold.
    """
    try:
        found = Role(role.strip().lower())
    except ValueError:
        found = None
    if found is None or found not in MEMBER_ROLES:
        raise ValidationError(f"unknown role {role!r}; roles: "
                              f"{', '.join(r.value for r in MEMBER_ROLES)}")
    return found


def check_login(login: str) -> str:
    """Return ``login`` when it can name a person (a local user or a database login).

    Raises:
        ValidationError: empty, too long, or with spaces or control characters.
    """
    if not login or len(login) > MAX_LOGIN_LENGTH or any(
            c.isspace() or not c.isprintable() for c in login):
        raise ValidationError(f"login {login!r} must be 1–{MAX_LOGIN_LENGTH} characters "
                              "without spaces or control characters")
    return login


def _refuse_grant(ctx: Ctx, role: Role, what: str) -> None:
    if not may_grant(ctx.actor.role, role):
        raise PermissionDeniedError(
            f"{ctx.actor.name} ({ctx.actor.role.value}) may not {what} {role.value}: "
            "nobody grants a role above their own")


def _summary(membership: Membership, user: User) -> dict[str, Any]:
    return {"login": user.login, "name": user.name, "role": membership.role,
            "since": membership.created_at}


@use_case(Permission.MEMBERS_MANAGE)
def add_member(ctx: Ctx, login: str, role: str, *, password: str | None = None
               ) -> dict[str, Any]:
    """Make ``login`` a member of the context's organization with ``role``.

    On PostgreSQL the login role is created when missing (``database_logins``).

    Raises:
        ValidationError: a bad login or role.
        PermissionDeniedError: the role is above the actor's own.
        ConflictError: the login is a member already.
    """
    check_login(login)
    wanted = parse_role(role)
    _refuse_grant(ctx, wanted, "grant")
    session, org_id = ctx.session, ctx.org_id
    if queries.membership_of(session, org_id, login) is not None:
        raise ConflictError(f"{login} is a member already (change the role with "
                            f"`socialhub members set-role {login} ROLE`)")
    created_login = ensure_member_login(session, login, password)
    user = queries.user_with_login(session, login)
    if user is None:
        user = User(name=login, login=login)
        session.add(user)
        session.flush()
    membership = Membership(org_id=org_id, user_id=user.id, role=wanted.value)
    session.add(membership)
    session.flush()
    record_event(session, org_id, "add", "Member", record_id=membership.id, name=login,
                 change={"role": wanted.value, "database_login_created": created_login})
    return _summary(membership, user)


@use_case(Permission.MEMBERS_READ)
def list_members(ctx: Ctx) -> list[dict[str, Any]]:
    """Every member of the organization: ``{"login", "name", "role", "since"}``, by login."""
    return [_summary(m, u) for m, u in queries.memberships(ctx.session, ctx.org_id)]


def _find(ctx: Ctx, login: str) -> Membership:
    membership = queries.membership_of(ctx.session, ctx.org_id, login)
    if membership is None:
        raise NotFoundError(f"{login} is not a member (see `socialhub members list`)")
    return membership


def _refuse_last_owner(ctx: Ctx, membership: Membership, what: str) -> None:
    if (membership.role == Role.OWNER.value
            and queries.count_role(ctx.session, ctx.org_id, Role.OWNER.value) <= 1):
        raise ConflictError(f"cannot {what} the last owner of the organization; make "
                            "someone else owner first")


@use_case(Permission.MEMBERS_MANAGE)
def set_member_role(ctx: Ctx, login: str, role: str) -> dict[str, Any]:
    """Give the member ``login`` the role ``role``.

    Raises:
        NotFoundError: not a member.
        ValidationError: an unknown role.
        PermissionDeniedError: the old or the new role is above the actor's own.
        ConflictError: it would demote the last owner.
    """
    wanted = parse_role(role)
    membership = _find(ctx, login)
    _refuse_grant(ctx, wanted, "grant")
    _refuse_grant(ctx, Role(membership.role), "change the role of a member who is")
    old = membership.role
    if old == wanted.value:
        return _summary(membership, _user(ctx, membership))
    if wanted is not Role.OWNER:
        _refuse_last_owner(ctx, membership, "demote")
    membership.role = wanted.value
    ctx.session.flush()
    record_event(ctx.session, ctx.org_id, "change_role", "Member", record_id=membership.id,
                 name=login, change={"role": [old, wanted.value]})
    return _summary(membership, _user(ctx, membership))


@use_case(Permission.MEMBERS_MANAGE)
def remove_member(ctx: Ctx, login: str) -> dict[str, Any]:
    """Take ``login`` out of the organization (their user and other memberships stay).

    Raises:
        NotFoundError: not a member.
        PermissionDeniedError: their role is above the actor's own.
        ConflictError: they are the last owner.
    """
    membership = _find(ctx, login)
    _refuse_grant(ctx, Role(membership.role), "remove a member who is")
    _refuse_last_owner(ctx, membership, "remove")
    summary = _summary(membership, _user(ctx, membership))
    record_event(ctx.session, ctx.org_id, "remove", "Member", record_id=membership.id,
                 name=login, change={"role": membership.role})
    ctx.session.delete(membership)
    ctx.session.flush()
    return summary


def _user(ctx: Ctx, membership: Membership) -> User:
    user = ctx.session.get(User, membership.user_id)
    assert user is not None  # the membership's foreign key
    return user


def roles_matrix() -> list[dict[str, Any]]:
    """The permission matrix as data: one row per member role with its permissions."""
    from socialhub.core.policy import permissions_of

    return [{"role": role.value,
             "permissions": sorted(p.value for p in permissions_of(role))}
            for role in MEMBER_ROLES]
