"""Migrations are tested like code: one head, upgrade from empty, models match, downgrade."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect

from socialhub.db.engine import make_engine
from socialhub.db.migrate import current_revision, downgrade, head_revision, upgrade
from socialhub.db.models import Base, exists_on
from tests.conftest import new_pg_database


def test_history_has_a_single_head_and_the_fast_reader_agrees_with_alembic() -> None:
    from alembic.script import ScriptDirectory

    from socialhub.db.migrate import alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_heads() == [head_revision()]


def test_a_branched_history_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from socialhub.db import revisions
    from socialhub.errors import DatabaseError

    (tmp_path / "versions").mkdir()
    for name, rev, down in [("a", "0001", "None"), ("b", "0002", "'0001'"),
                            ("c", "0003", "'0001'")]:
        (tmp_path / "versions" / f"{name}.py").write_text(
            f"revision: str = '{rev}'\ndown_revision: str | None = {down}\n")
    monkeypatch.setattr(revisions, "migrations_dir", lambda: tmp_path)
    with pytest.raises(DatabaseError, match="2 heads"):
        head_revision()
    (tmp_path / "versions" / "d.py").write_text(
        "revision = '0004'\ndown_revision = ('0002', '0003')\n")  # a merge joins them
    assert head_revision() == "0004"


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite'}"
    return new_pg_database(request.getfixturevalue("pg_cluster"), migrated=False)


@pytest.fixture
def empty_engine(empty_url: str) -> Iterator[Engine]:
    """An engine on the empty database, disposed after the test."""
    engine = make_engine(empty_url)
    yield engine
    engine.dispose()


def test_upgrade_from_empty_creates_every_model_table(empty_engine: Engine) -> None:
    upgrade(empty_engine, backup=False)
    assert current_revision(empty_engine) == head_revision()
    tables = set(inspect(empty_engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_models_match_migrations(empty_engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    upgrade(empty_engine, backup=False)
    with empty_engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={
            "compare_type": True, "include_object": exists_on(conn.dialect.name)})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_downgrade_to_base_removes_tables_and_upgrade_restores(empty_engine: Engine) -> None:
    upgrade(empty_engine, backup=False)
    downgrade(empty_engine, "base")
    assert not (set(inspect(empty_engine).get_table_names()) & set(Base.metadata.tables))
    upgrade(empty_engine, backup=False)
    assert current_revision(empty_engine) == head_revision()


def test_upgrade_to_0004_chains_the_audit_rows_already_there(empty_engine: Engine) -> None:
    from sqlalchemy import text

    from socialhub.core.audit_chain import check_chain
    from socialhub.db.engine import make_session_factory, transaction
    from socialhub.db.queries.audit import chain_rows

    upgrade(empty_engine, "0003", backup=False)
    with empty_engine.begin() as conn:
        for name in ("a", "b"):
            conn.execute(text("INSERT INTO organizations (name, settings, created_at, updated_at)"
                              " VALUES (:n, '{}', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"),
                         {"n": name})
        for i, org in enumerate([1, 2, 1, None, 1]):
            conn.execute(text(
                "INSERT INTO audit_events (org_id, at, actor, action, record_kind, change) "
                "VALUES (:o, :at, 'root', 'create', 'Post', :c)"),
                {"o": org, "at": f"2026-01-0{i + 1} 10:00:00.25", "c": f'{{"n": {i}}}'})
    upgrade(empty_engine, backup=False)
    with transaction(make_session_factory(empty_engine)) as s:
        counts = {org: check_chain(org, chain_rows(s, org)) for org in (1, 2, None)}
    assert {org: (c.rows, c.broken) for org, c in counts.items()} == {
        1: (3, None), 2: (1, None), None: (1, None)}
    downgrade(empty_engine, "0003")
    assert "hash" not in {c["name"] for c in inspect(empty_engine).get_columns("audit_events")}
