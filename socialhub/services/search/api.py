"""The read-only search HTTP API (docs and music), as a FastAPI app.

Importing it raises ``ImportError`` when the web stack is not installed, so a
caller can serve without it.
"""

from __future__ import annotations

from socialhub.search.api import create_app

__all__ = ["create_app"]
