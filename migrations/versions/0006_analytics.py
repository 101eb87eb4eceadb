"""analytics: latest metrics per delivery, account snapshots

``metric_latest`` holds each delivery's newest capture (filled from the existing
snapshots here, newest by id per delivery); ``account_snapshots`` holds an
account's followers, following and posts per UTC day; deliveries get an index
on ``(status, published_at)``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 03:59:36.448914
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import socialhub.db.types
from socialhub.db.tenancy import ACCOUNT_SNAPSHOTS, METRIC_LATEST, protect_table, unprotect_table


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('account_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('captured_on', sa.Date(), nullable=False),
    sa.Column('captured_at', socialhub.db.types.UTCDateTime(), nullable=False),
    sa.Column('followers', sa.BigInteger(), nullable=True),
    sa.Column('following', sa.BigInteger(), nullable=True),
    sa.Column('posts', sa.BigInteger(), nullable=True),
    sa.Column('raw', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_account_snapshots_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_snapshots')),
    sa.UniqueConstraint('account_id', 'captured_on', name=op.f('uq_account_snapshots_account_id_captured_on'))
    )
    op.create_table('metric_latest',
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('first_captured_at', socialhub.db.types.UTCDateTime(), nullable=False),
    sa.Column('captured_at', socialhub.db.types.UTCDateTime(), nullable=False),
    sa.Column('snapshots', sa.Integer(), nullable=False),
    sa.Column('impressions', sa.BigInteger(), nullable=True),
    sa.Column('likes', sa.BigInteger(), nullable=True),
    sa.Column('replies', sa.BigInteger(), nullable=True),
    sa.Column('reposts', sa.BigInteger(), nullable=True),
    sa.Column('quotes', sa.BigInteger(), nullable=True),
    sa.Column('clicks', sa.BigInteger(), nullable=True),
    sa.Column('saves', sa.BigInteger(), nullable=True),
    sa.Column('video_views', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], name=op.f('fk_metric_latest_delivery_id_deliveries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('delivery_id', name=op.f('pk_metric_latest'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_published', ['status', 'published_at'], unique=False)
    op.execute(
        "INSERT INTO metric_latest (delivery_id, source, first_captured_at, captured_at,"
        " snapshots, impressions, likes, replies, reposts, quotes, clicks, saves, video_views)"
        " SELECT s.delivery_id, 'platform', f.first_at, s.captured_at, f.n, s.impressions,"
        " s.likes, s.replies, s.reposts, s.quotes, s.clicks, s.saves, s.video_views"
        " FROM metric_snapshots s JOIN (SELECT delivery_id, MIN(captured_at) AS first_at,"
        " COUNT(*) AS n, MAX(id) AS last_id FROM metric_snapshots GROUP BY delivery_id) f"
        " ON s.id = f.last_id")
    if op.get_bind().dialect.name == 'postgresql':
        for spec in (ACCOUNT_SNAPSHOTS, METRIC_LATEST):
            protect_table(op, spec)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for spec in (ACCOUNT_SNAPSHOTS, METRIC_LATEST):
            unprotect_table(op, spec)
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_published')

    op.drop_table('metric_latest')
    op.drop_table('account_snapshots')
