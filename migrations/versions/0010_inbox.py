"""inbox: inbox_items, inbox_cursors, deliveries.inbox_item_id

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 04:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import socialhub.db.types
from socialhub.db.tenancy import INBOX_CURSORS, INBOX_ITEMS, protect_table, unprotect_table

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'inbox_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('platform', sa.String(length=32), nullable=False),
        sa.Column('remote_id', sa.String(length=500), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('author_handle', sa.String(length=320), nullable=False),
        sa.Column('author_name', sa.String(length=200), nullable=True),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('url', sa.String(length=1000), nullable=True),
        sa.Column('delivery_id', sa.Integer(), nullable=True),
        sa.Column('parent_id', sa.String(length=500), nullable=True),
        sa.Column('conversation_id', sa.String(length=500), nullable=True),
        sa.Column('context', sa.JSON(), nullable=False),
        sa.Column('received_at', socialhub.db.types.UTCDateTime(), nullable=False),
        sa.Column('synced_at', socialhub.db.types.UTCDateTime(), nullable=False),
        sa.Column('read', sa.Boolean(), nullable=False),
        sa.Column('archived', sa.Boolean(), nullable=False),
        sa.Column('assignee', sa.String(length=200), nullable=True),
        sa.Column('sentiment', sa.String(length=10), nullable=True),
        sa.Column('sentiment_score', sa.Float(), nullable=True),
        sa.Column('flags', sa.JSON(), nullable=False),
        sa.Column('language', sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name=op.f('fk_inbox_items_account_id_accounts'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'],
                                name=op.f('fk_inbox_items_org_id_organizations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_items')),
        sa.UniqueConstraint('account_id', 'remote_id',
                            name=op.f('uq_inbox_items_account_id_remote_id')),
    )
    with op.batch_alter_table('inbox_items', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_items_conversation', ['account_id', 'conversation_id'],
                              unique=False)
        batch_op.create_index('ix_inbox_items_org_received', ['org_id', 'received_at'],
                              unique=False)
    op.create_table(
        'inbox_cursors',
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('cursor', sa.JSON(), nullable=False),
        sa.Column('synced_at', socialhub.db.types.UTCDateTime(), nullable=True),
        sa.Column('next_sync_at', socialhub.db.types.UTCDateTime(), nullable=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name=op.f('fk_inbox_cursors_account_id_accounts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('account_id', name=op.f('pk_inbox_cursors')),
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inbox_item_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_deliveries_inbox_item_id'), ['inbox_item_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_deliveries_inbox_item_id_inbox_items'),
                                    'inbox_items', ['inbox_item_id'], ['id'],
                                    ondelete='SET NULL')
    if op.get_bind().dialect.name == 'postgresql':
        for spec in (INBOX_ITEMS, INBOX_CURSORS):
            protect_table(op, spec)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for spec in (INBOX_CURSORS, INBOX_ITEMS):
            unprotect_table(op, spec)
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_deliveries_inbox_item_id_inbox_items'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_deliveries_inbox_item_id'))
        batch_op.drop_column('inbox_item_id')
    op.drop_table('inbox_cursors')
    with op.batch_alter_table('inbox_items', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_items_org_received')
        batch_op.drop_index('ix_inbox_items_conversation')
    op.drop_table('inbox_items')
