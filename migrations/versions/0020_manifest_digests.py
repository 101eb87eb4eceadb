"""manifest digests: manifest_digests (skip unchanged manifests on apply)

Revision ID: 0020
Revises: 0015
Create Date: 2026-12-06 20:15:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from socialhub.db.tenancy import MANIFEST_DIGESTS, protect_table, unprotect_table

revision: str = '0020'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'manifest_digests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('documents', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'],
                                name=op.f('fk_manifest_digests_org_id_organizations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_manifest_digests')),
        sa.UniqueConstraint('org_id', 'kind', 'name',
                            name=op.f('uq_manifest_digests_org_id_kind_name')),
    )
    with op.batch_alter_table('manifest_digests', schema=None) as batch_op:
        batch_op.create_index('ix_manifest_digests_org_digest', ['org_id', 'digest'],
                              unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        protect_table(op, MANIFEST_DIGESTS)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        unprotect_table(op, MANIFEST_DIGESTS)
    with op.batch_alter_table('manifest_digests', schema=None) as batch_op:
        batch_op.drop_index('ix_manifest_digests_org_digest')
    op.drop_table('manifest_digests')
