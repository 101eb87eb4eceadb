"""The paging bounds of the docs and music searches (``--limit``, ``--offset``).

Cheap to import: the CLI reads them while building ``--help``.
"""

from __future__ import annotations

from socialhub.search.bounds import MAX_LIMIT, MAX_OFFSET

__all__ = ["MAX_LIMIT", "MAX_OFFSET"]
