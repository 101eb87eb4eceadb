"""rules: rules, rule_runs

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 05:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import socialhub.db.types
from socialhub.db.tenancy import RULE_RUNS, RULES, protect_table, unprotect_table

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'rules',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('dry_run', sa.Boolean(), nullable=False),
        sa.Column('trigger', sa.JSON(), nullable=False),
        sa.Column('conditions', sa.JSON(), nullable=False),
        sa.Column('actions', sa.JSON(), nullable=False),
        sa.Column('per_hour', sa.Integer(), nullable=False),
        sa.Column('last_item_id', sa.Integer(), nullable=False),
        sa.Column('created_at', socialhub.db.types.UTCDateTime(), nullable=False),
        sa.Column('updated_at', socialhub.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'],
                                name=op.f('fk_rules_org_id_organizations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rules')),
        sa.UniqueConstraint('org_id', 'name', name=op.f('uq_rules_org_id_name')),
    )
    op.create_table(
        'rule_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('rule_id', sa.Integer(), nullable=False),
        sa.Column('rule_name', sa.String(length=200), nullable=False),
        sa.Column('subject', sa.String(length=100), nullable=False),
        sa.Column('trigger', sa.String(length=40), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('dry_run', sa.Boolean(), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.Column('ran_at', socialhub.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'],
                                name=op.f('fk_rule_runs_org_id_organizations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['rule_id'], ['rules.id'],
                                name=op.f('fk_rule_runs_rule_id_rules'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rule_runs')),
        sa.UniqueConstraint('rule_id', 'subject', 'dry_run',
                            name=op.f('uq_rule_runs_rule_id_subject_dry_run')),
    )
    with op.batch_alter_table('rule_runs', schema=None) as batch_op:
        batch_op.create_index('ix_rule_runs_org_ran', ['org_id', 'ran_at'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        for spec in (RULES, RULE_RUNS):
            protect_table(op, spec)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for spec in (RULE_RUNS, RULES):
            unprotect_table(op, spec)
    with op.batch_alter_table('rule_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_rule_runs_org_ran')
    op.drop_table('rule_runs')
    op.drop_table('rules')
