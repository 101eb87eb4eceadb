"""``socialhub db roles`` and the CLI run as a member's own PostgreSQL login."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import new_pg_database, run_cli
from tests.pgcluster import PostgresCluster
from tests.tenancy_kit import make_tenants, url_as


def _owners(url: str) -> set[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = set(conn.execute(text(
            "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema()")).scalars())
    engine.dispose()
    return found


def test_db_roles_refuses_sqlite_with_one_line(home: Path) -> None:
    result = run_cli("db", "roles")
    assert result.exit_code == 4
    assert result.stderr.strip().count("\n") == 0
    assert "only on PostgreSQL" in result.stderr


@pytest.mark.postgres
def test_db_roles_prints_the_sql_and_changes_nothing_without_apply(
        home: Path, pg_cluster: PostgresCluster, monkeypatch: pytest.MonkeyPatch) -> None:
    url = new_pg_database(pg_cluster)
    monkeypatch.setenv("SOCIALHUB_DATABASE_URL", url)
    result = run_cli("db", "roles")
    assert result.exit_code == 0, result.stderr
    assert "socialhub_app" in result.stdout and "GRANT SELECT, INSERT, UPDATE, DELETE" in (
        result.stdout)
    assert "--apply" in result.stderr
    assert _owners(url) == {"postgres"}


@pytest.mark.postgres
def test_db_roles_apply_is_idempotent_and_hands_the_tables_to_the_migrate_role(
        home: Path, pg_cluster: PostgresCluster, monkeypatch: pytest.MonkeyPatch) -> None:
    url = new_pg_database(pg_cluster)
    monkeypatch.setenv("SOCIALHUB_DATABASE_URL", url)
    first = run_cli("db", "roles", "--apply", "--json")
    assert first.exit_code == 0, first.stderr
    assert first.json()["applied"] is True
    assert all(role["exists"] for role in first.json()["roles"])
    assert _owners(url) == {"socialhub_migrate"}
    second = run_cli("db", "roles", "--apply", "--json")
    assert second.exit_code == 0, second.stderr
    again = second.json()["statements"]
    assert not any(s.startswith(("CREATE ROLE", "ALTER TABLE", "ALTER FUNCTION"))
                   for s in again), again
    engine = create_engine(url)
    with engine.connect() as conn:
        attrs = {name: (bypass, login) for name, bypass, login in conn.execute(text(
            "SELECT rolname, rolbypassrls, rolcanlogin FROM pg_roles "
            "WHERE rolname LIKE 'socialhub\\_%'"))}
    engine.dispose()
    assert attrs["socialhub_app"] == (False, False)
    assert attrs["socialhub_migrate"] == (True, True)


@pytest.mark.postgres
def test_db_roles_apply_needs_a_superuser(
        home: Path, pg_cluster: PostgresCluster, monkeypatch: pytest.MonkeyPatch) -> None:
    tenants = make_tenants(new_pg_database(pg_cluster))
    monkeypatch.setenv("SOCIALHUB_DATABASE_URL", url_as(tenants.url, tenants.logins["owner_a"]))
    result = run_cli("db", "roles", "--apply")
    assert result.exit_code == 12
    assert "superuser" in result.stderr


@pytest.mark.postgres
def test_the_migrate_role_upgrades_an_empty_database_and_members_can_use_it(
        home: Path, pg_cluster: PostgresCluster, monkeypatch: pytest.MonkeyPatch) -> None:
    url = new_pg_database(pg_cluster, migrated=False)
    monkeypatch.setenv("SOCIALHUB_DATABASE_URL", url)
    assert run_cli("db", "roles", "--apply").exit_code == 0
    monkeypatch.setenv("SOCIALHUB_DATABASE_URL", url_as(url, "socialhub_migrate"))
    upgraded = run_cli("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.stderr
    assert _owners(url) == {"socialhub_migrate"}
    engine = create_engine(url)  # the default privileges reached the new tables
    with engine.connect() as conn:
        grants = set(conn.execute(text(
            "SELECT privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = 'socialhub_app' AND table_name = 'posts'")).scalars())
    engine.dispose()
    assert grants == {"SELECT", "INSERT", "UPDATE", "DELETE"}


@pytest.mark.postgres
def test_the_cli_run_as_a_member_of_one_organization_cannot_see_another(
        home: Path, pg_cluster: PostgresCluster, monkeypatch: pytest.MonkeyPatch) -> None:
    tenants = make_tenants(new_pg_database(pg_cluster))
    monkeypatch.setenv("SOCIALHUB_DATABASE_URL", url_as(tenants.url, tenants.logins["editor_a"]))
    monkeypatch.setenv("SOCIALHUB_ORGANIZATION", tenants.names["a"])
    mine = run_cli("posts", "list", "--json")
    assert mine.exit_code == 0, mine.stderr
    assert [p["name"] for p in mine.json()] == ["post-a"]
    monkeypatch.setenv("SOCIALHUB_ORGANIZATION", tenants.names["b"])
    theirs = run_cli("posts", "list", "--json")
    assert theirs.exit_code == 5
    assert tenants.names["b"] + "' does not exist" in theirs.stderr
    assert "post-b" not in theirs.stdout + theirs.stderr


@pytest.mark.postgres
def test_a_viewers_write_through_the_cli_is_refused_in_one_line_and_nothing_changes(
        home: Path, pg_cluster: PostgresCluster, monkeypatch: pytest.MonkeyPatch) -> None:
    tenants = make_tenants(new_pg_database(pg_cluster))
    monkeypatch.setenv("SOCIALHUB_DATABASE_URL", url_as(tenants.url, tenants.logins["viewer_a"]))
    monkeypatch.setenv("SOCIALHUB_ORGANIZATION", tenants.names["a"])
    result = run_cli("posts", "create", "-b", "defaced", "--name", "graffiti",
                     "-t", "sandbox:@a-acct")
    assert result.exit_code == 12, result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2  # the line, and its hint
    assert "refused" in result.stderr or "may not" in result.stderr
    names = [p["name"] for p in run_cli("posts", "list", "--json").json()]
    assert names == ["post-a"]
