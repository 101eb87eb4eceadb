"""Member logins on PostgreSQL: the database role a person connects as.

``members add`` calls :func:`ensure_member_login`; the SQL lives in
``db/roles.py`` (a function installed by migration 0005 creates the role, so an
owner or admin needs no CREATEROLE of their own).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from socialhub.db.roles import ensure_login


def ensure_member_login(session: Session, login: str, password: str | None) -> bool:
    """Make sure the PostgreSQL login ``login`` exists and is in ``socialhub_app``.

    Created with ``password``, or with none for peer, trust or certificate
    authentication; an existing role is left exactly as it is (its password is
    never changed). The password is never logged. On SQLite, where a login is a
    local user name, nothing happens.

    Returns:
        True when the login was created; False when it existed or on SQLite.

    Raises:
        ValidationError: ``login`` cannot name a member login.
        PermissionDeniedError: the acting login is not an owner or admin anywhere.
        DatabaseError: ``socialhub_app`` is missing (run ``socialhub db roles --apply``).
    """
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return False
    return ensure_login(conn, login, password)
