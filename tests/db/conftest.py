"""Fixtures shared by the list tests: an organization filled with a few rows of every
kind (``test_list_query_counts.fill``), and a counter of SQLAlchemy's statements."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from socialhub.services.hub import Hub
from tests.db.test_list_query_counts import CLI, FEW, LOGINS, fill


@pytest.fixture
def filled(hub: Hub, dbcli: CLI, database_url: str) -> Hub:
    """An organization with FEW rows of every kind the lists show (and an x:@shop account)."""
    from socialhub.services.accounts.accounts import add_account

    if database_url.startswith("postgresql"):
        # Members get database logins there, which need the group roles.
        assert dbcli("db", "roles", "--apply").exit_code == 0
    with hub.context("cli") as ctx:
        add_account(ctx, platform="x", handle="shop")
    fill(hub, 0, FEW, LOGINS)
    return hub


@pytest.fixture
def counting() -> Iterator[list[str]]:
    """Every SQL statement any engine runs while the fixture is active."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    yield statements
    event.remove(Engine, "before_cursor_execute", record)
