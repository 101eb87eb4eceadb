"""links: campaigns.utm, short_links, link_clicks_daily

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-06 07:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import socialhub.db.types
from socialhub.db.tenancy import LINK_CLICKS_DAILY, SHORT_LINKS, protect_table, unprotect_table

revision: str = '0015'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('utm', sa.JSON(), nullable=True))
    op.create_table(
        'short_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('url', sa.Text(), nullable=False),
        sa.Column('url_hash', sa.String(length=64), nullable=False),
        sa.Column('target', sa.Text(), nullable=False),
        sa.Column('post_id', sa.Integer(), nullable=True),
        sa.Column('variant_id', sa.Integer(), nullable=True),
        sa.Column('account_id', sa.Integer(), nullable=True),
        sa.Column('platform', sa.String(length=32), nullable=False),
        sa.Column('created_at', socialhub.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'],
                                name=op.f('fk_short_links_org_id_organizations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'],
                                name=op.f('fk_short_links_post_id_posts'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['variant_id'], ['variants.id'],
                                name=op.f('fk_short_links_variant_id_variants'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name=op.f('fk_short_links_account_id_accounts'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_short_links')),
        sa.UniqueConstraint('code', name=op.f('uq_short_links_code')),
        sa.UniqueConstraint('variant_id', 'url_hash',
                            name=op.f('uq_short_links_variant_id_url_hash')),
    )
    with op.batch_alter_table('short_links', schema=None) as batch_op:
        batch_op.create_index('ix_short_links_org_post', ['org_id', 'post_id'], unique=False)
    op.create_table(
        'link_clicks_daily',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('link_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'],
                                name=op.f('fk_link_clicks_daily_org_id_organizations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['link_id'], ['short_links.id'],
                                name=op.f('fk_link_clicks_daily_link_id_short_links'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_link_clicks_daily')),
        sa.UniqueConstraint('link_id', 'day', name=op.f('uq_link_clicks_daily_link_id_day')),
    )
    with op.batch_alter_table('link_clicks_daily', schema=None) as batch_op:
        batch_op.create_index('ix_link_clicks_daily_org_day', ['org_id', 'day'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        for spec in (SHORT_LINKS, LINK_CLICKS_DAILY):
            protect_table(op, spec)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for spec in (LINK_CLICKS_DAILY, SHORT_LINKS):
            unprotect_table(op, spec)
    with op.batch_alter_table('link_clicks_daily', schema=None) as batch_op:
        batch_op.drop_index('ix_link_clicks_daily_org_day')
    op.drop_table('link_clicks_daily')
    with op.batch_alter_table('short_links', schema=None) as batch_op:
        batch_op.drop_index('ix_short_links_org_post')
    op.drop_table('short_links')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('utm')
