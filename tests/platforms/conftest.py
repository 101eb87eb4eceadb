"""Fixtures of the platform tests: a platform's local fake and its adapter on it.

An adapter test module (``test_<platform>_adapter.py``) names its fake by importing
``start_fake`` from ``tests/fakes/<platform>.py`` (or defining one); ``fake`` starts
it for each test and stops it after. ``adapter`` is the platform's real adapter
(from the registry) on the fake's first account, with its tokens and app and a 5 s
timeout, closed after the test. A module whose adapter needs more (settings, shorter
poll pauses, a member of its own) defines ``adapter_for(fake)``, and ``adapter``
uses that instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from socialhub.platforms.base import PlatformAdapter
from socialhub.platforms.registry import adapter_class


@pytest.fixture
def fake(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The running fake of the test module's platform (the module's ``start_fake``)."""
    start: Callable[[], Any] | None = getattr(request.module, "start_fake", None)
    if start is None:
        raise LookupError(f"{request.module.__name__} names no start_fake: import it "
                          "from tests.fakes.<platform>")
    server = start()
    yield server
    server.stop()


def default_adapter(fake: Any) -> PlatformAdapter:
    """The registry's adapter for ``fake.platform`` on the fake's first account."""
    info, tokens, app = fake.account()
    return adapter_class(fake.platform)(info, tokens, app=app, timeout_s=5)


@pytest.fixture
def adapter(fake: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The module's platform adapter on ``fake`` (the module's ``adapter_for(fake)`` when it
    has one, else ``default_adapter``), closed after the test."""
    build: Callable[[Any], PlatformAdapter] = getattr(request.module, "adapter_for",
                                                      default_adapter)
    built = build(fake)
    yield built
    built.close()
