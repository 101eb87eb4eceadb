"""Row-level security on PostgreSQL: the database itself keeps organizations apart.

Every test connects as a real login role (a member of ``socialhub_app``, not a
superuser) over a raw SQL connection, the way a member with ``psql`` would.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from socialhub.db.models import Base
from socialhub.db.tenancy import ORG_OWNED
from tests.conftest import new_pg_database
from tests.pgcluster import PostgresCluster
from tests.tenancy_kit import Tenants, connect_as, make_tenants

pytestmark = pytest.mark.postgres

#: Tables that belong to the installation, not to one organization (docs/security.md).
INSTALLATION_TABLES = {"job_runs", "users"}
#: A harmless column to "update" in each table, to see whether the row is reachable.
TOUCH = {"organizations": "name", "accounts": "handle", "credentials": "key_id",
         "voice_profiles": "name", "campaigns": "name", "posts": "body", "variants": "text",
         "deliveries": "status", "attempts": "worker", "metric_snapshots": "likes",
         "slots": "time", "recurrences": "frequency", "media": "path",
         "post_comments": "body", "audit_events": "actor", "ai_usage": "task"}


@pytest.fixture
def tenants(pg_cluster: PostgresCluster) -> Tenants:
    return make_tenants(new_pg_database(pg_cluster))


@pytest.fixture
def pg_url(pg_cluster: PostgresCluster) -> Iterator[str]:
    yield new_pg_database(pg_cluster)


def test_every_table_with_an_org_id_column_has_forced_row_level_security(pg_url: str) -> None:
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        loose = conn.execute(text(
            "SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid "
            "WHERE a.attname = 'org_id' AND c.relkind = 'r' "
            "AND c.relnamespace = current_schema()::regnamespace "
            "AND NOT (c.relrowsecurity AND c.relforcerowsecurity)")).scalars().all()
        forced = set(conn.execute(text(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relforcerowsecurity "
            "AND relnamespace = current_schema()::regnamespace")).scalars())
    engine.dispose()
    assert loose == [], f"tables with org_id but no FORCE ROW LEVEL SECURITY: {loose}"
    assert {spec.table for spec in ORG_OWNED} | {"users"} <= forced


def test_every_model_table_is_either_organization_owned_or_named_installation_wide() -> None:
    owned = {spec.table for spec in ORG_OWNED}
    unclassified = set(Base.metadata.tables) - owned - INSTALLATION_TABLES
    assert not unclassified, (
        f"{sorted(unclassified)}: add an OrgOwned entry (db/tenancy.py) and call "
        "protect_table in the migration that creates the table")


def test_a_member_reads_only_their_organizations_rows_in_every_table(tenants: Tenants) -> None:
    with connect_as(tenants.url, tenants.logins["editor_a"]) as conn:
        for table in TOUCH:
            seen = set(conn.execute(text(f"SELECT id FROM {table}")).scalars())
            assert tenants.ids["a"][table] in seen, table
            assert tenants.ids["b"][table] not in seen, f"{table}: org b's row is visible"
        orgs = set(conn.execute(text("SELECT id FROM memberships")).scalars())
        assert orgs and conn.execute(text(
            "SELECT count(*) FROM memberships WHERE org_id = :b"),
            {"b": tenants.org["b"]}).scalar() == 0


@pytest.mark.parametrize("table", sorted(TOUCH))
def test_a_member_cannot_update_or_delete_another_organizations_rows(
        tenants: Tenants, table: str) -> None:
    row = tenants.ids["b"][table]
    column = TOUCH[table]
    with connect_as(tenants.url, tenants.logins["owner_a"]) as conn:
        updated = conn.execute(text(f"UPDATE {table} SET {column} = {column} WHERE id = :id"),
                               {"id": row})
        assert updated.rowcount == 0
        deleted = conn.execute(text(f"DELETE FROM {table} WHERE id = :id"), {"id": row})
        assert deleted.rowcount == 0
    with connect_as(tenants.url, tenants.logins["owner_b"]) as conn:  # still there
        assert conn.execute(text(f"SELECT count(*) FROM {table} WHERE id = :id"),
                            {"id": row}).scalar() == 1


INSERTS = {
    "posts": ("INSERT INTO posts (org_id, name, body, tags, paid, status, created_at, "
              "updated_at) VALUES (:org, 'sneaky', '', '[]', false, 'draft', now(), now())"),
    "variants": ("INSERT INTO variants (post_id, account_id, text, thread, media, options, "
                 "created_at, updated_at) VALUES (:post, :account, 'x', '[]', '[]', '{}', "
                 "now(), now())"),
    "deliveries": ("INSERT INTO deliveries (variant_id, account_id, due_at, next_attempt_at, "
                   "status, attempts, idempotency_key, thread_progress, created_at, updated_at) "
                   "VALUES (:variant, :account, now(), now(), 'scheduled', 0, 'sneaky', '[]', "
                   "now(), now())"),
    "attempts": "INSERT INTO attempts (delivery_id, started_at) VALUES (:delivery, now())",
    "credentials": ("INSERT INTO credentials (account_id, key_id, scopes, status, created_at, "
                    "updated_at) VALUES (:account, 'k', '[]', 'valid', now(), now())"),
    "audit_events": ("INSERT INTO audit_events (org_id, at, actor, action, record_kind, change) "
                     "VALUES (:org, now(), 'me', 'create', 'Post', '{}')"),
    "post_comments": ("INSERT INTO post_comments (org_id, post_id, author, kind, body, "
                      "created_at) VALUES (:org, :post, 'me', 'comment', 'x', now())"),
}


@pytest.mark.parametrize("table", sorted(INSERTS))
def test_a_member_cannot_insert_rows_into_another_organization(
        tenants: Tenants, table: str) -> None:
    b = tenants.ids["b"]
    params = {"org": tenants.org["b"], "post": b["posts"], "account": b["accounts"],
              "variant": b["variants"], "delivery": b["deliveries"]}
    with connect_as(tenants.url, tenants.logins["owner_a"]) as conn, \
            pytest.raises(ProgrammingError, match="row-level security"):
        conn.execute(text(INSERTS[table]), params)


def test_a_viewer_can_read_but_not_write(tenants: Tenants) -> None:
    a = tenants.ids["a"]
    with connect_as(tenants.url, tenants.logins["viewer_a"]) as conn:
        assert conn.execute(text("SELECT body FROM posts WHERE id = :id"),
                            {"id": a["posts"]}).scalar() == "hello from a"
        assert conn.execute(text("UPDATE posts SET body = 'defaced' WHERE id = :id"),
                            {"id": a["posts"]}).rowcount == 0
        assert conn.execute(text("DELETE FROM campaigns WHERE id = :id"),
                            {"id": a["campaigns"]}).rowcount == 0
        with pytest.raises(ProgrammingError, match="row-level security"):
            conn.execute(text(INSERTS["posts"]), {"org": tenants.org["a"]})


def test_an_editor_writes_their_own_organization(tenants: Tenants) -> None:
    a = tenants.ids["a"]
    with connect_as(tenants.url, tenants.logins["editor_a"]) as conn:
        assert conn.execute(text("UPDATE posts SET body = 'edited' WHERE id = :id"),
                            {"id": a["posts"]}).rowcount == 1
        conn.execute(text(INSERTS["posts"]), {"org": tenants.org["a"]})


def test_a_reviewer_approves_but_cannot_rewrite_a_post(tenants: Tenants) -> None:
    a = tenants.ids["a"]
    with connect_as(tenants.url, tenants.logins["reviewer_a"]) as conn:
        assert conn.execute(text(
            "UPDATE posts SET status = 'approved', approved_by = 'r', approved_at = now() "
            "WHERE id = :id"), {"id": a["posts"]}).rowcount == 1
        with pytest.raises(ProgrammingError, match="reviewer may only approve"):
            conn.execute(text("UPDATE posts SET body = 'rewritten' WHERE id = :id"),
                         {"id": a["posts"]})
    with connect_as(tenants.url, tenants.logins["reviewer_a"]) as conn:
        conn.execute(text(INSERTS["post_comments"]),
                     {"org": tenants.org["a"], "post": a["posts"]})
        with pytest.raises(ProgrammingError, match="row-level security"):
            conn.execute(text(INSERTS["posts"]), {"org": tenants.org["a"]})


def _my_membership(conn: object, org: int) -> int:
    return int(conn.execute(text(  # type: ignore[attr-defined]
        "SELECT m.id FROM memberships m JOIN users u ON u.id = m.user_id "
        "WHERE u.login = current_user AND m.org_id = :org"), {"org": org}).scalar())


def test_an_editor_cannot_make_themself_owner_by_editing_memberships(tenants: Tenants) -> None:
    with connect_as(tenants.url, tenants.logins["editor_a"]) as conn:
        mine = _my_membership(conn, tenants.org["a"])
        assert conn.execute(text("UPDATE memberships SET role = 'owner' WHERE id = :id"),
                            {"id": mine}).rowcount == 0
        with pytest.raises(ProgrammingError, match=r"row-level security|above their own"):
            conn.execute(text(
                "INSERT INTO memberships (org_id, user_id, role, created_at, updated_at) "
                "SELECT :org, id, 'owner', now(), now() FROM users WHERE login = current_user"),
                {"org": tenants.org["b"]})
    with connect_as(tenants.url, tenants.logins["owner_a"]) as conn:
        assert conn.execute(text("SELECT role FROM memberships WHERE id = :id"),
                            {"id": mine}).scalar() == "editor"


def test_an_admin_cannot_grant_above_their_own_role_nor_touch_an_owner(
        tenants: Tenants) -> None:
    org = tenants.org["a"]
    with connect_as(tenants.url, tenants.logins["admin_a"]) as conn:
        mine = _my_membership(conn, org)
        with pytest.raises(ProgrammingError, match="above their own"):
            conn.execute(text("UPDATE memberships SET role = 'owner' WHERE id = :id"),
                         {"id": mine})
    with connect_as(tenants.url, tenants.logins["admin_a"]) as conn, \
            pytest.raises(ProgrammingError, match="above yours"):
        conn.execute(text(
            "UPDATE memberships SET role = 'viewer' WHERE org_id = :org AND role = 'owner'"),
            {"org": org})
    with connect_as(tenants.url, tenants.logins["admin_a"]) as conn:  # within their rank: fine
        assert conn.execute(text(
            "UPDATE memberships SET role = 'reviewer' WHERE org_id = :org AND role = 'viewer'"),
            {"org": org}).rowcount == 1


def test_the_last_owner_cannot_leave_or_step_down(tenants: Tenants) -> None:
    with connect_as(tenants.url, tenants.logins["owner_a"]) as conn:
        mine = _my_membership(conn, tenants.org["a"])
        with pytest.raises(DBAPIError, match="last owner"):
            conn.execute(text("UPDATE memberships SET role = 'admin' WHERE id = :id"),
                         {"id": mine})
    with connect_as(tenants.url, tenants.logins["owner_a"]) as conn, \
            pytest.raises(DBAPIError, match="last owner"):
        conn.execute(text("DELETE FROM memberships WHERE id = :id"), {"id": mine})


def test_selecting_another_organization_shows_nothing(tenants: Tenants) -> None:
    with connect_as(tenants.url, tenants.logins["editor_a"]) as conn:
        conn.execute(text("SELECT set_config('socialhub.org_id', :b, true)"),
                     {"b": str(tenants.org["b"])})
        for table in TOUCH:
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0, table


def test_a_member_of_two_organizations_sees_only_the_selected_one(tenants: Tenants) -> None:
    with connect_as(tenants.url, tenants.logins["both"]) as conn:
        assert set(conn.execute(text("SELECT org_id FROM posts")).scalars()) == set(
            tenants.org.values())
        conn.execute(text("SELECT set_config('socialhub.org_id', :a, true)"),
                     {"a": str(tenants.org["a"])})
        assert set(conn.execute(text("SELECT org_id FROM posts")).scalars()) == {
            tenants.org["a"]}
        with pytest.raises(ProgrammingError, match="row-level security"):
            conn.execute(text(INSERTS["posts"]), {"org": tenants.org["b"]})


def test_the_daemon_role_reads_and_writes_deliveries_of_every_organization(
        tenants: Tenants) -> None:
    from tests.tenancy_kit import create_login

    login = tenants.logins["owner_a"].replace("owner_a", "daemon")
    create_login(tenants.url, login, group="socialhub_daemon")
    with connect_as(tenants.url, login) as conn:
        assert conn.execute(text("UPDATE deliveries SET status = status")).rowcount == 2
        assert conn.execute(text("SELECT count(DISTINCT org_id) FROM posts")).scalar() == 2
        # … but it cannot change who belongs where.
        assert conn.execute(text("UPDATE memberships SET role = role")).rowcount == 0


def test_the_app_role_is_not_the_owner_and_cannot_change_the_schema(tenants: Tenants) -> None:
    engine = create_engine(tenants.url)
    owners = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        table_owners = set(conn.execute(text(
            "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema()")).scalars())
        app = conn.execute(text(
            "SELECT rolbypassrls, rolsuper, rolcanlogin FROM pg_roles "
            "WHERE rolname = 'socialhub_app'")).one()
    engine.dispose()
    assert owners and table_owners == {"socialhub_migrate"}
    assert tuple(app) == (False, False, False)
    with connect_as(tenants.url, tenants.logins["owner_a"]) as conn, \
            pytest.raises(ProgrammingError, match=r"must be owner|permission denied"):
        conn.execute(text("ALTER TABLE posts DISABLE ROW LEVEL SECURITY"))


def test_an_owner_removes_their_organization_with_everything_in_it(tenants: Tenants) -> None:
    with connect_as(tenants.url, tenants.logins["owner_b"]) as conn:
        assert conn.execute(text("DELETE FROM organizations WHERE id = :b"),
                            {"b": tenants.org["b"]}).rowcount == 1
        assert conn.execute(text("SELECT count(*) FROM posts")).scalar() == 0
    with connect_as(tenants.url, tenants.logins["admin_a"]) as conn:  # an admin may not
        assert conn.execute(text("DELETE FROM organizations WHERE id = :a"),
                            {"a": tenants.org["a"]}).rowcount == 0


def test_a_member_starts_a_new_organization_and_becomes_its_only_owner(
        tenants: Tenants) -> None:
    with connect_as(tenants.url, tenants.logins["viewer_a"]) as conn:
        org = conn.execute(text(
            "INSERT INTO organizations (name, settings, created_at, updated_at) "
            "VALUES ('fresh', '{}', now(), now()) RETURNING id")).scalar()
        conn.execute(text(
            "INSERT INTO memberships (org_id, user_id, role, created_at, updated_at) "
            "SELECT :org, id, 'owner', now(), now() FROM users WHERE login = current_user"),
            {"org": org})
        assert conn.execute(text(INSERTS["posts"]), {"org": org}).rowcount == 1
        assert conn.execute(text("SELECT role FROM memberships WHERE org_id = :org"),
                            {"org": org}).scalars().all() == ["owner"]


def test_nobody_joins_an_existing_organization_by_inserting_themself(tenants: Tenants) -> None:
    with connect_as(tenants.url, tenants.logins["viewer_a"]) as conn, \
            pytest.raises(ProgrammingError, match=r"row-level security|above their own"):
        conn.execute(text(
            "INSERT INTO memberships (org_id, user_id, role, created_at, updated_at) "
            "SELECT :org, id, 'viewer', now(), now() FROM users WHERE login = current_user"),
            {"org": tenants.org["b"]})


def test_a_person_cannot_take_over_anothers_login(tenants: Tenants) -> None:
    with connect_as(tenants.url, tenants.logins["admin_a"]) as conn, \
            pytest.raises(ProgrammingError, match="login cannot be changed"):
        conn.execute(text("UPDATE users SET login = 'someone_else' WHERE login = :l"),
                     {"l": tenants.logins["editor_a"]})


def test_the_selected_organization_ends_with_its_transaction_on_a_pooled_connection(
        tenants: Tenants) -> None:
    from sqlalchemy.orm import Session
    from sqlalchemy.pool import QueuePool

    from socialhub.db.tenancy import select_organization
    from tests.tenancy_kit import url_as

    engine = create_engine(url_as(tenants.url, tenants.logins["both"]), poolclass=QueuePool,
                           pool_size=1, max_overflow=0)
    try:
        with Session(engine) as session, session.begin():
            select_organization(session, tenants.org["a"])
            pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
            assert set(session.execute(text("SELECT org_id FROM posts")).scalars()) == {
                tenants.org["a"]}
        with Session(engine) as session, session.begin():
            assert session.execute(text("SELECT pg_backend_pid()")).scalar() == pid
            assert set(session.execute(text("SELECT org_id FROM posts")).scalars()) == set(
                tenants.org.values())
    finally:
        engine.dispose()


def test_downgrading_past_0005_removes_every_policy_function_and_trigger(pg_url: str) -> None:
    from socialhub.db.migrate import downgrade, upgrade

    engine = create_engine(pg_url)
    downgrade(engine, "0003")
    with engine.connect() as conn:
        left = conn.execute(text(
            "SELECT (SELECT count(*) FROM pg_policies WHERE schemaname = current_schema()) + "
            "(SELECT count(*) FROM pg_proc WHERE proname LIKE 'socialhub\\_%') + "
            "(SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'socialhub\\_%') + "
            "(SELECT count(*) FROM pg_class WHERE relrowsecurity "
            " AND relnamespace = current_schema()::regnamespace)")).scalar()
    assert left == 0
    upgrade(engine, backup=False)
    engine.dispose()


def test_a_read_only_dashboard_login_reads_its_organization_only_and_writes_nothing(
        tenants: Tenants) -> None:
    from tests.tenancy_kit import create_login

    login = tenants.logins["owner_a"].replace("owner_a", "grafana")
    create_login(tenants.url, login, group="socialhub_ro")
    engine = create_engine(tenants.url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (name, login, created_at, updated_at) "
                          "VALUES ('dashboard', :l, now(), now())"), {"l": login})
        conn.execute(text(
            "INSERT INTO memberships (org_id, user_id, role, created_at, updated_at) "
            "SELECT :org, id, 'viewer', now(), now() FROM users WHERE login = :l"),
            {"org": tenants.org["a"], "l": login})
    engine.dispose()
    with connect_as(tenants.url, login) as conn:
        assert set(conn.execute(text("SELECT org_id FROM posts")).scalars()) == {
            tenants.org["a"]}
        with pytest.raises(ProgrammingError, match="permission denied"):
            conn.execute(text("UPDATE posts SET body = body"))


CROSSED = {
    "a delivery on my account of their variant": (
        "INSERT INTO deliveries (variant_id, account_id, due_at, next_attempt_at, status, "
        "attempts, idempotency_key, thread_progress, created_at, updated_at) VALUES "
        "(:their_variant, :my_account, now(), now(), 'scheduled', 0, 'crossed', '[]', now(), "
        "now())"),
    "a variant of my post for their account": (
        "INSERT INTO variants (post_id, account_id, text, thread, media, options, created_at, "
        "updated_at) VALUES (:my_post, :their_account, 'x', '[]', '[]', '{}', now(), now())"),
    "my post in their campaign": (
        "UPDATE posts SET campaign_id = :their_campaign WHERE id = :my_post"),
    "a comment of mine on their post": (
        "INSERT INTO post_comments (org_id, post_id, author, kind, body, created_at) "
        "VALUES (:my_org, :their_post, 'me', 'comment', 'x', now())"),
}


@pytest.mark.parametrize("what", sorted(CROSSED))
def test_a_row_of_mine_cannot_point_at_another_organizations_rows(
        tenants: Tenants, what: str) -> None:
    a, b = tenants.ids["a"], tenants.ids["b"]
    params = {"their_variant": b["variants"], "my_account": a["accounts"],
              "my_post": a["posts"], "their_account": b["accounts"],
              "their_campaign": b["campaigns"], "my_org": tenants.org["a"],
              "their_post": b["posts"]}
    with connect_as(tenants.url, tenants.logins["owner_a"]) as conn, \
            pytest.raises(ProgrammingError, match="row-level security"):
        conn.execute(text(CROSSED[what]), params)


def test_migrating_as_a_role_that_cannot_bypass_rls_is_refused_with_the_fix(
        pg_cluster: PostgresCluster) -> None:
    import uuid

    from socialhub.db.migrate import upgrade
    from socialhub.errors import DatabaseError
    from tests.tenancy_kit import url_as

    url = new_pg_database(pg_cluster, migrated=False)
    login = f"plain_owner_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{login}" LOGIN'))
        conn.execute(text(f'GRANT CREATE, USAGE ON SCHEMA public TO "{login}"'))
    engine = create_engine(url_as(url, login))
    with pytest.raises(DatabaseError, match="BYPASSRLS") as refused:
        upgrade(engine, backup=False)
    assert "socialhub db roles --apply" in (refused.value.hint or "")
    engine.dispose()
    with admin.connect() as conn:  # all or nothing: the earlier revisions rolled back too
        assert conn.execute(text("SELECT to_regclass('posts')")).scalar() is None
    admin.dispose()
