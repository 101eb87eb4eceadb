"""Logging set-up for a front end: JSON off a terminal, text on one, secrets redacted."""

from __future__ import annotations

from socialhub.logs import configure_logging

__all__ = ["configure_logging"]
