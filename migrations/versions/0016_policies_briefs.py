"""policies and briefs: policies, campaigns.brief, variants.language

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-06 07:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import socialhub.db.types
from socialhub.db.tenancy import POLICIES, protect_table, unprotect_table

revision: str = '0016'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'policies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=True),
        sa.Column('spec', sa.JSON(), nullable=False),
        sa.Column('created_at', socialhub.db.types.UTCDateTime(), nullable=False),
        sa.Column('updated_at', socialhub.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_policies_campaign_id_campaigns'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'],
                                name=op.f('fk_policies_org_id_organizations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_policies')),
        sa.UniqueConstraint('org_id', 'name', name=op.f('uq_policies_org_id_name')),
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('brief', sa.JSON(), nullable=True))
    with op.batch_alter_table('variants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=35), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        protect_table(op, POLICIES)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        unprotect_table(op, POLICIES)
    with op.batch_alter_table('variants', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('brief')
    op.drop_table('policies')
