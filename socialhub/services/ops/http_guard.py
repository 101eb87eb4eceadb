"""The guard every HTTP server of socialhub wears: bearer token and body-size limit.

Cheap to import only once FastAPI/Starlette are wanted: import it inside the
function that builds a server.
"""

from __future__ import annotations

from socialhub.search.guard import AUTHENTICATED, OPEN_PATHS, HttpGuard

__all__ = ["AUTHENTICATED", "OPEN_PATHS", "HttpGuard"]
