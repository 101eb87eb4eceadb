"""``ensure_member_login``: ``members add`` gives a person their own PostgreSQL login."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from socialhub.errors import PermissionDeniedError, ValidationError
from socialhub.services.teams.database_logins import ensure_member_login
from tests.conftest import new_pg_database
from tests.pgcluster import PostgresCluster
from tests.tenancy_kit import Tenants, make_tenants, url_as


@pytest.fixture
def tenants(pg_cluster: PostgresCluster) -> Tenants:
    return make_tenants(new_pg_database(pg_cluster))


@contextmanager
def _session_as(tenants: Tenants, name: str) -> Iterator[Session]:
    engine = create_engine(url_as(tenants.url, tenants.logins[name]))
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def _role(url: str, login: str) -> tuple[bool, bool, bool, bool] | None:
    engine = create_engine(url)
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT rolcanlogin, rolsuper, rolbypassrls, "
            "pg_has_role(rolname, 'socialhub_app', 'MEMBER') FROM pg_roles WHERE rolname = :n"),
            {"n": login}).first()
    engine.dispose()
    return None if row is None else (row[0], row[1], row[2], row[3])


def test_sqlite_has_no_logins_to_create(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    with Session(engine) as session:
        assert ensure_member_login(session, "alice", "pw") is False


@pytest.mark.postgres
def test_an_owner_creates_a_member_login_once_without_createrole(tenants: Tenants) -> None:
    login = f"newbie_{uuid.uuid4().hex[:8]}"
    with _session_as(tenants, "owner_a") as session:
        assert ensure_member_login(session, login, "s3cret 'quoted\" pw") is True
        assert ensure_member_login(session, login, "another") is False
        session.commit()
    assert _role(tenants.url, login) == (True, False, False, True)


@pytest.mark.postgres
def test_a_login_made_without_a_password_can_connect_on_trust(tenants: Tenants) -> None:
    login = f"peer_{uuid.uuid4().hex[:8]}"
    with _session_as(tenants, "admin_a") as session:
        assert ensure_member_login(session, login, None) is True
        session.commit()
    engine = create_engine(url_as(tenants.url, login))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT session_user")).scalar() == login
        assert conn.execute(text("SELECT count(*) FROM posts")).scalar() == 0  # no member yet
    engine.dispose()


@pytest.mark.postgres
def test_an_editor_may_not_create_logins(tenants: Tenants) -> None:
    login = f"nope_{uuid.uuid4().hex[:8]}"
    with _session_as(tenants, "editor_a") as session, \
            pytest.raises(PermissionDeniedError, match="owner or admin"):
        ensure_member_login(session, login, "pw")
    assert _role(tenants.url, login) is None


@pytest.mark.postgres
@pytest.mark.parametrize("login", ['x"; DROP TABLE posts; --', "pg_sneaky", "socialhub_migrate",
                                   ""])
def test_names_that_are_not_plain_logins_are_refused(tenants: Tenants, login: str) -> None:
    with _session_as(tenants, "owner_a") as session, pytest.raises(ValidationError):
        ensure_member_login(session, login, "pw")
