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
    for a in list_accounts(session, org_id, with_credentials=True):
        row = account_summary(a)
        row["token_status"] = a.credential.status if a.credential else "none"
        rows.append(row)
    return rows


@use_case(Permission.ACCOUNTS_READ)
def account_list(ctx: Ctx, platform: str | None = None) -> list[dict[str, Any]]:
    """Every account (of ``platform`` when given) as ``accounts list --json`` shows it."""
    from socialhub.services.accounts.accounts import account_summary, list_accounts

    return [account_summary(a) for a in list_accounts(ctx.session, ctx.org_id, platform,
                                                      with_credentials=True)]


@use_case(Permission.ACCOUNTS_READ)
def account_details(ctx: Ctx, ref: str) -> dict[str, Any]:
    """One account: its summary, token expiry and scopes; never a token.

    Raises:
        NotFoundError: no such account in the organization.
    """
    from socialhub.services.accounts.accounts import account_summary, get_account
    from socialhub.services.accounts.connect import connection_details

    account = get_account(ctx.session, ctx.org_id, ref)
    return {**account_summary(account), **connection_details(account)}
