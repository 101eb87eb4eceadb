"""The sandbox network's server (a whole fake social network on localhost)."""

from __future__ import annotations

from socialhub.sandbox_network.server import SandboxServer

__all__ = ["SandboxServer"]
