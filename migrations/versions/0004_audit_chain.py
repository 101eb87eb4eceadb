"""audit trail: channel, a hash chain per organization, append-only on PostgreSQL

Adds ``audit_events.channel``, ``prev_hash`` (unique: a chain cannot fork) and
``hash``, back-fills the chain of the rows already there (per organization, in
id order, ``core/audit_chain.py``), and on PostgreSQL installs the trigger that
refuses UPDATE, DELETE and TRUNCATE. A DELETE is let through only when it is the
cascade of deleting the row's organization (the organization row is already
gone): deleting an organization removes its whole chain, never part of one.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 04:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import socialhub.db.types
from socialhub.core.audit_chain import genesis_hash, link

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AUDIT = sa.table(
    'audit_events',
    sa.column('id', sa.Integer()), sa.column('org_id', sa.Integer()),
    sa.column('at', socialhub.db.types.UTCDateTime()), sa.column('actor', sa.String()),
    sa.column('channel', sa.String()), sa.column('action', sa.String()),
    sa.column('record_kind', sa.String()), sa.column('record_id', sa.Integer()),
    sa.column('record_name', sa.String()), sa.column('change', sa.JSON()),
    sa.column('prev_hash', sa.String()), sa.column('hash', sa.String()),
)

#: Refuses every UPDATE, DELETE and TRUNCATE but the cascade of deleting an organization.
GUARD_FUNCTION = """
CREATE OR REPLACE FUNCTION socialhub_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        -- depth > 1: fired by the foreign key's cascade, not by a statement of its own
        IF OLD.org_id IS NOT NULL AND pg_trigger_depth() > 1
           AND NOT EXISTS (SELECT 1 FROM organizations WHERE id = OLD.org_id) THEN
            RETURN OLD;  -- the cascade of deleting the organization itself
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'audit rows are never changed or removed; see docs/security.md';
END;
$$
"""


def _backfill() -> None:
    bind = op.get_bind()
    rows = [dict(r._mapping) for r in bind.execute(
        sa.select(_AUDIT).order_by(_AUDIT.c.id))]
    chains: dict[int | None, list[dict[str, object]]] = {}
    for row in rows:
        chains.setdefault(row['org_id'], []).append(row)  # type: ignore[arg-type]
    for org_id, chain in chains.items():
        link(chain, genesis_hash(org_id))
    for row in rows:
        bind.execute(_AUDIT.update().where(_AUDIT.c.id == row['id'])
                     .values(prev_hash=row['prev_hash'], hash=row['hash']))


def upgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    _backfill()
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_prev_hash'),
                                          ['prev_hash'])
        batch_op.drop_index('ix_audit_events_org_id')
        batch_op.create_index('ix_audit_events_chain', ['org_id', 'id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(GUARD_FUNCTION)
        op.execute("CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE "
                   "ON audit_events FOR EACH ROW EXECUTE FUNCTION socialhub_audit_append_only()")
        op.execute("CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE "
                   "ON audit_events FOR EACH STATEMENT "
                   "EXECUTE FUNCTION socialhub_audit_append_only()")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS socialhub_audit_append_only()")
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_chain')
        batch_op.create_index('ix_audit_events_org_id', ['org_id'], unique=False)
        batch_op.drop_constraint(batch_op.f('uq_audit_events_prev_hash'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('channel')
