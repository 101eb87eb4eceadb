"""Parsing, checking and writing manifest documents, for ``apply``, ``lint`` and ``export``.

A thin door onto ``core.manifests`` (pure; it imports pydantic and YAML, so
import this module inside a command, not at CLI start-up).
"""

from __future__ import annotations

from socialhub.core.manifests import (
    KINDS,
    Issue,
    Progress,
    check_text_lengths,
    dump_documents,
    parse_manifests,
)

__all__ = ["KINDS", "Issue", "Progress", "check_text_lengths", "dump_documents",
           "parse_manifests"]
