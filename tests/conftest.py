"""Fixtures every kind of test uses: an isolated home, an in-process CLI, both
databases (and a hub on them), and the local Bluesky reference PDS.

Every database test runs twice, on SQLite and on a real PostgreSQL cluster
started from the machine's binaries. Without the binaries the PostgreSQL half
skips loudly, unless SOCIALHUB_REQUIRE_POSTGRES=1 (set by .ci/run), which turns
the skip into a failure.

Fixtures of one kind live next to their tests: ``platforms/conftest.py`` (a
platform's fake and its adapter), ``services/conftest.py`` (the sandbox and an
account on it), ``services/publishing/conftest.py`` (the publishing engine),
``security/conftest.py`` (key sources), ``search/conftest.py`` (a docs store).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.pds_fixture import pds  # noqa: F401  (the session's PDS, for every test)
from tests.pgcluster import PostgresCluster, find_pg_bin

# A fixed master key for tests; never a real secret.
TEST_MASTER_KEY = "dGVzdC1tYXN0ZXIta2V5LW5vdC1hLXNlY3JldC0wMDA="
# Planted in every isolated home's configuration as platform client secrets: no CLI
# output or log line of the whole suite may ever contain it (checked at session end).
PLANTED_TOKEN = "planted-0b7f3c9e51d24a68a9e2-secret"
_CLI_OUTPUTS: list[tuple[str, str]] = []


@dataclass
class CLIResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """stdout parsed as JSON (what a script piping ``--json`` would get)."""
        import json

        return json.loads(self.stdout)


@pytest.fixture(scope="session", autouse=True)
def _default_event_subscribers() -> None:
    """The audit trail, NOTIFY and webhooks listen, as a ``Hub`` arranges in the product."""
    from socialhub.services.event_subscribers import install_default_subscribers

    install_default_subscribers()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    bin_dir = find_pg_bin()
    if bin_dir is None:
        reason = "PostgreSQL binaries not found: PostgreSQL tests NOT RUN"
        if os.environ.get("SOCIALHUB_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason + " (SOCIALHUB_REQUIRE_POSTGRES=1)")
        pytest.skip(reason)
    cluster = PostgresCluster(bin_dir)
    cluster.start()
    _make_template(cluster)
    yield cluster
    cluster.stop()


def _make_template(cluster: PostgresCluster) -> None:
    from sqlalchemy import create_engine, text

    from socialhub.db.migrate import upgrade

    admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE sh_template"))
    engine = create_engine(cluster.url("sh_template"))
    upgrade(engine, backup=False)
    engine.dispose()
    admin.dispose()


_db_counter = itertools.count()


def new_pg_database(cluster: PostgresCluster, *, migrated: bool = True) -> str:
    """Create a fresh database (at head when ``migrated``) and return its URL."""
    from sqlalchemy import create_engine, text

    name = f"sh_test_{os.getpid()}_{next(_db_counter)}"
    admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        template = " TEMPLATE sh_template" if migrated else ""
        conn.execute(text(f"CREATE DATABASE {name}{template}"))
    admin.dispose()
    return cluster.url(name)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database: SQLite file or PostgreSQL database."""
    if request.param == "sqlite":
        from sqlalchemy import create_engine

        from socialhub.db.engine import make_engine
        from socialhub.db.migrate import upgrade

        url = f"sqlite:///{tmp_path / 'test.sqlite'}"
        engine = make_engine(url)
        upgrade(engine, backup=False)
        engine.dispose()
        del create_engine
        return url
    cluster = request.getfixturevalue("pg_cluster")
    return new_pg_database(cluster)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated SOCIALHUB_HOME with no inherited SOCIALHUB_* settings."""
    for key in list(os.environ):
        if key.startswith("SOCIALHUB_") and key not in (
            "SOCIALHUB_REQUIRE_POSTGRES", "SOCIALHUB_REQUIRE_PDS", "SOCIALHUB_PG_BIN"
        ):
            monkeypatch.delenv(key)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    root = tmp_path / "home"
    monkeypatch.setenv("SOCIALHUB_HOME", str(root))
    monkeypatch.setenv("SOCIALHUB_MASTER_KEY", TEST_MASTER_KEY)
    monkeypatch.setenv("SOCIALHUB_SECURITY_USE_KEYRING", "false")
    monkeypatch.setenv("SOCIALHUB_PLATFORMS_X_CLIENT_SECRET", PLANTED_TOKEN)
    monkeypatch.setenv("SOCIALHUB_PLATFORMS_MASTODON_CLIENT_SECRET", PLANTED_TOKEN)
    monkeypatch.setenv("TZ", "UTC")
    return root


@pytest.fixture
def no_env_key(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The isolated home without the test key in the environment: the master key comes
    from a file (created on first use), the keyring or systemd, as on a real machine."""
    monkeypatch.delenv("SOCIALHUB_MASTER_KEY")
    return home


@pytest.fixture
def db_home(home: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """An isolated home whose database (SQLite or PostgreSQL) is fresh and migrated."""
    monkeypatch.setenv("SOCIALHUB_DATABASE_URL", database_url)
    return database_url


def run_cli(*args: str, input: str | None = None) -> CLIResult:
    """Run ``socialhub ARGS`` in-process and capture exit code, stdout and stderr."""
    from socialhub.cli.common import reset_state
    from socialhub.cli.main import main

    reset_state()
    stdout, stderr = io.StringIO(), io.StringIO()
    code = 0
    old_stdin = None
    if input is not None:
        import sys

        old_stdin, sys.stdin = sys.stdin, io.StringIO(input)
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        if old_stdin is not None:
            import sys

            sys.stdin = old_stdin
        reset_state()
    _CLI_OUTPUTS.append((" ".join(args), stdout.getvalue() + stderr.getvalue()))
    return CLIResult(code, stdout.getvalue(), stderr.getvalue())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if any CLI output or log line carried the planted secret."""
    leaks = [cmd for cmd, text in _CLI_OUTPUTS if PLANTED_TOKEN in text]
    if leaks:
        import sys

        sys.stderr.write(f"\nSECRET LEAK: the planted token appeared in the output of "
                         f"{len(leaks)} CLI run(s), e.g. `socialhub {leaks[0]}`\n")
        session.exitstatus = 1


@pytest.fixture
def cli(home: Path) -> Callable[..., CLIResult]:
    """Run the CLI in-process inside the isolated home (embedded SQLite database)."""
    return run_cli


@pytest.fixture
def dbcli(db_home: str) -> Callable[..., CLIResult]:
    """Run the CLI in-process against both databases (parametrised)."""
    return run_cli


@pytest.fixture
def hub(db_home: str) -> Iterator[Any]:
    """A ``Hub`` on the fresh database of ``db_home`` (SQLite and PostgreSQL)."""
    from socialhub.services.hub import Hub
    from socialhub.services.settings import load_config

    hub = Hub(load_config())
    yield hub
    hub.dispose()


@pytest.fixture
def ctx(hub: Any) -> Iterator[Any]:
    """A ``Ctx`` (channel ``cli``, the local owner) in one open transaction, committed after
    the test, on SQLite and on PostgreSQL; ``hub`` opens more with ``hub.context(...)``."""
    with hub.context("cli") as opened:
        yield opened


def ctx_as(ctx: Any, role: str) -> Any:
    """A copy of ``ctx`` whose actor has ``role`` (the same session and organization)."""
    from dataclasses import replace

    from socialhub.core.policy import Role

    return replace(ctx, actor=replace(ctx.actor, role=Role(role)))


def make_ctx(session: Any, org_id: int, *, role: str = "owner", channel: str = "cli") -> Any:
    """A ``Ctx`` on a session a test opened itself (default settings, the local actor)."""
    from socialhub.config import Settings
    from socialhub.core.policy import Role
    from socialhub.services.context import Actor, Ctx, local_actor

    actor = Actor(name=local_actor().name, role=Role(role))
    return Ctx(session=session, org_id=org_id, actor=actor, channel=channel,  # type: ignore[arg-type]
               settings=Settings())


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the manifest files each apply parsed (what it did not skip), in
    this process (the CLI runner, the API's app, a sync)."""
    from socialhub.services.manifests import apply as apply_module

    seen: list[str] = []
    real = apply_module.parse_manifests

    def spy(sources: Any, **kwargs: Any) -> Any:
        sources = list(sources)
        seen.extend(Path(file).name for file, _text in sources)
        return real(sources, **kwargs)
    monkeypatch.setattr(apply_module, "parse_manifests", spy)
    return seen
