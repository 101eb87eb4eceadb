"""The page bounds every search front end shares (CLI options, HTTP query parameters).

Standard library free on purpose: the CLI reads these at startup without
loading sqlite3 or the stores.
"""

from __future__ import annotations

#: Most results one search page returns.
MAX_LIMIT = 200
#: Deepest page offset a search accepts; larger is a usage error, never an overflow.
MAX_OFFSET = 1_000_000
