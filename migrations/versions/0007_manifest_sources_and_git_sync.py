"""manifest sources (posts/slots owned by a directory) and git sync state

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 04:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import socialhub.db.types
from socialhub.db.tenancy import GIT_SYNCS, protect_table, unprotect_table


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'git_syncs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=500), nullable=False),
        sa.Column('commit', sa.String(length=64), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('synced_at', socialhub.db.types.UTCDateTime(), nullable=True),
        sa.Column('registry_commit', sa.String(length=64), nullable=True),
        sa.Column('registry_error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'],
                                name=op.f('fk_git_syncs_org_id_organizations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_git_syncs')),
        sa.UniqueConstraint('org_id', 'source', name=op.f('uq_git_syncs_org_id_source')),
    )
    for table in ('posts', 'slots'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('source', sa.String(length=500), nullable=True))
            batch_op.add_column(sa.Column('source_commit', sa.String(length=64), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{table}_source'), ['source'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        protect_table(op, GIT_SYNCS)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        unprotect_table(op, GIT_SYNCS)
    for table in ('slots', 'posts'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_source'))
            batch_op.drop_column('source_commit')
            batch_op.drop_column('source')
    op.drop_table('git_syncs')
