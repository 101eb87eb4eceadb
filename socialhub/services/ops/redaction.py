"""Scrubbing secrets (tokens, keys, passwords in URLs) out of text shown to a person."""

from __future__ import annotations

from socialhub.security.redact import redact

__all__ = ["redact"]
