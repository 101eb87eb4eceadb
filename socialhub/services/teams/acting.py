"""Who is acting: the login, its membership in the organization, and the first owner.

The login is the local OS user on SQLite (``SOCIALHUB_LOGIN`` may name another
local user, for scripts and tests) and the database's ``current_user`` on
PostgreSQL, where each member connects as their own login role (so the
override is refused there). The member with that login in the context's
organization is the actor, with their role; one statement finds both.

The first login becomes the owner: on a fresh database, or in an organization
whose members have no login yet (rows made before teams), the acting login
claims the owner membership. Anyone else who is not a member is refused, with
the command an owner runs to add them.

The daemon acts as the system actor ``daemon``, whose role holds only what it
needs (``core.policy``): it never approves.
"""

from __future__ import annotations

import os
import shlex

from sqlalchemy.orm import Session

from socialhub.core.policy import Role, scope_permissions
from socialhub.db.models import Membership, User
from socialhub.db.queries import teams as queries
from socialhub.db.queries.access import member_of
from socialhub.errors import ConfigError, PermissionDeniedError, UnauthenticatedError
from socialhub.services.context import LOGIN_ENV, Actor, Principal, sqlite_login

#: The daemon's actor name in the audit trail.
DAEMON = "daemon"


def daemon_actor() -> Actor:
    """The publishing daemon: a system actor with the ``daemon`` role."""
    return Actor(name=DAEMON, role=Role.DAEMON)


def git_sync_actor() -> Actor:
    """The daemon applying a git repository (``sync.git``): the ``sync`` system role."""
    return Actor(name="git-sync", role=Role.SYNC)


def local_login(session: Session) -> str | None:
    """The login to look up, or None for the database's own (PostgreSQL ``current_user``).

    Raises:
        ConfigError: ``SOCIALHUB_LOGIN`` is set on PostgreSQL.
    """
    if queries.is_postgres(session):
        if os.environ.get(LOGIN_ENV, "").strip():
            raise ConfigError(f"{LOGIN_ENV} only applies to SQLite; on PostgreSQL you act as "
                              "the login in database.url",
                              hint=f"unset {LOGIN_ENV} and connect as that member instead")
        return None
    return sqlite_login()


def acting_login(session: Session) -> str:
    """The acting login itself (the OS user, ``SOCIALHUB_LOGIN`` on SQLite, or the
    database login on PostgreSQL).

    Raises:
        ConfigError: ``SOCIALHUB_LOGIN`` is set on PostgreSQL.
    """
    login = local_login(session)
    return login if login is not None else queries.database_login(session)


def resolve_actor(session: Session, org_id: int, org_name: str) -> Actor:
    """The member acting in ``org_id``: their login, role and user id.

    Claims the owner membership for the first login (see the module docstring).

    Raises:
        PermissionDeniedError: the login is not a member of the organization.
        ConfigError: ``SOCIALHUB_LOGIN`` is set on PostgreSQL.
    """
    login, user_id, role = queries.acting_member(session, org_id, local_login(session))
    if role is not None:
        return Actor(name=login, role=Role(role), user_id=user_id)
    claimed = _claim_first_owner(session, org_id, login, user_id)
    if claimed is not None:
        return claimed
    raise not_a_member(login, org_name)


def principal_actor(session: Session, principal: Principal) -> Actor:
    """The member an API token acts as: their current role, narrowed by the token's scopes.

    The role is read now, not when the token was made: a member whose role is lowered
    has tokens that can do less, and a member who left has tokens that do nothing.

    Raises:
        UnauthenticatedError: the token's member is no longer in the organization.
    """
    found = member_of(session, principal.org_id, principal.user_id)
    if found is None:
        raise UnauthenticatedError("this API token's member has left the organization",
                                   hint="create a new token as a current member")
    login, role = found
    return Actor(name=login, role=Role(role), user_id=principal.user_id,
                 scopes=scope_permissions(principal.scopes), token_id=principal.token_id)


def not_a_member(login: str, org_name: str) -> PermissionDeniedError:
    """The one refusal for a login that is not a member of the organization."""
    return PermissionDeniedError(
        f"{login} is not a member of organization {org_name!r}; an owner or admin adds them "
        f"with `socialhub members add {shlex.quote(login)} --role editor "
        f"--org {shlex.quote(org_name)}`")


def _claim_first_owner(session: Session, org_id: int, login: str,
                       user_id: int | None) -> Actor | None:
    placeholder = queries.unclaimed_owner(session, org_id)
    if placeholder is None:
        if queries.has_members(session, org_id):
            return None
        user = _user_for(session, login, user_id)
        session.add(Membership(org_id=org_id, user_id=user.id, role=Role.OWNER.value))
        session.flush()
        return Actor(name=login, role=Role.OWNER, user_id=user.id)
    if user_id is None:
        seat = session.get(User, placeholder.user_id)
        assert seat is not None  # the membership's foreign key
        seat.login = login
        if seat.name in ("", "owner"):
            seat.name = login
        session.flush()
        return Actor(name=login, role=Role.OWNER, user_id=seat.id)
    # The login is a user already (an owner elsewhere): the placeholder's seat is theirs.
    old = placeholder.user_id
    placeholder.user_id = user_id
    session.flush()
    if queries.user_membership_count(session, old) == 0:
        orphan = session.get(User, old)
        if orphan is not None:
            session.delete(orphan)
            session.flush()
    return Actor(name=login, role=Role.OWNER, user_id=user_id)


def _user_for(session: Session, login: str, user_id: int | None) -> User:
    """The user with ``login`` (created when missing)."""
    if user_id is not None:
        found = session.get(User, user_id)
        if found is not None:
            return found
    user = User(name=login, login=login)
    session.add(user)
    session.flush()
    return user
