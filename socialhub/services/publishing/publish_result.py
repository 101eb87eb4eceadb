"""What ``posts publish-now`` tells its caller when a send did not succeed.

A command that was asked to publish and did not must not exit 0: scripts and
CI check the exit code, not the table. This module turns the deliveries'
final rows into the one error (and exit code) that fits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from socialhub.errors import AuthError, PlatformError, SocialhubError
from socialhub.services.accounts.accounts import connect_advice, get_account, publish_blocker


def unpublished_error(session: Session, org_id: int, post: str,
                      rows: list[dict[str, Any]]) -> SocialhubError | None:
    """The error for the targets of ``post`` that did not go out, or None if all did.

    ``rows`` are ``queue.delivery_row`` dicts after the send. An account that
    cannot publish (not connected, needs_reauth, disabled) gives ``AuthError``
    (exit 9) with the command that connects it; any other failure gives
    ``PlatformError`` (exit 8) with the platform's reason.
    """
    failed = [r for r in rows if r["status"] != "published"]
    if not failed:
        return None
    reasons = []
    auth = False
    for r in failed:
        account = get_account(session, org_id, r["account"])
        problem = publish_blocker(account)
        if problem is not None:
            auth = True
            reasons.append(f"{r['account']} is {problem} ({connect_advice(account)})")
        else:
            why = r["last_error"] or f"still {r['status']}"
            reasons.append(f"{r['account']}: {why}")
    message = (f"{post} was not published to {len(failed)} of {len(rows)} "
               f"target{'s' if len(rows) != 1 else ''}: {'; '.join(reasons)}")
    return AuthError(message) if auth else PlatformError(message)
