"""row-level security: organization-owned tables isolated per member on PostgreSQL

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 04:30:00

PostgreSQL only (nothing happens on SQLite): FORCE ROW LEVEL SECURITY and
member/daemon policies on every organization-owned table, the helper
functions they call, and the triggers that refuse escalation through
``memberships``. See socialhub/db/tenancy.py and docs/security.md.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from socialhub.db.tenancy import install_tenancy, uninstall_tenancy

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _scalar(query: str) -> object:
    return op.get_bind().execute(sa.text(query)).scalar()


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    install_tenancy(op, _scalar)


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    uninstall_tenancy(op)
