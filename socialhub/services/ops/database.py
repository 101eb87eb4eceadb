"""Schema and upkeep of the database, for ``socialhub db``.

Imports SQLAlchemy and Alembic: import it inside a command, not at CLI start-up.
"""

from __future__ import annotations

from socialhub.db.engine import make_engine
from socialhub.db.migrate import (
    backup_sqlite,
    current_revision,
    downgrade,
    head_revision,
    upgrade,
)
from socialhub.db.vacuum import vacuum_database

__all__ = ["backup_sqlite", "current_revision", "downgrade", "head_revision",
           "make_engine", "upgrade", "vacuum_database"]

