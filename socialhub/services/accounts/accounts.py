"""Accounts: the social profiles an organization publishes to."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from socialhub.core.policy import Permission
from socialhub.db.models import Account
from socialhub.db.queries import accounts as queries
from socialhub.errors import ConflictError, NotFoundError, ValidationError
from socialhub.platforms.registry import platform_names, spec_for, specs
from socialhub.services.audit import created, deleted, record_event, snapshot
from socialhub.services.context import Ctx, use_case

#: Every network socialhub knows, in the registry's order (``platforms/registry.py``).
KNOWN_PLATFORMS: tuple[str, ...] = platform_names()


#: The fields of an account the audit trail records (settings pass through redaction;
#: tokens live in credentials and are never read here).
ACCOUNT_FIELDS = ("platform", "handle", "display_name", "external_id", "base_url", "status",
                  "settings")


def parse_account_ref(ref: str) -> tuple[str, str]:
    """Split ``platform:@handle`` (the ``@`` is optional) into platform and bare handle.

    Raises:
        ValidationError: the reference is not of that form or names an unknown platform.
    """
    if ":" not in ref:
        raise ValidationError(
            f"account reference {ref!r} must look like platform:@handle, "
            "e.g. bluesky:@shop.example.com"
        )
    platform, handle = ref.split(":", 1)
    platform = platform.strip().lower()
    handle = handle.strip().lstrip("@")
    if platform not in KNOWN_PLATFORMS:
        raise ValidationError(
            f"unknown platform {platform!r} in {ref!r} (known: {', '.join(KNOWN_PLATFORMS)})"
        )
    if not handle:
        raise ValidationError(f"account reference {ref!r} has no handle")
    return platform, handle


def get_account(session: Session, org_id: int, ref: str) -> Account:
    """The account named by ``platform:@handle`` or by its numeric id.

    Raises:
        NotFoundError: no such account in this organization.
    """
    if ref.isdigit():
        account = session.get(Account, int(ref))
        if account is None or account.org_id != org_id:
            raise NotFoundError(f"no account with id {ref}")
        return account
    platform, handle = parse_account_ref(ref)
    account = queries.account_by_handle(session, org_id, platform, handle)
    if account is None:
        raise NotFoundError(f"unknown account {platform}:@{handle}",
                            hint="see `socialhub accounts list`")
    return account


def list_accounts(session: Session, org_id: int, platform: str | None = None, *,
                  with_credentials: bool = False) -> list[Account]:
    """Every account of the organization, by platform then handle; ``with_credentials``
    reads their credentials in the same go (for ``account_summary`` of each)."""
    return queries.accounts_of(session, org_id, platform, with_credentials=with_credentials)


@use_case(Permission.ACCOUNTS_MANAGE)
def add_account(ctx: Ctx, *, platform: str, handle: str,
                display_name: str | None = None, external_id: str | None = None,
                base_url: str | None = None, settings: dict[str, Any] | None = None) -> Account:
    """Create an account record (credentials are attached separately).

    Raises:
        ValidationError: unknown platform or empty handle.
        ConflictError: the account exists already.
    """
    session, org_id = ctx.session, ctx.org_id
    platform, handle = parse_account_ref(f"{platform}:{handle}")
    exists = queries.account_id_by_handle(session, org_id, platform, handle)
    if exists is not None:
        raise ConflictError(f"account {platform}:@{handle} already exists")
    account = Account(org_id=org_id, platform=platform, handle=handle, display_name=display_name,
                      external_id=external_id, base_url=base_url, settings=settings or {},
                      status="active")
    session.add(account)
    session.flush()
    record_event(session, org_id, "create", "Account", record_id=account.id, name=account.ref,
                 change=created(snapshot(account, ACCOUNT_FIELDS)))
    return account


@use_case(Permission.ACCOUNTS_MANAGE)
def remove_account(ctx: Ctx, ref: str, *, force: bool = False) -> Account:
    """Delete an account with its credentials, variants and deliveries.

    Raises:
        ConflictError: deliveries are still pending and ``force`` is false.
    """
    session, org_id = ctx.session, ctx.org_id
    account = get_account(session, org_id, ref)
    pending = queries.a_waiting_delivery(session, account.id)
    if pending is not None and not force:
        raise ConflictError(f"account {account.ref} has posts waiting to go out",
                            hint="cancel them first or pass --force")
    record_event(session, org_id, "delete", "Account", record_id=account.id, name=account.ref,
                 change=deleted(snapshot(account, ACCOUNT_FIELDS)))
    session.delete(account)
    session.flush()
    return account


def account_summary(account: Account) -> dict[str, Any]:
    """Plain data for --json and tables (never secrets)."""
    cred = account.credential
    return {
        "id": account.id,
        "ref": account.ref,
        "platform": account.platform,
        "handle": account.handle,
        "display_name": account.display_name,
        "external_id": account.external_id,
        "base_url": account.base_url,
        "status": account.status,
        "status_reason": account.status_reason,
        "connected": cred is not None,
        "token_expires_at": cred.expires_at if cred else None,
        "scopes": list(cred.scopes) if cred else [],
        "settings": dict(account.settings or {}),
    }


#: Platforms that need a developer app (client id and secret) registered by the user
#: before ``accounts connect`` can work; Bluesky, Mastodon and the sandbox do not.
DEVELOPER_APP_PLATFORMS: tuple[str, ...] = tuple(
    spec.name for spec in specs() if spec.needs_developer_app)


def developer_app_doc(platform: str) -> str:
    """The doc page that explains how to register ``platform``'s developer app."""
    return spec_for(platform).docs_page


def connect_command(account: Account) -> str:
    """The exact command that connects (or reconnects) ``account``."""
    cmd = f"socialhub accounts connect {account.platform}"
    if account.platform == "bluesky":
        return f"{cmd} --handle {account.handle}"
    if account.platform == "mastodon":
        return f"{cmd} --base-url {account.base_url or 'https://INSTANCE'}"
    if account.platform == "sandbox":
        return f"{cmd} --base-url {account.base_url or 'URL'} --handle {account.handle}"
    if account.platform == "facebook":
        return f"{cmd} --handle {account.handle}"
    return cmd


def publish_blocker(account: Account) -> str | None:
    """Why ``account`` cannot publish right now (``not connected``, ``needs_reauth``,
    ``disabled``), or None when it can."""
    if account.status == "disabled":
        return "disabled"
    if account.credential is None:
        return "not connected"
    if account.status != "active":
        return account.status
    return None


def connect_advice(account: Account) -> str:
    """One clause telling a person how to make ``account`` publish again."""
    if account.status == "disabled":
        return "enable it again before anything goes out"
    advice = f"connect it: `{connect_command(account)}`"
    if account.platform in DEVELOPER_APP_PLATFORMS and account.credential is None:
        advice += (f" (needs a {account.platform} developer app, see "
                   f"{developer_app_doc(account.platform)})")
    return advice


def waiting_deliveries(session: Session, account_id: int) -> int:
    """How many deliveries of ``account_id`` wait to go out (scheduled or retrying)."""
    return queries.count_waiting(session, account_id)


def accounts_that_cannot_publish(session: Session, org_id: int) -> list[dict[str, Any]]:
    """Every account of the organization that cannot publish, with the deliveries
    waiting on it and how to fix it: ``{"ref", "problem", "waiting", "fix"}``."""
    rows = []
    for account in list_accounts(session, org_id):
        problem = publish_blocker(account)
        if problem is None:
            continue
        if account.status_reason and problem == "needs_reauth":
            problem = f"needs_reauth ({account.status_reason})"
        rows.append({"ref": account.ref, "problem": problem,
                     "waiting": waiting_deliveries(session, account.id),
                     "fix": connect_advice(account)})
    return rows
