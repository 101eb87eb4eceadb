"""deliveries: ix_deliveries_open_due (PostgreSQL claims read the due rows in order)

A partial index over the deliveries waiting for an attempt, in (next_attempt_at, id)
order: a claim walks it and stops after the rows it takes instead of sorting every due
row. PostgreSQL only: SQLite's planner already stops early through ix_deliveries_due.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 23:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Written out (not imported from the models): a migration keeps the schema of its day.
PREDICATE = "status IN ('scheduled', 'retry_scheduled', 'unconfirmed')"


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index('ix_deliveries_open_due', 'deliveries', ['next_attempt_at', 'id'],
                        unique=False, postgresql_where=sa.text(PREDICATE))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_deliveries_open_due', table_name='deliveries')
