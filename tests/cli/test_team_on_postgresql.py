"""docs/teams.md "A team on PostgreSQL", followed step by step, each person as their own
PostgreSQL login: the superuser applies the roles, ``socialhub_migrate`` migrates and adds
the first owner, the owner adds an editor (with a password) and a reviewer (without), the
editor writes and submits, the reviewer approves, the editor schedules, and the daemon —
a login in ``socialhub_daemon`` — publishes to the sandbox. Outsiders, connected straight
through psycopg as their own logins, see nothing of it.

Logins are cluster-wide and every test of a pytest-xdist worker shares that worker's
cluster, so each login here carries a random suffix. ``db roles --apply`` creates the
fixed group roles (``socialhub_migrate`` …) idempotently; no lock is needed because each
xdist worker starts its own cluster (``pg_cluster`` is session-scoped per process), so
no two ``--apply`` ever run on one cluster at the same time.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from socialhub.sandbox_network.server import SandboxServer
from tests.conftest import CLIResult, new_pg_database, run_cli
from tests.daemon.test_daemon import DaemonProcess, spawn_ready
from tests.pgcluster import PostgresCluster
from tests.publishing_kit import sandbox_posts, wait_for
from tests.tenancy_kit import url_as

pytestmark = pytest.mark.postgres


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    server = SandboxServer(latency_ms=1).start()
    yield server
    server.stop()


def _psycopg(url: str) -> psycopg.Connection[tuple[object, ...]]:
    """A plain psycopg connection as the user of the SQLAlchemy ``url``."""
    u = make_url(url)
    return psycopg.connect(host=u.host, port=u.port, user=u.username, dbname=u.database,
                           password=u.password, autocommit=True)


def test_a_team_of_three_on_postgresql_as_the_docs_set_it_up(
        home: Path, pg_cluster: PostgresCluster, sandbox: SandboxServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    superuser = new_pg_database(pg_cluster, migrated=False)  # 1. `createdb socialhub`
    suffix = uuid.uuid4().hex[:8]
    alice, bob, carol, mallory = (f"{n}_{suffix}" for n in ("alice", "bob", "carol",
                                                            "mallory"))

    def as_(url: str, *args: str, input: str | None = None) -> CLIResult:
        monkeypatch.setenv("SOCIALHUB_DATABASE_URL", url)
        return run_cli(*args, input=input)

    def ok(url: str, *args: str, input: str | None = None) -> CLIResult:
        result = as_(url, *args, input=input)
        assert result.exit_code == 0, (args, result.stderr)
        return result

    # 1. The cluster roles, as a superuser: shown first, then applied.
    # The roles are cluster-wide: another test on this worker's cluster may have made
    # them already, and then the plan says so instead of creating them.
    shown = ok(superuser, "db", "roles")
    assert ("CREATE ROLE socialhub_migrate" in shown.stdout
            or re.search(r"socialhub_migrate\s+exists", shown.stdout)), shown.stdout
    assert "--apply" in shown.stderr
    ok(superuser, "db", "roles", "--apply")
    # 2. Migrate as socialhub_migrate, then the second --apply as the superuser.
    migrate = url_as(superuser, "socialhub_migrate")
    ok(migrate, "db", "upgrade")
    ok(superuser, "db", "roles", "--apply")
    # 3. The first owner, still as socialhub_migrate.
    ok(migrate, "members", "add", alice, "--role", "owner", "--password-stdin",
       input="alice-secret")
    # 4. The owner, as herself, adds an editor with a password and a reviewer without.
    as_alice, as_bob, as_carol = (url_as(superuser, login) for login in (alice, bob, carol))
    ok(as_alice, "members", "add", bob, "--role", "editor", "--password-stdin",
       input="bob-secret")
    ok(as_alice, "members", "add", carol, "--role", "reviewer")
    members = {m["login"]: m["role"] for m in ok(as_alice, "members", "list", "--json").json()}
    assert {alice: "owner", bob: "editor", carol: "reviewer"}.items() <= members.items()
    with _psycopg(superuser) as conn:
        rows = conn.execute(
            "SELECT r.rolname, a.rolpassword IS NOT NULL FROM pg_roles r "
            "JOIN pg_authid a ON a.oid = r.oid WHERE r.rolname = ANY(%s) "
            "AND r.rolcanlogin AND pg_has_role(r.oid, 'socialhub_app', 'MEMBER') "
            "AND NOT r.rolsuper AND NOT r.rolcreaterole AND NOT r.rolbypassrls",
            ([alice, bob, carol],)).fetchall()
    logins = {str(login): bool(password) for login, password in rows}
    assert logins == {alice: True, bob: True, carol: False}  # LOGIN, in socialhub_app
    ok(as_alice, "orgs", "set", "default", "--approvals", "required")
    ok(as_alice, "accounts", "connect", "sandbox", "--base-url", sandbox.url,
       "--handle", "demo")

    # The editor writes; scheduling before approval is refused in one line.
    ok(as_bob, "posts", "create", "--name", "launch", "-b", "hello team", "-t",
       "sandbox:@demo")
    at = (datetime.now(UTC) + timedelta(seconds=6)).strftime("%Y-%m-%d %H:%M:%S UTC")
    refused = as_(as_bob, "posts", "schedule", "launch", "--at", at)
    assert refused.exit_code == 6, refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert refused.stderr.strip().endswith(
        "post launch needs approval (approvals: required); submit it with "
        "`socialhub posts submit launch`")
    assert ok(as_bob, "posts", "show", "launch", "--json").json()["status"] == "draft"
    ok(as_bob, "posts", "submit", "launch", "-m", "ready")
    # The reviewer may not schedule, only approve.
    refused = as_(as_carol, "posts", "schedule", "launch", "--at", at)
    assert refused.exit_code == 12, refused.stderr
    assert "posts.publish" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) <= 2  # the line, and its hint
    approved = ok(as_carol, "posts", "approve", "launch", "-m", "ship it", "--json")
    assert approved.json()["approval"] == "approved"
    ok(as_bob, "posts", "schedule", "launch", "--at", at)
    assert ok(as_bob, "posts", "show", "launch", "--json").json()["status"] == "scheduled"

    # Outsiders see nothing of it, straight through the database as their own logins:
    # mallory, the owner's editor in another organization, and a login in no organization.
    ok(as_alice, "orgs", "add", "other")
    ok(as_alice, "members", "add", mallory, "--role", "editor", "--org", "other")
    stranger = f"stranger_{suffix}"
    with _psycopg(superuser) as conn:
        conn.execute(f'CREATE ROLE "{stranger}" LOGIN IN ROLE socialhub_app')
    seen = "SELECT count(*) FROM posts WHERE name = 'launch'"
    for login in (mallory, stranger):
        with _psycopg(url_as(superuser, login)) as conn:
            assert conn.execute(seen).fetchone() == (0,), login
            assert conn.execute("SELECT count(*) FROM variants").fetchone() == (0,), login
    with _psycopg(as_carol) as conn:  # the same query does find it for a member
        assert conn.execute(seen).fetchone() == (1,)

    # 6. The daemon's login, made as socialhub_migrate, publishes on time.
    daemon_login = f"socialhub_daemon_{suffix}"
    with _psycopg(migrate) as conn:
        conn.execute(f"CREATE ROLE \"{daemon_login}\" LOGIN PASSWORD 'daemon-secret' "
                     "IN ROLE socialhub_daemon")

    def spawn(name: str, **extra: str) -> DaemonProcess:
        env = dict(os.environ, SOCIALHUB_DAEMON_HTTP_PORT="0",
                   SOCIALHUB_DAEMON_POLL_INTERVAL_S="1", SOCIALHUB_LOGGING_FORMAT="json",
                   SOCIALHUB_DATABASE_URL=url_as(superuser, daemon_login), **extra)
        return DaemonProcess(tmp_path, name, env)

    daemon = spawn_ready(spawn, tmp_path, "daemon")
    try:
        monkeypatch.setenv("SOCIALHUB_DATABASE_URL", as_bob)
        assert wait_for(lambda: run_cli("posts", "show", "launch", "--json").json()["status"]
                        == "published", timeout=20, step=0.5), daemon.logs()[-2000:]
        assert daemon.stop() == 0
    finally:
        if daemon.proc.poll() is None:
            daemon.proc.kill()
            daemon.proc.wait()
    assert [(p["account"], p["text"]) for p in sandbox_posts(sandbox.url)] == [
        ("demo", "hello team")]
    assert '"level": "ERROR"' not in daemon.logs() and "Traceback" not in daemon.logs()
    thread = ok(as_bob, "posts", "comments", "launch", "--json").json()
    assert [(c["author"], c["kind"]) for c in thread["comments"]] == [
        (bob, "submitted"), (carol, "approved")]
