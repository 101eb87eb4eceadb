"""Fixtures of the publishing tests: the delivery engine against the sandbox.

``hub`` (tests/conftest.py), ``sandbox`` and ``account`` (tests/services/conftest.py)
come from above. A test that needs other engine settings (attempts, backoff,
timeouts, concurrency) builds its own with ``tests.publishing_kit.make_engine``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from socialhub.services.hub import Hub
from socialhub.services.publishing.engine import PublishingEngine
from tests.publishing_kit import make_engine


@pytest.fixture
def engine(hub: Hub) -> Iterator[PublishingEngine]:
    """A PublishingEngine on ``hub`` with the kit's short leases and backoff; closed after
    the test (``publishing_kit.run`` closes it too, which is harmless)."""
    built = make_engine(hub)
    yield built
    built.close()
