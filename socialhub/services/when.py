"""Reading and describing times for the front ends (``--at``, ``--from``, a display zone).

A thin door onto the pure rules in ``core.when`` and ``core.when_relative``,
so the CLI and the TUI reach them through the services layer. Importing it
is cheap (no database, no HTTP client).
"""

from __future__ import annotations

from socialhub.core.when import When, load_zone, parse_when
from socialhub.core.when_relative import describe_when, parse_day

__all__ = ["When", "describe_when", "load_zone", "parse_day", "parse_when"]
