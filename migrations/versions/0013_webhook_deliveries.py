"""webhooks: webhook_deliveries (the delivery log and retry queue of webhooks)

Revision ID: 0013
Revises: 0017
Create Date: 2026-12-06 07:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import socialhub.db.types
from socialhub.db.tenancy import WEBHOOK_DELIVERIES, protect_table, unprotect_table

revision: str = '0013'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'webhook_deliveries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('webhook_id', sa.String(length=64), nullable=False),
        sa.Column('endpoint', sa.String(length=100), nullable=False),
        sa.Column('event', sa.String(length=100), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_http_status', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.Column('duration_ms', sa.Integer(), nullable=True),
        sa.Column('next_attempt_at', socialhub.db.types.UTCDateTime(), nullable=True),
        sa.Column('last_attempt_at', socialhub.db.types.UTCDateTime(), nullable=True),
        sa.Column('delivered_at', socialhub.db.types.UTCDateTime(), nullable=True),
        sa.Column('created_at', socialhub.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'],
                                name=op.f('fk_webhook_deliveries_org_id_organizations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
        sa.UniqueConstraint('webhook_id', name=op.f('uq_webhook_deliveries_webhook_id')),
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_deliveries_due', ['status', 'next_attempt_at'],
                              unique=False)
        batch_op.create_index('ix_webhook_deliveries_org_created', ['org_id', 'created_at'],
                              unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        protect_table(op, WEBHOOK_DELIVERIES)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        unprotect_table(op, WEBHOOK_DELIVERIES)
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_deliveries_org_created')
        batch_op.drop_index('ix_webhook_deliveries_due')
    op.drop_table('webhook_deliveries')
