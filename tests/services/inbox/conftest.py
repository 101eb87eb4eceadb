"""Fixtures of the inbox tests: the sandbox (``tests/services/conftest.py``) with simulated
people writing to the connected account, and a sync on the test's hub."""

from __future__ import annotations

from typing import Any

import httpx

from socialhub.sandbox_network.server import SandboxServer


def simulate(sandbox: SandboxServer, count: int, *, seed: int = 7, **extra: Any) -> int:
    """Simulated people send ``count`` messages to the sandbox's accounts."""
    response = httpx.post(f"{sandbox.url}/_sandbox/inbox",
                          json={"count": count, "seed": seed, **extra}, timeout=10)
    response.raise_for_status()
    return int(response.json()["sent"])
