"""Files only their owner may read: directories 0700, database files 0600.

The SQLite database holds posts, account handles and encrypted tokens; the
docs and music sidecars and the backups hold the same kind of data. They
used to be created with the umask's mode (usually 0644, world-readable).
Every place that creates one of these files goes through here, and
``socialhub doctor`` uses :func:`loose_files` to report files that are
looser than that.

SQLite creates a database's ``-wal``, ``-shm`` and ``-journal`` files with
the mode of the database file itself, so creating the database 0600 before
SQLite opens it makes those private too.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
#: The files SQLite keeps beside a database.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def make_private_dirs(directory: Path) -> None:
    """Create ``directory`` and any missing parents, each new one with mode 0700.

    Directories that already exist keep their mode: a folder the user chose is
    theirs to set (``doctor`` reports it when it is open to others).
    """
    missing = []
    for parent in [directory, *directory.parents]:
        if parent.exists():
            break
        missing.append(parent)
    for d in reversed(missing):
        with contextlib.suppress(FileExistsError):
            d.mkdir(mode=PRIVATE_DIR_MODE)
            os.chmod(d, PRIVATE_DIR_MODE)  # mkdir's mode is filtered by the umask


def create_private_file(path: Path) -> bool:
    """Create ``path`` empty with mode 0600 unless it exists; return whether it was created.

    An empty file is a valid empty SQLite database, so SQLite opens it and
    keeps its mode (and gives its ``-wal``/``-shm`` files the same one).
    """
    make_private_dirs(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


@dataclass(frozen=True)
class LooseFile:
    """A file or directory others may read or enter."""

    path: Path
    mode: int
    is_dir: bool

    @property
    def wanted(self) -> int:
        """The mode it should have."""
        return PRIVATE_DIR_MODE if self.is_dir else PRIVATE_FILE_MODE

    @property
    def fix(self) -> str:
        """The shell command that makes it private."""
        return f"chmod {self.wanted:o} {self.path}"

    def __str__(self) -> str:
        return f"{self.path} is {self.mode:04o}, not private; fix: {self.fix}"


def sqlite_family(database: Path) -> list[Path]:
    """``database`` and the companion files SQLite keeps beside it, those that exist."""
    candidates = [database, *(database.with_name(database.name + s) for s in SQLITE_COMPANIONS)]
    return [p for p in candidates if p.exists()]


def loose_files(paths: Iterable[Path]) -> list[LooseFile]:
    """Those of ``paths`` that exist and grant any permission to group or others."""
    loose = []
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            continue
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o077:
            loose.append(LooseFile(path, mode, stat.S_ISDIR(st.st_mode)))
    return loose
