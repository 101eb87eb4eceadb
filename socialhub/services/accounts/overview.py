"""The accounts screen's rows: each account with its token state (never a secret)."""

from __future__ import annotations

from typing import Any

from socialhub.core.policy import Permission
from socialhub.services.context import Ctx, use_case

# Cheap to import: the accounts service (SQLAlchemy) is loaded on the first call.


@use_case(Permission.ACCOUNTS_READ)
def account_rows(ctx: Ctx) -> list[dict[str, Any]]:
    """Accounts with token status and expiry (never secrets)."""
    from socialhub.services.accounts.accounts import account_summary, list_accounts

    session, org_id = ctx.session, ctx.org_id
    rows = []
    for a in list_accounts(session, org_id):
        row = account_summary(a)
        row["token_status"] = a.credential.status if a.credential else "none"
        rows.append(row)
    return rows
