"""Where the migration scripts are and which revision is newest: standard library only.

Most commands (and the TUI's first paint) only compare the database's
revision with the newest one; neither needs Alembic or SQLAlchemy for that.
"""

from __future__ import annotations

import re
from pathlib import Path

from socialhub.errors import DatabaseError

__all__ = ["head_revision", "migrations_dir"]


def migrations_dir() -> Path:
    """The folder holding env.py and versions/, in a checkout or an installed wheel."""
    package_dir = Path(__file__).resolve().parent.parent
    for candidate in (package_dir / "_migrations", package_dir.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise DatabaseError("migration scripts are missing from this installation")


_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(.+)$", re.M)


def head_revision() -> str:
    """The newest revision this version of socialhub knows.

    Read from the scripts' ``revision`` / ``down_revision`` lines rather than
    through Alembic, whose import would cost every command ~0.2 s; a test
    checks the answer against Alembic's own.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (migrations_dir() / "versions").glob("*.py"):
        source = script.read_text(encoding="utf-8")
        found = _REVISION.search(source)
        if found is None:
            continue
        revisions.add(found.group(1))
        down = _DOWN_REVISION.search(source)
        if down is not None:
            parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    heads = sorted(revisions - parents)
    if len(heads) != 1:
        raise DatabaseError(f"migration history has {len(heads)} heads; expected one")
    return heads[0]
