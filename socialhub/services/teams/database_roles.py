"""``socialhub db roles``: the PostgreSQL roles of an installation, shown or created.

Installation-wide (not a use case of one organization): it works on the
configured database as whoever ``database.url`` names, which for ``--apply``
must be a superuser. The SQL is in ``db/roles.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import OperationalError

from socialhub.config import LoadedConfig
from socialhub.db.engine import describe_operational_error, is_sqlite, make_engine
from socialhub.db.roles import GROUP_ROLES, apply_role_statements, role_exists, role_statements
from socialhub.errors import ValidationError


@dataclass
class RolesReport:
    """What ``db roles`` found and did: each role, the statements, whether they ran."""

    roles: list[dict[str, Any]] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)
    applied: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {"roles": self.roles, "statements": self.statements, "applied": self.applied}


def database_roles(config: LoadedConfig, *, apply: bool = False) -> RolesReport:
    """List the socialhub roles and the statements that set them up; run them with ``apply``.

    Every statement is idempotent: a second ``apply`` creates nothing new and
    changes nothing. Existing tables, sequences and socialhub functions are handed
    to ``socialhub_migrate``.

    Raises:
        ValidationError: the database is SQLite (it has no roles).
        PermissionDeniedError: ``apply`` on a connection that is not a superuser.
        DatabaseError: the database cannot be reached.
    """
    if is_sqlite(config.database_url):
        raise ValidationError("database roles exist only on PostgreSQL; this database is SQLite "
                              "(set database.url to a postgresql+psycopg:// URL)")
    engine = make_engine(config.database_url)
    report = RolesReport()
    try:
        with engine.begin() as conn:
            report.statements = role_statements(conn)
            if apply:
                apply_role_statements(conn, report.statements)
                report.applied = True
            for role in GROUP_ROLES:
                report.roles.append({"name": role.name, "attributes": role.attributes,
                                     "purpose": role.purpose, "member_of": role.member_of,
                                     "exists": role_exists(conn, role.name)})
    except OperationalError as exc:
        raise describe_operational_error(exc) from None
    finally:
        engine.dispose()
    return report
