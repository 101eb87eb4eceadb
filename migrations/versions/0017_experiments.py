"""experiments: experiments, experiment_arms

Revision ID: 0017
Revises: 0012
Create Date: 2026-12-06 07:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import socialhub.db.types
from socialhub.db.tenancy import EXPERIMENT_ARMS, EXPERIMENTS, protect_table, unprotect_table

revision: str = '0017'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'experiments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=True),
        sa.Column('metric', sa.String(length=20), nullable=False),
        sa.Column('split', sa.String(length=10), nullable=False),
        sa.Column('min_sample', sa.Integer(), nullable=False),
        sa.Column('confidence', sa.Float(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('winner', sa.String(length=100), nullable=True),
        sa.Column('promoted_at', socialhub.db.types.UTCDateTime(), nullable=True),
        sa.Column('source', sa.String(length=500), nullable=True),
        sa.Column('created_at', socialhub.db.types.UTCDateTime(), nullable=False),
        sa.Column('updated_at', socialhub.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_experiments_campaign_id_campaigns'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'],
                                name=op.f('fk_experiments_org_id_organizations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_experiments')),
        sa.UniqueConstraint('org_id', 'name', name=op.f('uq_experiments_org_id_name')),
    )
    with op.batch_alter_table('experiments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_experiments_campaign_id'), ['campaign_id'],
                              unique=False)
    op.create_table(
        'experiment_arms',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('experiment_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('post_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['experiment_id'], ['experiments.id'],
                                name=op.f('fk_experiment_arms_experiment_id_experiments'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'],
                                name=op.f('fk_experiment_arms_post_id_posts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_experiment_arms')),
        sa.UniqueConstraint('experiment_id', 'name',
                            name=op.f('uq_experiment_arms_experiment_id_name')),
    )
    with op.batch_alter_table('experiment_arms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_experiment_arms_post_id'), ['post_id'],
                              unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        for spec in (EXPERIMENTS, EXPERIMENT_ARMS):
            protect_table(op, spec)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for spec in (EXPERIMENT_ARMS, EXPERIMENTS):
            unprotect_table(op, spec)
    with op.batch_alter_table('experiment_arms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_experiment_arms_post_id'))
    op.drop_table('experiment_arms')
    with op.batch_alter_table('experiments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_experiments_campaign_id'))
    op.drop_table('experiments')
