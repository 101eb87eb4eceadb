"""``Idempotency-Key``: the first answer to a key is kept and replayed on a repeat.

The answer is stored in the same transaction as the change it reports, so a
change and its remembered answer commit (or roll back) together. The same key
with another method, path or body is refused: replaying the first answer would
tell the caller their second request happened when it did not.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from socialhub.db.models import ApiIdempotency
from socialhub.db.queries import access as queries
from socialhub.errors import ConflictError, ValidationError
from socialhub.services.clock import now_utc

#: The longest key accepted (the column's width).
MAX_KEY_LENGTH = 200
#: How long an answer is kept: a retry comes within seconds, a day is generous.
KEEP = timedelta(hours=24)


@dataclass(frozen=True)
class Remembered:
    """A kept answer: its status code and JSON body."""

    status: int
    body: Any


def fingerprint(method: str, path: str, body: bytes) -> str:
    """The SHA-256 that tells two requests with one key apart."""
    digest = hashlib.sha256()
    for part in (method.upper().encode(), b"\0", path.encode(), b"\0", body):
        digest.update(part)
    return digest.hexdigest()


def check_key(key: str) -> str:
    """The key, if usable.

    Raises:
        ValidationError: empty, too long, or not printable ASCII.
    """
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise ValidationError(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable "
                              "ASCII characters")
    return key


def recall(session: Session, token_id: int, key: str, print_: str) -> Remembered | None:
    """The answer kept for ``key`` of the token, or None when it is new (run it in the
    transaction of the use case it guards).

    Raises:
        ValidationError: the key was used with another request (a 422).
    """
    found = queries.idempotent_answer(session, token_id, check_key(key))
    if found is None:
        return None
    if found.fingerprint != print_:
        raise ValidationError("this Idempotency-Key was used with a different request",
                              hint="use a new key for a new request")
    return Remembered(found.status, found.response.get("body"))


def remember(session: Session, org_id: int, token_id: int, key: str, print_: str,
             status: int, body: Any) -> None:
    """Keep the answer to ``key`` in ``session``'s transaction (the use case's); the
    token's answers older than :data:`KEEP` are forgotten on the way.

    Raises:
        ConflictError: another request with the same key is being answered right now.
    """
    now = now_utc()
    queries.forget_answers_before(session, token_id, now - KEEP)
    session.add(ApiIdempotency(org_id=org_id, token_id=token_id, key=key,
                               fingerprint=print_, status=status, response={"body": body},
                               created_at=now))
    try:
        session.flush()
    except IntegrityError as exc:
        raise ConflictError("a request with this Idempotency-Key is in progress",
                            hint="retry in a moment to get its answer") from exc
