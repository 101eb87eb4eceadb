"""Secrets: encryption at rest, master-key sources, and log redaction."""
