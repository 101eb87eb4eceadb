"""The transaction handle a use case runs in, for front ends that pass use cases around.

Front ends name the type here instead of importing SQLAlchemy themselves.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

__all__ = ["Session"]
