"""Persistence: SQLAlchemy models, engines, sessions and migrations."""
