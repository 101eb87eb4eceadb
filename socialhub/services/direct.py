"""Contexts for reads through the database driver alone: ``hub.context`` without SQLAlchemy.

A few reads cost less than loading SQLAlchemy and the models does (``posts list
--json --all``: half of its second). ``read_directly`` opens a ``DirectCtx`` on
the configured database through ``db.direct`` — a read-only SQLite connection, one
read transaction, the schema revision checked, the configured organization and the
acting member found as ``hub.context`` finds them — and runs a use case that takes
it. Whenever it cannot vouch for the same answer it answers None, and the caller
goes through the hub as before: PostgreSQL (row-level security and database logins
stay with the full path), an in-memory or optioned URL, SQL echo switched on, a
database to create or upgrade, an organization not created yet, a login that is not
a member yet (the full path claims the first owner or refuses, with its message),
a driver error. Importing this module loads no SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from socialhub.core.policy import Role
from socialhub.db.direct import DirectConnection, direct_database, read_direct
from socialhub.services.context import Actor, Channel, DirectCtx, sqlite_login

if TYPE_CHECKING:
    from socialhub.config import LoadedConfig

T = TypeVar("T")


def read_directly(config: LoadedConfig, channel: Channel,
                  read: Callable[[DirectCtx], T]) -> tuple[T] | None:
    """``(read(ctx),)`` with a ``DirectCtx`` on the configured SQLite database, or None
    when only the full path can answer (see the module docstring).

    Errors ``read`` raises (a refused permission) are raised, except the driver's
    errors and ValueError, which mean None.
    """
    settings = config.settings
    if settings.database.echo:
        return None  # the full path logs its SQL
    database = direct_database(config.database_url)
    if database is None or database.sqlite_file is None:
        return None

    def run(conn: DirectConnection, org_id: int) -> tuple[T] | None:
        login = sqlite_login()
        found = conn.member(org_id, login)
        if found is None:
            return None
        user_id, role = found
        ctx = DirectCtx(conn=conn, org_id=org_id, actor=Actor(name=login, role=Role(role),
                                                              user_id=user_id),
                        channel=channel, settings=settings)
        return (read(ctx),)

    return read_direct(database, settings.organization, run)
