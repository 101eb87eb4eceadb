"""The PostgreSQL roles of an installation, and member logins.

Four group roles (docs/security.md):

- ``socialhub_migrate`` — LOGIN, owns the schema and every table, runs Alembic;
  ``BYPASSRLS`` (the policies' membership look-ups run as the table owner) and
  ``CREATEROLE`` (``members add`` creates member logins through a function it owns).
- ``socialhub_app`` — NOLOGIN group of every person's login: DML on all tables
  and sequences, no DDL, not the owner, no BYPASSRLS.
- ``socialhub_ro`` — NOLOGIN, SELECT only (dashboards); still subject to RLS.
- ``socialhub_daemon`` — NOLOGIN, member of ``socialhub_app``; the daemon's login
  joins it and passes the daemon policies of every organization.

Identifiers are quoted by the dialect (``quote_identifier``) and values are
bound parameters: nothing a person types is pasted into SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from socialhub.errors import DatabaseError, PermissionDeniedError, ValidationError


@dataclass(frozen=True)
class GroupRole:
    """One role ``db roles`` creates: its name, attributes and what it is for."""

    name: str
    attributes: str
    purpose: str
    member_of: str | None = None


MIGRATE, APP, RO, DAEMON = "socialhub_migrate", "socialhub_app", "socialhub_ro", "socialhub_daemon"

GROUP_ROLES: tuple[GroupRole, ...] = (
    GroupRole(MIGRATE, "LOGIN NOSUPERUSER NOCREATEDB CREATEROLE BYPASSRLS",
              "owns the schema, runs `socialhub db upgrade`, creates member logins"),
    GroupRole(APP, "NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS",
              "every member's login is in it: reads and writes rows, under RLS"),
    GroupRole(RO, "NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS",
              "read-only (dashboards), under RLS: its logins see their organizations"),
    GroupRole(DAEMON, "NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS",
              "the daemon's login is in it: publishes for every organization", member_of=APP),
)


def is_postgres(conn: Connection) -> bool:
    """True when ``conn`` is a PostgreSQL connection."""
    return conn.dialect.name == "postgresql"


def role_exists(conn: Connection, name: str) -> bool:
    """Whether the cluster has a role called ``name``."""
    return bool(conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"),
                             {"n": name}).first())


def _q(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(name)


def role_statements(conn: Connection) -> list[str]:
    """The statements that bring this database's roles and grants to the design.

    Every statement is safe to run again: roles are created only when missing,
    then their attributes set; grants and ownership are idempotent.
    """
    schema = _q(conn, str(conn.execute(text("SELECT current_schema()")).scalar()))
    database = _q(conn, str(conn.execute(text("SELECT current_database()")).scalar()))
    stmts: list[str] = []
    for role in GROUP_ROLES:
        if not role_exists(conn, role.name):
            stmts.append(f"CREATE ROLE {role.name} {role.attributes}")
        stmts.append(f"ALTER ROLE {role.name} {role.attributes}")
        if role.member_of:
            stmts.append(f"GRANT {role.member_of} TO {role.name}")
    stmts += [
        # PostgreSQL 16 asks for ADMIN OPTION to grant a role; members add needs it.
        f"GRANT {APP} TO {MIGRATE} WITH ADMIN OPTION",
        f"GRANT CONNECT ON DATABASE {database} TO {MIGRATE}, {APP}, {RO}",
        f"GRANT USAGE, CREATE ON SCHEMA {schema} TO {MIGRATE}",
        f"GRANT USAGE ON SCHEMA {schema} TO {APP}, {RO}",
    ]
    stmts += _ownership(conn, schema)
    stmts += [
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {APP}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO {APP}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {RO}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {MIGRATE} IN SCHEMA {schema} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {MIGRATE} IN SCHEMA {schema} "
        f"GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {APP}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {MIGRATE} IN SCHEMA {schema} "
        f"GRANT SELECT ON TABLES TO {RO}",
    ]
    if conn.execute(text("SELECT to_regclass('alembic_version')")).scalar():
        # Only the migrate role moves the schema version.
        stmts.append(f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {APP}")
    return stmts


def _ownership(conn: Connection, schema: str) -> list[str]:
    """``ALTER … OWNER TO socialhub_migrate`` for every table, sequence and socialhub
    function of the schema that someone else owns (an existing database)."""
    rows = conn.execute(text(
        "SELECT c.relkind, quote_ident(c.relname) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'S', 'v') "
        "AND pg_get_userbyid(c.relowner) <> :owner "
        "AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid "
        "AND d.deptype IN ('a', 'i'))) ORDER BY c.relname"), {"owner": MIGRATE}).all()
    kinds = {"r": "TABLE", "p": "TABLE", "S": "SEQUENCE", "v": "VIEW"}
    stmts = [f"ALTER {kinds[kind]} {schema}.{name} OWNER TO {MIGRATE}" for kind, name in rows]
    functions = conn.execute(text(
        "SELECT p.oid::regprocedure::text FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = current_schema() AND p.proname LIKE 'socialhub\\_%' "
        "AND pg_get_userbyid(p.proowner) <> :owner ORDER BY 1"), {"owner": MIGRATE}).scalars()
    stmts += [f"ALTER FUNCTION {signature} OWNER TO {MIGRATE}" for signature in functions]
    return stmts


def apply_role_statements(conn: Connection, statements: list[str]) -> None:
    """Run ``statements`` (from :func:`role_statements`) as a superuser.

    Raises:
        PermissionDeniedError: the connection's role is not a superuser (BYPASSRLS and
            ownership of every table need one).
    """
    if not conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))\
            .scalar():
        raise PermissionDeniedError(
            "`db roles --apply` needs a superuser connection (it grants BYPASSRLS and "
            "hands every table to socialhub_migrate)",
            hint="set database.url to a superuser for this one command, e.g. "
                 "SOCIALHUB_DATABASE_URL=postgresql+psycopg://postgres@host/db")
    for stmt in statements:
        conn.execute(text(stmt))


def ensure_login(conn: Connection, login: str, password: str | None) -> bool:
    """Create the member login ``login`` in ``socialhub_app`` unless it exists.

    Runs ``socialhub_ensure_login`` (migration 0005), which the migrate role owns:
    the caller needs no CREATEROLE, only to be an owner or admin of an organization
    (or a superuser). The password travels as a bound parameter and is quoted by
    ``format('%L')`` inside the function; it is never logged.

    Returns:
        True when the login was created, False when it existed already (it is
        left exactly as it was, password included).

    Raises:
        ValidationError: ``login`` cannot name a member login.
        PermissionDeniedError: the caller may not create logins.
        DatabaseError: ``socialhub_app`` is missing, or the function's owner lacks
            CREATEROLE.
    """
    # Straight to the driver: SQLAlchemy's echo would log the bound password.
    cursor = conn.connection.cursor()
    try:
        cursor.execute("SELECT socialhub_ensure_login(%s, %s)", (login, password))
        row = cursor.fetchone()
    except Exception as exc:
        code = getattr(exc, "sqlstate", None)
        if code is None:
            raise
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if code == "42602":
            raise ValidationError(f"{login!r} cannot name a member login (letters, digits, "
                                  "_ . @ -; not pg_… or socialhub_…)") from None
        if code == "42501":
            raise PermissionDeniedError(first.removeprefix("permission denied: "),
                                        hint="ask an owner or admin of the organization") \
                from None
        raise DatabaseError(f"cannot create the login {login!r}: {first}") from None
    finally:
        cursor.close()
    return bool(row and row[0])
