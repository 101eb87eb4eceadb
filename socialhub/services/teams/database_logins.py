"""Database logins of members: on PostgreSQL each member connects as their own login role.

Minimal for now: the PostgreSQL part (creating the login role and granting it
``socialhub_app``) arrives with ``socialhub db roles``; this module keeps the
signature ``members add`` calls.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from socialhub.errors import ValidationError


def ensure_member_login(session: Session, login: str, password: str | None) -> bool:
    """Make sure ``login`` can connect to the database as itself; True when one was created.

    On SQLite a login is a local user name and nothing is created (False).

    Raises:
        ValidationError: on PostgreSQL, until database logins arrive with `db roles`.
    """
    if session.get_bind().dialect.name != "postgresql":
        return False
    raise ValidationError(
        f"cannot create the PostgreSQL login {login!r} yet: PostgreSQL logins arrive with "
        "`socialhub db roles`")
