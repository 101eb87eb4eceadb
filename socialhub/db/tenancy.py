"""Tenancy in the database: which tables belong to an organization, and their policies.

On PostgreSQL every organization-owned table has ``FORCE ROW LEVEL SECURITY``
and the policies below (migration 0005; see docs/security.md). A row is
visible to a login that is a member of the row's organization — narrowed to
one organization when the transaction selected it with
:func:`select_organization` — and writable when the member's role reaches the
table's minimum for that kind of write. Members of ``socialhub_daemon`` pass
every policy of the content tables (the daemon works across organizations) but
only read ``organizations``, ``memberships`` and ``users``.

A later migration that adds an organization-owned table calls
:func:`protect_table` with an :class:`OrgOwned` for it (and
:func:`unprotect_table` in its downgrade); ``tests/db/test_tenancy.py`` fails
while any table with an ``org_id`` column lacks FORCE RLS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.orm import Session


class _Executes(Protocol):
    def execute(self, sqltext: str) -> object: ...


class _Scalar(Protocol):
    def __call__(self, sqltext: str) -> object: ...


@dataclass(frozen=True)
class OrgOwned:
    """One organization-owned table and who may write it.

    Attributes:
        table: the table name.
        org: SQL giving a row's organization id (columns qualified by the table name).
        insert, update, delete: the least role that may do that (``None``: no member may).
        daemon: ``"all"`` when the daemon may read and write, ``"read"`` for reading only.
        same_org: SQL that must hold for a member's insert or update: every other
            parent the row points to belongs to the row's organization. Foreign keys
            bypass RLS, so without it a member could point their delivery at another
            organization's variant and have the daemon publish its text.
    """

    table: str
    org: str
    insert: str | None = "editor"
    update: str | None = "editor"
    delete: str | None = "editor"
    daemon: str = "all"
    same_org: str | None = None


def _via_account(table: str) -> str:
    return f"(SELECT a.org_id FROM accounts a WHERE a.id = {table}.account_id)"


def _via_post(table: str) -> str:
    return f"(SELECT p.org_id FROM posts p WHERE p.id = {table}.post_id)"


def _in_org(table: str, column: str, parent: str, org: str) -> str:
    """``table.column`` is NULL or names a row of ``parent`` in organization ``org``."""
    return (f"({table}.{column} IS NULL OR EXISTS (SELECT 1 FROM {parent} x "
            f"WHERE x.id = {table}.{column} AND x.org_id = {org}))")


def _via_delivery(table: str) -> str:
    return (f"(SELECT a.org_id FROM deliveries d JOIN accounts a ON a.id = d.account_id "
            f"WHERE d.id = {table}.delivery_id)")


#: The organization-owned tables as migration 0005 protects them — frozen, like
#: the migration: a later table or policy change is a new migration (which adds
#: its entry to ``ORG_OWNED``). ``users`` (a person may belong to several
#: organizations) has its own policies; ``job_runs`` (the daemons' heartbeats)
#: and ``alembic_version`` belong to the installation.
TABLES_AT_0005: tuple[OrgOwned, ...] = (
    OrgOwned("organizations", "organizations.id", insert=None, update="admin",
             delete="owner", daemon="read"),
    OrgOwned("memberships", "memberships.org_id", insert="admin", update="admin",
             delete="admin", daemon="read"),
    OrgOwned("accounts", "accounts.org_id", insert="admin", update="reviewer",
             delete="admin"),
    OrgOwned("credentials", _via_account("credentials"), insert="admin", update="reviewer",
             delete="admin"),
    OrgOwned("voice_profiles", "voice_profiles.org_id"),
    OrgOwned("campaigns", "campaigns.org_id"),
    OrgOwned("posts", "posts.org_id", update="reviewer",
             same_org=(_in_org("posts", "voice_id", "voice_profiles", "posts.org_id") + " AND "
                       + _in_org("posts", "campaign_id", "campaigns", "posts.org_id"))),
    OrgOwned("variants", _via_post("variants"), update="reviewer",
             same_org=f"{_via_post('variants')} = {_via_account('variants')}"),
    OrgOwned("deliveries", _via_account("deliveries"), insert="reviewer", update="reviewer",
             delete="reviewer",
             same_org=("(SELECT p.org_id FROM variants v JOIN posts p ON p.id = v.post_id "
                       f"WHERE v.id = deliveries.variant_id) = {_via_account('deliveries')}")),
    OrgOwned("attempts", _via_delivery("attempts"), insert="reviewer", update="reviewer"),
    OrgOwned("metric_snapshots", _via_delivery("metric_snapshots"), insert="reviewer",
             update="reviewer"),
    OrgOwned("slots", _via_account("slots")),
    OrgOwned("recurrences", _via_post("recurrences")),
    OrgOwned("media", "media.org_id"),
    OrgOwned("post_comments", "post_comments.org_id", insert="reviewer", update="admin",
             delete="admin", same_org=f"{_via_post('post_comments')} = post_comments.org_id"),
    OrgOwned("audit_events", "audit_events.org_id", insert="reviewer", update=None,
             delete=None),
    OrgOwned("ai_usage", "ai_usage.org_id"),
)

#: Migration 0006: each account's daily counts and each delivery's newest metrics.
ACCOUNT_SNAPSHOTS = OrgOwned("account_snapshots", _via_account("account_snapshots"),
                             insert="reviewer", update="reviewer")
METRIC_LATEST = OrgOwned("metric_latest", _via_delivery("metric_latest"), insert="reviewer",
                         update="reviewer")

#: Migration 0007: the state of each repository an organization syncs from.
GIT_SYNCS = OrgOwned("git_syncs", "git_syncs.org_id")

#: Migration 0009: the alerts already raised (each is told once).
ALERTS_SENT = OrgOwned("alerts_sent", "alerts_sent.org_id")

#: Migration 0010: the inbox. Anyone who may read the inbox may sync it (a sync adds
#: items and moves the cursor); archiving, assigning and marking are editors'.
INBOX_ITEMS = OrgOwned("inbox_items", "inbox_items.org_id", insert="viewer", update="editor",
                       delete="admin",
                       same_org=f"{_via_account('inbox_items')} = inbox_items.org_id")
INBOX_CURSORS = OrgOwned("inbox_cursors", _via_account("inbox_cursors"), insert="viewer",
                         update="viewer", delete="admin")

#: Migration 0011: workflow rules (editors apply them) and their execution log (the
#: daemon writes it; a member's ``rules test`` writes nothing).
RULES = OrgOwned("rules", "rules.org_id")
RULE_RUNS = OrgOwned("rule_runs", "rule_runs.org_id", insert="editor", update=None,
                     delete="admin",
                     same_org="(SELECT r.org_id FROM rules r WHERE r.id = rule_runs.rule_id) "
                              "= rule_runs.org_id")

#: Migration 0016: content policies (editors apply them); a campaign policy's campaign
#: must be the policy's organization's.
POLICIES = OrgOwned("policies", "policies.org_id",
                    same_org=_in_org("policies", "campaign_id", "campaigns", "policies.org_id"))
#: Migration 0012: API tokens and the answers kept for idempotency keys. Any member
#: may make a token for themself (``api_tokens.manage``); the daemon serving the
#: API reads tokens, marks them used and records idempotent answers.
API_TOKENS = OrgOwned("api_tokens", "api_tokens.org_id", insert="viewer", update="viewer",
                      delete="admin")
API_IDEMPOTENCY = OrgOwned("api_idempotency", "api_idempotency.org_id", insert="viewer",
                           update=None, delete="admin",
                           same_org="(SELECT t.org_id FROM api_tokens t WHERE t.id = "
                                    "api_idempotency.token_id) = api_idempotency.org_id")
#: Migration 0017: experiments (editors apply them) and their arms, each arm a post of
#: the same organization.
EXPERIMENTS = OrgOwned("experiments", "experiments.org_id",
                       same_org=_in_org("experiments", "campaign_id", "campaigns",
                                        "experiments.org_id"))
_VIA_EXPERIMENT = ("(SELECT e.org_id FROM experiments e "
                   "WHERE e.id = experiment_arms.experiment_id)")
EXPERIMENT_ARMS = OrgOwned("experiment_arms", _VIA_EXPERIMENT,
                           same_org=f"{_via_post('experiment_arms')} = {_VIA_EXPERIMENT}")
# Written by whoever published the event (any member: a viewer's inbox sync publishes
# too) and updated by the attempt that process makes; the daemon sends the retries.
WEBHOOK_DELIVERIES = OrgOwned("webhook_deliveries", "webhook_deliveries.org_id",
                              insert="viewer", update="viewer", delete="admin")
#: Migration 0015: first-party short links (written when a variant is sent, by the daemon
#: or a member's ``posts publish``) and their daily click counts (the daemon's redirect).
SHORT_LINKS = OrgOwned("short_links", "short_links.org_id", insert="editor", update=None,
                       delete="admin",
                       same_org=f"{_via_post('short_links')} = short_links.org_id")
LINK_CLICKS_DAILY = OrgOwned("link_clicks_daily", "link_clicks_daily.org_id", insert=None,
                             update=None, delete="admin",
                             same_org="(SELECT l.org_id FROM short_links l WHERE "
                                      "l.id = link_clicks_daily.link_id) = "
                                      "link_clicks_daily.org_id")
#: Migration 0020: what an apply last recorded of each post's manifest (an editor applies).
MANIFEST_DIGESTS = OrgOwned("manifest_digests", "manifest_digests.org_id")

#: Every organization-owned table of the current schema: 0005's, plus those later
#: migrations protect (append them here).
ORG_OWNED: tuple[OrgOwned, ...] = (*TABLES_AT_0005, ACCOUNT_SNAPSHOTS, METRIC_LATEST,
                                    GIT_SYNCS, ALERTS_SENT, INBOX_ITEMS, INBOX_CURSORS, RULES,
                                    RULE_RUNS, POLICIES, API_TOKENS, API_IDEMPOTENCY,
                                    EXPERIMENTS, EXPERIMENT_ARMS, WEBHOOK_DELIVERIES,
                                    SHORT_LINKS, LINK_CLICKS_DAILY, MANIFEST_DIGESTS)

#: The columns a reviewer may change (the guard trigger refuses any other).
REVIEWER_COLUMNS = {
    "posts": ("status", "approved_by", "approved_at", "approved_digest", "updated_at"),
    "variants": ("scheduled_at", "local_time", "timezone", "updated_at"),
}


def _member(spec: OrgOwned, least: str) -> str:
    return f"({spec.org}) IN (SELECT socialhub_acting_orgs('{least}'))"


def _extra(spec: OrgOwned, command: str) -> str:
    """What a table allows beyond membership, per command."""
    if spec.table == "organizations" and command == "select":
        # A new organization is visible (so INSERT … RETURNING works) until its
        # first member joins; after that only to its members.
        return " OR NOT socialhub_org_has_members(organizations.id)"
    if spec.table == "memberships" and command == "insert":
        # The creator of a new organization makes themself its owner (the
        # guard trigger checks the rest: no other member yet, their own row).
        return (" OR (NOT socialhub_org_has_members(memberships.org_id)"
                " AND memberships.user_id = socialhub_acting_user_id())")
    if spec.table == "audit_events" and command in ("select", "insert"):
        return " OR audit_events.org_id IS NULL"  # installation-wide events
    return ""


def _and(spec: OrgOwned) -> str:
    return f" AND ({spec.same_org})" if spec.same_org else ""


def policy_sql(spec: OrgOwned) -> list[str]:
    """The ``ENABLE``/``FORCE`` and ``CREATE POLICY`` statements for ``spec``."""
    t = spec.table
    stmts = [f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY",
             f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY",
             f"CREATE POLICY {t}_member_select ON {t} FOR SELECT "
             f"USING ({_member(spec, 'viewer')}{_extra(spec, 'select')})"]
    if spec.table == "organizations":
        # Anyone may start an organization; they become its first owner.
        stmts.append(f"CREATE POLICY {t}_member_insert ON {t} FOR INSERT WITH CHECK (true)")
    elif spec.insert:
        check = f"({_member(spec, spec.insert)}{_extra(spec, 'insert')}){_and(spec)}"
        stmts.append(f"CREATE POLICY {t}_member_insert ON {t} FOR INSERT WITH CHECK ({check})")
    if spec.update:
        cond = _member(spec, spec.update)
        stmts.append(f"CREATE POLICY {t}_member_update ON {t} FOR UPDATE "
                     f"USING ({cond}) WITH CHECK ({cond}{_and(spec)})")
    if spec.delete:
        stmts.append(f"CREATE POLICY {t}_member_delete ON {t} FOR DELETE "
                     f"USING ({_member(spec, spec.delete)})")
    command = "ALL" if spec.daemon == "all" else "SELECT"
    check = " WITH CHECK (socialhub_acting_as_daemon())" if spec.daemon == "all" else ""
    stmts.append(f"CREATE POLICY {t}_daemon ON {t} FOR {command} "
                 f"USING (socialhub_acting_as_daemon()){check}")
    return stmts


def policy_names(spec: OrgOwned) -> list[str]:
    """The names of the policies :func:`policy_sql` creates for ``spec``."""
    names = ["member_select", "member_insert" if (spec.insert or spec.table == "organizations")
             else "", "member_update" if spec.update else "",
             "member_delete" if spec.delete else "", "daemon"]
    return [f"{spec.table}_{n}" for n in names if n]


def protect_table(conn: _Executes, spec: OrgOwned) -> None:
    """Give ``spec.table`` FORCE RLS and the member and daemon policies (PostgreSQL only).

    For migrations: ``protect_table(op, OrgOwned("new_table", "new_table.org_id"))``.
    """
    for stmt in policy_sql(spec):
        conn.execute(stmt)


def unprotect_table(conn: _Executes, spec: OrgOwned) -> None:
    """Drop ``spec.table``'s policies and turn row-level security off again."""
    for name in policy_names(spec):
        conn.execute(f"DROP POLICY IF EXISTS {name} ON {spec.table}")
    conn.execute(f"ALTER TABLE {spec.table} NO FORCE ROW LEVEL SECURITY")
    conn.execute(f"ALTER TABLE {spec.table} DISABLE ROW LEVEL SECURITY")


#: The policies of ``users``: a person sees themself and the people they share an
#: organization with; owners and admins manage the people of their organizations.
USERS_POLICIES = (
    "ALTER TABLE users ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE users FORCE ROW LEVEL SECURITY",
    "CREATE POLICY users_member_select ON users FOR SELECT "
    "USING (socialhub_user_access(users.id) IS NOT NULL)",
    "CREATE POLICY users_member_insert ON users FOR INSERT "
    "WITH CHECK (users.login = session_user OR socialhub_is_manager())",
    "CREATE POLICY users_member_update ON users FOR UPDATE "
    "USING (socialhub_user_access(users.id) IN ('self', 'manage')) "
    "WITH CHECK (socialhub_user_access(users.id) IN ('self', 'manage'))",
    "CREATE POLICY users_member_delete ON users FOR DELETE "
    "USING (socialhub_user_access(users.id) = 'manage')",
    "CREATE POLICY users_daemon ON users FOR SELECT USING (socialhub_acting_as_daemon())",
)
USERS_POLICY_NAMES = ("users_member_select", "users_member_insert", "users_member_update",
                      "users_member_delete", "users_daemon")


def select_organization(session: Session, org_id: int) -> None:
    """Narrow the rest of this transaction to organization ``org_id`` (PostgreSQL).

    ``set_config(…, true)`` is ``SET LOCAL``: it ends with the transaction, so a
    pooled connection (or a pooler in transaction mode) never carries it into
    someone else's work. The policies then show only that organization's rows,
    even to a member of several. A no-op on SQLite.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text("SELECT set_config('socialhub.org_id', :org, true)"),
                    {"org": str(int(org_id))})


def install_tenancy(conn: _Executes, scalar: _Scalar) -> None:
    """Install the functions, guard triggers and policies of migration 0005 (PostgreSQL).

    Args:
        conn: runs one statement (Alembic's ``op``, or a connection wrapper).
        scalar: returns the first column of a query's first row.

    Raises:
        DatabaseError: the migrating role neither is a superuser nor has BYPASSRLS,
            so the membership look-ups in the policies would recurse.
    """
    from socialhub.db.tenancy_sql import function_sql, trigger_sql
    from socialhub.errors import DatabaseError

    if not scalar("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"):
        who = scalar("SELECT current_user")
        raise DatabaseError(
            f"role {who} may not install row-level security: it must be a superuser or have "
            "BYPASSRLS (the functions the policies call run as the schema owner)",
            hint="migrate as socialhub_migrate (made by `socialhub db roles --apply`), "
                 f"or as a superuser: ALTER ROLE {who} BYPASSRLS")
    schema = str(scalar("SELECT quote_ident(current_schema())"))
    for stmt in function_sql(schema):
        conn.execute(stmt)
    for stmt in trigger_sql(dict(REVIEWER_COLUMNS)):
        conn.execute(stmt)
    for spec in TABLES_AT_0005:
        protect_table(conn, spec)
    for stmt in USERS_POLICIES:
        conn.execute(stmt)


def uninstall_tenancy(conn: _Executes) -> None:
    """Undo :func:`install_tenancy`: policies, triggers and functions, in that order."""
    from socialhub.db.tenancy_sql import FUNCTIONS, TRIGGERS

    for name in USERS_POLICY_NAMES:
        conn.execute(f"DROP POLICY IF EXISTS {name} ON users")
    conn.execute("ALTER TABLE users NO FORCE ROW LEVEL SECURITY")
    conn.execute("ALTER TABLE users DISABLE ROW LEVEL SECURITY")
    for spec in reversed(TABLES_AT_0005):
        unprotect_table(conn, spec)
    for trigger, table, _function in TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for signature in reversed(FUNCTIONS):
        conn.execute(f"DROP FUNCTION IF EXISTS {signature}")
