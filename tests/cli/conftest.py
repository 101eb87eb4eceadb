"""Fixtures the command tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.anthropic_server import FakeAnthropic


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnthropic]:
    """The local Messages-API server, with the config pointing the real SDK at it."""
    with FakeAnthropic() as server:
        monkeypatch.setenv("SOCIALHUB_AI_API_KEY", "test-key")
        monkeypatch.setenv("SOCIALHUB_AI_BASE_URL", server.url)
        monkeypatch.setenv("SOCIALHUB_AI_MODEL", "claude-haiku-4-5")
        yield server
