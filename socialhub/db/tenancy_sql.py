"""The SQL behind tenancy on PostgreSQL: helper functions and the guard triggers.

``db/tenancy.py`` decides which tables get which policies; this module holds
the functions those policies call and the triggers that refuse what a policy
cannot express (escalation through ``memberships``, a reviewer editing a post's
text). Migration 0005 installs them; its downgrade drops them.

Who is acting: ``session_user``, the login the connection was opened as. A
member cannot change it (``SET ROLE`` changes ``current_user`` only, and
``SET SESSION AUTHORIZATION`` needs a superuser). Every function that reads
``memberships`` or ``users`` is ``SECURITY DEFINER``, owned by the role that
ran the migration, which must bypass row-level security (a superuser, or
``socialhub_migrate`` with ``BYPASSRLS``); otherwise a policy on ``memberships``
would recurse into itself. Each has a fixed ``search_path``.

Migration 0005 runs this SQL as it is here: change it only together with a new
migration that replaces the functions (``CREATE OR REPLACE``) on databases
already past 0005.
"""

from __future__ import annotations

#: Rank of each role; writes need at least a rank (owner 5 … viewer 1).
ROLE_RANK = {"owner": 5, "admin": 4, "editor": 3, "reviewer": 2, "viewer": 1}

#: Every function this module creates, with its argument types (for DROP FUNCTION).
FUNCTIONS = (
    "socialhub_role_rank(text)",
    "socialhub_acting_orgs(text)",
    "socialhub_acting_rank(integer)",
    "socialhub_acting_user_id()",
    "socialhub_org_has_members(integer)",
    "socialhub_org_exists(integer)",
    "socialhub_other_owners(integer, integer)",
    "socialhub_acting_as_daemon()",
    "socialhub_bypasses_rls()",
    "socialhub_user_access(integer)",
    "socialhub_is_manager()",
    "socialhub_memberships_guard()",
    "socialhub_users_guard()",
    "socialhub_reviewer_guard()",
    "socialhub_ensure_login(text, text)",
)

#: (trigger, table, function) of every trigger this module creates.
TRIGGERS = (
    ("socialhub_memberships_guard", "memberships", "socialhub_memberships_guard"),
    ("socialhub_users_guard", "users", "socialhub_users_guard"),
    ("socialhub_posts_reviewer_guard", "posts", "socialhub_reviewer_guard"),
    ("socialhub_variants_reviewer_guard", "variants", "socialhub_reviewer_guard"),
)

_RANK_CASES = " ".join(f"WHEN '{role}' THEN {rank}" for role, rank in ROLE_RANK.items())


def function_sql(schema: str) -> list[str]:
    """The ``CREATE FUNCTION`` statements, with ``search_path`` fixed to ``schema``.

    Args:
        schema: the schema holding socialhub's tables, already quoted as an identifier.
    """
    path = f"SET search_path = pg_catalog, {schema}"
    definer = f"STABLE SECURITY DEFINER {path}"
    return [
        f"""CREATE FUNCTION socialhub_role_rank(role text) RETURNS integer
            LANGUAGE sql IMMUTABLE {path} AS $$
            SELECT CASE role {_RANK_CASES} ELSE 0 END $$""",
        # The organizations the acting login holds at least min_role in, narrowed to
        # the one the transaction selected (SET LOCAL socialhub.org_id) when it did.
        f"""CREATE FUNCTION socialhub_acting_orgs(min_role text) RETURNS SETOF integer
            LANGUAGE sql {definer} AS $$
            SELECT m.org_id FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE u.login = session_user
              AND socialhub_role_rank(m.role) >= socialhub_role_rank(min_role)
              AND (NULLIF(current_setting('socialhub.org_id', true), '') IS NULL
                   OR m.org_id::text = current_setting('socialhub.org_id', true)) $$""",
        f"""CREATE FUNCTION socialhub_acting_rank(org integer) RETURNS integer
            LANGUAGE sql {definer} AS $$
            SELECT COALESCE(max(socialhub_role_rank(m.role)), 0)
            FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE u.login = session_user AND m.org_id = org $$""",
        f"""CREATE FUNCTION socialhub_acting_user_id() RETURNS integer
            LANGUAGE sql {definer} AS $$
            SELECT id FROM users WHERE login = session_user $$""",
        f"""CREATE FUNCTION socialhub_org_has_members(org integer) RETURNS boolean
            LANGUAGE sql {definer} AS $$
            SELECT EXISTS (SELECT 1 FROM memberships WHERE org_id = org) $$""",
        f"""CREATE FUNCTION socialhub_org_exists(org integer) RETURNS boolean
            LANGUAGE sql {definer} AS $$
            SELECT EXISTS (SELECT 1 FROM organizations WHERE id = org) $$""",
        f"""CREATE FUNCTION socialhub_other_owners(org integer, membership integer)
            RETURNS integer LANGUAGE sql {definer} AS $$
            SELECT count(*)::integer FROM memberships
            WHERE org_id = org AND role = 'owner' AND id <> membership $$""",
        # Invoker's rights: current_user is the caller here. CASE keeps pg_has_role
        # from failing on a cluster where the group role was never created.
        f"""CREATE FUNCTION socialhub_acting_as_daemon() RETURNS boolean
            LANGUAGE sql STABLE {path} AS $$
            SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'socialhub_daemon')
                        THEN pg_has_role(current_user, 'socialhub_daemon', 'MEMBER')
                        ELSE false END $$""",
        f"""CREATE FUNCTION socialhub_bypasses_rls() RETURNS boolean
            LANGUAGE sql STABLE {path} AS $$
            SELECT COALESCE((SELECT rolsuper OR rolbypassrls FROM pg_roles
                             WHERE rolname = current_user), false) $$""",
        # What the acting login may do with a users row: 'self', 'manage' (an owner or
        # admin of an organization the person belongs to, or of any organization for a
        # person in none yet), 'see' (shares an organization), or NULL (nothing).
        f"""CREATE FUNCTION socialhub_user_access(target integer) RETURNS text
            LANGUAGE sql {definer} AS $$
            SELECT CASE
              WHEN EXISTS (SELECT 1 FROM users WHERE id = target AND login = session_user)
                THEN 'self'
              WHEN EXISTS (SELECT 1 FROM memberships t JOIN memberships me
                             ON me.org_id = t.org_id JOIN users u ON u.id = me.user_id
                           WHERE t.user_id = target AND u.login = session_user
                             AND me.role IN ('owner', 'admin'))
                THEN 'manage'
              WHEN NOT EXISTS (SELECT 1 FROM memberships WHERE user_id = target)
                   AND EXISTS (SELECT 1 FROM memberships me JOIN users u ON u.id = me.user_id
                               WHERE u.login = session_user AND me.role IN ('owner', 'admin'))
                THEN 'manage'
              WHEN EXISTS (SELECT 1 FROM memberships t JOIN memberships me
                             ON me.org_id = t.org_id JOIN users u ON u.id = me.user_id
                           WHERE t.user_id = target AND u.login = session_user)
                THEN 'see'
              ELSE NULL END $$""",
        f"""CREATE FUNCTION socialhub_is_manager() RETURNS boolean
            LANGUAGE sql {definer} AS $$
            SELECT EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
                           WHERE u.login = session_user AND m.role IN ('owner', 'admin')) $$""",
        _MEMBERSHIPS_GUARD.format(path=path),
        _USERS_GUARD.format(path=path),
        _REVIEWER_GUARD.format(path=path),
        _ENSURE_LOGIN.format(path=path),
    ]


# The database's own refusal of escalation through the memberships table. The
# last-owner rule holds for everyone (a superuser too), except while the
# organization itself is being deleted (its memberships go with it).
_MEMBERSHIPS_GUARD = """
CREATE FUNCTION socialhub_memberships_guard() RETURNS trigger
LANGUAGE plpgsql {path} AS $$
DECLARE
  actor integer;
  org integer;
BEGIN
  IF NOT socialhub_bypasses_rls() THEN
    IF TG_OP = 'UPDATE' AND (NEW.org_id <> OLD.org_id OR NEW.user_id <> OLD.user_id) THEN
      RAISE EXCEPTION 'permission denied: a membership cannot move to another organization '
        'or person' USING ERRCODE = 'insufficient_privilege';
    END IF;
    org := CASE WHEN TG_OP = 'DELETE' THEN OLD.org_id ELSE NEW.org_id END;
    actor := socialhub_acting_rank(org);
    IF TG_OP IN ('UPDATE', 'DELETE') AND socialhub_role_rank(OLD.role) > actor THEN
      RAISE EXCEPTION 'permission denied: a member whose role (%) is above yours cannot be '
        'changed', OLD.role USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
      IF socialhub_role_rank(NEW.role) = 0 THEN
        RAISE EXCEPTION 'unknown role %', NEW.role USING ERRCODE = 'check_violation';
      END IF;
      IF NOT (TG_OP = 'INSERT' AND actor = 0 AND NEW.role = 'owner'
              AND NOT socialhub_org_has_members(org)
              AND NEW.user_id = socialhub_acting_user_id())
         AND socialhub_role_rank(NEW.role) > actor THEN
        RAISE EXCEPTION 'permission denied: nobody may grant a role above their own (%)',
          NEW.role USING ERRCODE = 'insufficient_privilege';
      END IF;
    END IF;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.role = 'owner'
     AND (TG_OP = 'DELETE' OR NEW.role <> 'owner' OR NEW.org_id <> OLD.org_id)
     AND socialhub_org_exists(OLD.org_id)
     AND socialhub_other_owners(OLD.org_id, OLD.id) = 0 THEN
    RAISE EXCEPTION 'the last owner of an organization cannot be removed or demoted'
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$"""

# Who a person is to the database is users.login: once set, nobody but a
# superuser (or the migrate role) may point a row at another login.
_USERS_GUARD = """
CREATE FUNCTION socialhub_users_guard() RETURNS trigger
LANGUAGE plpgsql {path} AS $$
BEGIN
  IF OLD.login IS NOT NULL AND NEW.login IS DISTINCT FROM OLD.login
     AND NOT socialhub_bypasses_rls() THEN
    RAISE EXCEPTION 'permission denied: a person''s login cannot be changed'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$"""

# A reviewer approves, requests changes and schedules; it never edits content.
# TG_ARGV: the columns a reviewer may change. Posts carry org_id; variants find
# theirs through their post.
_REVIEWER_GUARD = """
CREATE FUNCTION socialhub_reviewer_guard() RETURNS trigger
LANGUAGE plpgsql {path} AS $$
DECLARE
  org integer;
  allowed text[] := TG_ARGV;
BEGIN
  IF socialhub_bypasses_rls() OR socialhub_acting_as_daemon() THEN
    RETURN NEW;
  END IF;
  IF TG_TABLE_NAME = 'posts' THEN
    org := OLD.org_id;
  ELSE
    SELECT p.org_id INTO org FROM posts p WHERE p.id = OLD.post_id;
  END IF;
  IF socialhub_acting_rank(org) = 2
     AND (to_jsonb(NEW) - allowed) IS DISTINCT FROM (to_jsonb(OLD) - allowed) THEN
    RAISE EXCEPTION
      'permission denied: a reviewer may only approve, request changes or schedule (%)',
      TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$"""

# A member login for `members add`: created only when missing (an existing role,
# its password included, is never touched), always an ordinary login in
# socialhub_app. Callable by a superuser, a CREATEROLE login, or an owner or
# admin of some organization; runs with the rights of its owner (socialhub_migrate,
# which holds CREATEROLE). format() quotes the name (%I) and the password (%L).
_ENSURE_LOGIN = """
CREATE FUNCTION socialhub_ensure_login(login text, secret text) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER {path} AS $$
BEGIN
  IF NOT (COALESCE((SELECT rolsuper OR rolcreaterole FROM pg_roles
                    WHERE rolname = session_user), false)
          OR socialhub_is_manager()) THEN
    RAISE EXCEPTION 'permission denied: only an owner or admin may create member logins'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF login IS NULL OR login !~ '^[A-Za-z_][A-Za-z0-9_.@-]{{0,62}}$'
     OR login ~* '^(pg_|socialhub_)' THEN
    RAISE EXCEPTION 'not a usable login name: %', login USING ERRCODE = 'invalid_name';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'socialhub_app') THEN
    RAISE EXCEPTION 'the role socialhub_app does not exist; run `socialhub db roles --apply` first'
      USING ERRCODE = 'undefined_object';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = login) THEN
    RETURN false;
  END IF;
  IF secret IS NULL THEN
    EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS', login);
  ELSE
    EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS '
                   'PASSWORD %L', login, secret);
  END IF;
  EXECUTE format('GRANT socialhub_app TO %I', login);
  RETURN true;
END $$"""


def trigger_sql(reviewer_columns: dict[str, tuple[str, ...]]) -> list[str]:
    """The ``CREATE TRIGGER`` statements: the memberships and users guards, and a
    reviewer guard on each table of ``reviewer_columns`` (table → columns a reviewer
    may change)."""
    stmts = [
        "CREATE TRIGGER socialhub_memberships_guard BEFORE INSERT OR UPDATE OR DELETE "
        "ON memberships FOR EACH ROW EXECUTE FUNCTION socialhub_memberships_guard()",
        "CREATE TRIGGER socialhub_users_guard BEFORE UPDATE ON users "
        "FOR EACH ROW EXECUTE FUNCTION socialhub_users_guard()",
    ]
    for table, columns in reviewer_columns.items():
        args = ", ".join(f"'{c}'" for c in columns)
        stmts.append(f"CREATE TRIGGER socialhub_{table}_reviewer_guard BEFORE UPDATE ON {table} "
                     f"FOR EACH ROW EXECUTE FUNCTION socialhub_reviewer_guard({args})")
    return stmts
