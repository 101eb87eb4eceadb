"""Datasette plugin for bench/search.py: the sidecar's search PRAGMAs on every connection.

Loaded with ``datasette serve --plugins-dir bench/datasette_plugins``, so Datasette reads
the docs sidecar with the same ``mmap_size``, ``cache_size`` and ``temp_store`` as
socialhub's API (imported from socialhub, not copied, so the two cannot drift).
"""

from __future__ import annotations

import sqlite3

from datasette import hookimpl

from socialhub.search.sidecar import apply_read_pragmas


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    """Apply the API's read PRAGMAs to each connection Datasette opens."""
    apply_read_pragmas(conn)
