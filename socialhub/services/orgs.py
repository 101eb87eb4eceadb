"""Organizations: create one explicitly, list them, and find the configured one.

Only an explicit command creates an organization. A mistyped
``organization:`` (or ``SOCIALHUB_ORGANIZATION``) used to create a new, empty
organization silently on any command, even a read, so the user saw an empty
hub and no error; now it is refused with the known names and the command that
would create it. The one exception is the very first use: a database with no
organization at all gets the configured one, so a fresh install just works.
"""

from __future__ import annotations

import shlex
import unicodedata
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from socialhub.db.models import Organization, User
from socialhub.db.queries import orgs as queries
from socialhub.db.queries.teams import user_with_login
from socialhub.errors import ConflictError, NotFoundError, ValidationError

#: The column is VARCHAR(200).
MAX_NAME_LENGTH = 200


def check_org_name(name: str) -> str:
    """Return ``name`` when it can name an organization.

    Raises:
        ValidationError: empty, longer than 200 characters, with surrounding spaces, or
            with control characters (they would make names that look alike differ).
    """
    if not name or not name.strip():
        raise ValidationError("organization name is empty")
    if name != name.strip():
        raise ValidationError(f"organization name {name!r} has leading or trailing spaces")
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(f"organization name is {len(name)} characters long; "
                              f"the limit is {MAX_NAME_LENGTH}")
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise ValidationError(f"organization name {name!r} contains control characters")
    return name


def add_organization(session: Session, name: str, *, owner: str = "owner",
                     login: str | None = None) -> Organization:
    """Create the organization ``name`` with one member, ``owner``, in the owner role.

    With ``login`` the owner is the user with that login (created when missing);
    without, a placeholder user the first login claims (``services.teams.acting``).

    Raises:
        ValidationError: the name cannot name an organization.
        ConflictError: an organization with that name exists already.
    """
    check_org_name(name)
    if queries.organization_id_named(session, name) is not None:
        raise ConflictError(f"organization {name!r} exists already")
    org = Organization(name=name, settings={})
    user = None if login is None else user_with_login(session, login)
    if user is None:
        user = User(name=owner, login=login)
    session.add_all([org, user])
    session.flush()
    queries.add_first_owner(session, org.id, user.id)
    return org


def list_organizations(session: Session) -> list[dict[str, Any]]:
    """Every organization by name: ``{"name", "members", "created_at"}`` (read only)."""
    return [{"name": name, "members": n, "created_at": created}
            for name, n, created in queries.organizations_with_member_counts(session)]


def resolve_organization(session: Session, name: str) -> int:
    """The id of the organization ``name``; on a database with none at all, create it.

    Never creates an organization when others exist: a typo must not start an
    empty hub. Only this first-run case writes.

    Raises:
        NotFoundError: ``name`` does not exist while other organizations do; the
            message lists the known ones and the command that creates ``name``.
    """
    found = queries.organization_id_named(session, name)
    if found is not None:
        return found
    known = queries.organization_names(session)
    if not known:
        check_org_name(name)
        try:
            # A savepoint: a daemon starting beside the first CLI command may win the race.
            with session.begin_nested():
                return add_organization(session, name).id
        except (IntegrityError, ConflictError):
            found = queries.organization_id_named(session, name)
            if found is None:
                raise
            return found
    raise _missing(session, name, known)


def _missing(session: Session, name: str, known: list[str]) -> NotFoundError:
    shown = ", ".join(known[:10]) + (f", … ({len(known) - 10} more)" if len(known) > 10 else "")
    return NotFoundError(f"organization {name!r} does not exist (known: {shown}); "
                         f"create it with `socialhub orgs add {shlex.quote(name)}`")
