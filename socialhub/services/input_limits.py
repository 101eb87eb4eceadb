"""The size and encoding checks every text read from a file or stdin goes through.

A thin door onto ``core.limits`` (pure, cheap to import) for the CLI.
"""

from __future__ import annotations

from socialhub.core.limits import check_size, decode_utf8

__all__ = ["check_size", "decode_utf8"]
