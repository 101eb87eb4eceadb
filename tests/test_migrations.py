"""Migrations are tested like code: one head, upgrade from empty, models match, downgrade."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from socialhub.db.engine import make_engine
from socialhub.db.migrate import current_revision, downgrade, head_revision, upgrade
from socialhub.db.models import Base
from tests.conftest import new_pg_database


def test_history_has_a_single_head() -> None:
    assert head_revision()


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite'}"
    return new_pg_database(request.getfixturevalue("pg_cluster"), migrated=False)


def test_upgrade_from_empty_creates_every_model_table(empty_url: str) -> None:
    engine = make_engine(empty_url)
    upgrade(engine, backup=False)
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    engine.dispose()


def test_models_match_migrations(empty_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = make_engine(empty_url)
    upgrade(engine, backup=False)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    assert diff == []


def test_downgrade_to_base_removes_tables_and_upgrade_restores(empty_url: str) -> None:
    engine = make_engine(empty_url)
    upgrade(engine, backup=False)
    downgrade(engine, "base")
    assert not (set(inspect(engine).get_table_names()) & set(Base.metadata.tables))
    upgrade(engine, backup=False)
    assert current_revision(engine) == head_revision()
    engine.dispose()
