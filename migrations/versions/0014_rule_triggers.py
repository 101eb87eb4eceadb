"""rule triggers: rules.state (cursors and seen entries of the non-inbox triggers)

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-06 07:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.JSON(), nullable=False,
                                      server_default=sa.text("'{}'")))
    with op.batch_alter_table('rules', schema=None) as batch_op:
        batch_op.alter_column('state', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('rules', schema=None) as batch_op:
        batch_op.drop_column('state')
