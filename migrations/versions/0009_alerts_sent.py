"""alerts: remember each alert sent, so it fires once per occurrence

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-06 04:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import socialhub.db.types
from socialhub.db.tenancy import ALERTS_SENT, protect_table, unprotect_table


revision: str = '0009'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('alerts_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('occurrence', sa.String(length=200), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('raised_at', socialhub.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_alerts_sent_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts_sent')),
    sa.UniqueConstraint('org_id', 'rule', 'occurrence', name=op.f('uq_alerts_sent_org_id_rule_occurrence'))
    )
    with op.batch_alter_table('alerts_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alerts_sent_raised_at'), ['raised_at'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        protect_table(op, ALERTS_SENT)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        unprotect_table(op, ALERTS_SENT)
    with op.batch_alter_table('alerts_sent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alerts_sent_raised_at'))
    op.drop_table('alerts_sent')
