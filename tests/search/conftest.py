"""Fixtures of the search tests: an empty docs library.

``test_search_fts.py`` (one store for the module) and ``test_music_import.py`` (a
music library) define their own ``store``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from socialhub.search.docs_store import DocsStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DocsStore]:
    """An empty docs library in the test's directory, closed after the test."""
    s = DocsStore(tmp_path / "docs.sqlite")
    yield s
    s.close()
