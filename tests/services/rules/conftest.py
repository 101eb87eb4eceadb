"""Fixtures for the workflow rules' tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.services.rules.feed_server import FeedServer


@pytest.fixture
def feed() -> Iterator[FeedServer]:
    """An RSS feed on loopback, empty until the test adds entries."""
    server = FeedServer()
    yield server
    server.stop()
