"""Row-level security covers experiments and their arms: a member sees and changes only
their organization's, and cannot point an arm of theirs at another organization's post."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from socialhub.db import models as m
from tests.conftest import new_pg_database
from tests.pgcluster import PostgresCluster
from tests.tenancy_kit import Tenants, connect_as, make_tenants

pytestmark = pytest.mark.postgres


@pytest.fixture
def tenants(pg_cluster: PostgresCluster) -> Tenants:
    made = make_tenants(new_pg_database(pg_cluster))
    engine = create_engine(made.url)
    with Session(engine) as session, session.begin():
        for org in ("a", "b"):
            ids = made.ids[org]
            exp = m.Experiment(org_id=made.org[org], name="hook", campaign_id=ids["campaigns"],
                               metric="ctr", split="accounts", min_sample=100,
                               confidence=0.95)
            exp.arms = [m.ExperimentArm(name="one", post_id=ids["posts"], position=0)]
            session.add(exp)
            session.flush()
            ids["experiments"], ids["experiment_arms"] = exp.id, exp.arms[0].id
    engine.dispose()
    return made


def test_a_member_sees_and_changes_only_their_organizations_experiments(
        tenants: Tenants) -> None:
    a, b = tenants.ids["a"], tenants.ids["b"]
    with connect_as(tenants.url, tenants.logins["editor_a"]) as conn:
        for table in ("experiments", "experiment_arms"):
            seen = set(conn.execute(text(f"SELECT id FROM {table}")).scalars())
            assert seen == {a[table]}, table
            assert conn.execute(text(f"UPDATE {table} SET name = name WHERE id = :id"),
                                {"id": b[table]}).rowcount == 0
            assert conn.execute(text(f"DELETE FROM {table} WHERE id = :id"),
                                {"id": b[table]}).rowcount == 0
        assert conn.execute(text("UPDATE experiments SET min_sample = 200 WHERE id = :id"),
                            {"id": a["experiments"]}).rowcount == 1


def test_an_arm_cannot_point_at_another_organizations_post(tenants: Tenants) -> None:
    a, b = tenants.ids["a"], tenants.ids["b"]
    with connect_as(tenants.url, tenants.logins["owner_a"]) as conn, \
            pytest.raises(ProgrammingError, match="row-level security"):
        conn.execute(text("INSERT INTO experiment_arms (experiment_id, name, post_id, position) "
                          "VALUES (:e, 'sneaky', :p, 1)"),
                     {"e": a["experiments"], "p": b["posts"]})


def test_a_viewer_reads_experiments_but_cannot_write_them(tenants: Tenants) -> None:
    a = tenants.ids["a"]
    with connect_as(tenants.url, tenants.logins["viewer_a"]) as conn:
        assert conn.execute(text("SELECT name FROM experiments")).scalars().all() == ["hook"]
        assert conn.execute(text("UPDATE experiments SET min_sample = 1 WHERE id = :id"),
                            {"id": a["experiments"]}).rowcount == 0
