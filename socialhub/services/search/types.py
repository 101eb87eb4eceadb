"""The records and stores of the docs and music libraries, and the import progress display.

For the front ends' type hints and rendering; the use cases that open and fill
the stores are in ``services.search.stores``.
"""

from __future__ import annotations

from socialhub.search.docs_store import Doc, DocInput, DocsStore
from socialhub.search.music_store import MusicStore, Track
from socialhub.search.progress import ImportProgress

__all__ = ["Doc", "DocInput", "DocsStore", "ImportProgress", "MusicStore", "Track"]
