"""Redaction of anything that looks like a secret (placeholder; see security helper)."""

from __future__ import annotations

import logging


def redact(text: str) -> str:
    """Return ``text`` with secret-looking substrings masked."""
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts secrets from every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        return True
