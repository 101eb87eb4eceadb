"""The sandbox network's server (a whole fake social network on localhost)."""

from __future__ import annotations

from socialhub.platforms.sandbox_server import SandboxServer

__all__ = ["SandboxServer"]
