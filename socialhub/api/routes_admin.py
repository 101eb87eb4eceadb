"""The organization's administration: ``/api/v1/org``, ``/members``, ``/audit``, ``/tokens``.

Each route calls the use case the matching CLI command calls (``orgs set``,
``members add/list/set-role/remove/roles``, ``audit list/verify``,
``tokens create/list/revoke``). A token acts in its own organization only: ``orgs
add`` (a new organization) and ``orgs use`` (a local preference) stay at the CLI.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from socialhub.api.core import (
    Caller,
    CursorQuery,
    cursor_window,
    no_nul_bytes,
    operation,
    page,
    read,
    write,
)
from socialhub.api.routes_posts import Strict
from socialhub.api.routes_reads import Record, RecordPage, Records
from socialhub.services.access.tokens import create_token, list_tokens, revoke_token
from socialhub.services.audit_trail.trail import audit_filter, audit_page
from socialhub.services.audit_trail.verify import verify_audit
from socialhub.services.context import Ctx
from socialhub.services.paging import AUDIT
from socialhub.services.teams.members import (
    add_member,
    list_members,
    remove_member,
    roles_matrix,
    set_member_role,
)
from socialhub.services.teams.organizations import organization_settings, set_approvals

router = APIRouter(prefix="/api/v1", dependencies=[Depends(no_nul_bytes)])

_LOGIN = Annotated[str, Path(min_length=1, max_length=200)]
_ROLE = Literal["owner", "admin", "editor", "reviewer", "viewer"]
_SHORT = Annotated[str | None, Query(max_length=200)]


def _route(method: str, path: str, op: str, summary: str, tag: str, status: int = 200,
           model: type = Record) -> Any:
    return operation(router, method, path, op, summary, tag, model, status=status)


class OrgPatch(Strict):
    """The organization's settings to change."""

    approvals: Literal["off", "required"] = Field(
        description="required: posts need a reviewer's approval before they are "
                    "scheduled or sent.")


class MemberCreate(Strict):
    """A new member: a login and a role no higher than the caller's own."""

    login: str = Field(min_length=1, max_length=200, examples=["alice"])
    role: _ROLE
    password: str | None = Field(
        default=None, min_length=1, max_length=4096, repr=False,
        description="PostgreSQL: the new database login's password (never echoed).")


class MemberPatch(Strict):
    """A member's new role."""

    role: _ROLE


class TokenCreate(Strict):
    """A token for the caller, with at most the calling token's scopes."""

    name: str = Field(min_length=1, max_length=100, examples=["ci"])
    scopes: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        min_length=1, max_length=40, examples=[["posts:read"]])
    expires: str = Field(default="90d", max_length=10, pattern=r"^(\d{1,5}[hdw]|never)$",
                         description="90d, 12h, 2w or never; never later than the "
                                     "calling token's own expiry.")


@_route("GET", "/org", "getOrganization", "The token's organization", "org")
def get_org(request: Request, caller: Caller) -> Any:
    """Its name and settings (`socialhub orgs set NAME` without options)."""
    return read(request, caller, organization_settings)


@_route("PATCH", "/org", "updateOrganization", "Change the organization's settings", "org")
def update_org(request: Request, caller: Caller, body: OrgPatch) -> JSONResponse:
    """Owners and admins (`socialhub orgs set NAME --approvals …`)."""
    return write(request, caller, lambda ctx: set_approvals(ctx, body.approvals), body=body)


@_route("GET", "/members", "listMembers", "List members", "members", model=Records)
def members(request: Request, caller: Caller) -> Any:
    """Every member with their role, by login (`socialhub members list`)."""
    return {"items": read(request, caller, list_members)}


@_route("GET", "/members/roles", "listRoles", "What each role may do", "members",
        model=Records)
def roles(request: Request, caller: Caller) -> Any:
    """The permission matrix, one row per role (`socialhub members roles`)."""
    return {"items": read(request, caller, lambda ctx: roles_matrix())}


@_route("POST", "/members", "addMember", "Add a member", "members", 201)
def create_member(request: Request, caller: Caller, body: MemberCreate) -> JSONResponse:
    """Never with a role above the caller's own (`socialhub members add`)."""
    return write(request, caller, lambda ctx: add_member(
        ctx, body.login, body.role, password=body.password),
        body=body.model_dump(exclude={"password"}), status=201)


@_route("PATCH", "/members/{login}", "setMemberRole", "Change a member's role", "members")
def update_member(request: Request, caller: Caller, login: _LOGIN,
                  body: MemberPatch) -> JSONResponse:
    """The last owner stays an owner (`socialhub members set-role`)."""
    return write(request, caller, lambda ctx: set_member_role(ctx, login, body.role),
                 body=body)


@_route("DELETE", "/members/{login}", "removeMember", "Remove a member", "members")
def delete_member(request: Request, caller: Caller, login: _LOGIN) -> JSONResponse:
    """Never the last owner; their tokens stop working (`socialhub members remove`)."""
    return write(request, caller, lambda ctx: remove_member(ctx, login))


@_route("GET", "/audit", "listAudit", "List the audit trail", "audit", model=RecordPage)
def audit(request: Request, caller: Caller, since: _SHORT = None, until: _SHORT = None,
          actor: _SHORT = None, record: Annotated[str | None, Query(
              max_length=400, description="KIND or KIND:NAME, e.g. post:launch")] = None,
          channel: Annotated[str | None, Query(max_length=20)] = None,
          limit: Annotated[int, Query(ge=1, le=1000)] = 50,
          cursor: CursorQuery = None) -> Any:
    """Changes to records, newest first; secrets never appear (`socialhub audit list`)."""
    win = cursor_window(AUDIT, cursor, min(limit, request.app.state.api.max_page_size))

    def run(ctx: Ctx) -> dict[str, Any]:
        f = audit_filter(ctx, since=since, until=until, actor=actor, record=record,
                         channel=channel)
        return page(audit_page(ctx, f, win, count=False))
    return read(request, caller, run)


@_route("GET", "/audit/verify", "verifyAudit", "Check the audit trail's hash chain", "audit")
def audit_verify(request: Request, caller: Caller) -> Any:
    """``intact`` and each chain's rows and head hash; a break names its first row
    (`socialhub audit verify --json`; a 200 either way: read ``intact``)."""
    return read(request, caller, lambda ctx: verify_audit(ctx).as_dict())


@_route("GET", "/tokens", "listTokens", "List API tokens", "tokens", model=Records)
def tokens(request: Request, caller: Caller) -> Any:
    """The caller's tokens, never their secrets; everyone's for a token that may also
    manage members (`socialhub tokens list`)."""
    return {"items": read(request, caller, list_tokens)}


@_route("POST", "/tokens", "createToken", "Create an API token", "tokens", 201)
def create(request: Request, caller: Caller, body: TokenCreate) -> JSONResponse:
    """A token for the caller's member with at most the calling token's scopes, ending
    no later than it; ``token`` (the secret) is in this answer only (`tokens create`).

    A repeat with the same ``Idempotency-Key`` answers without the secret."""
    def run(ctx: Ctx) -> dict[str, Any]:
        made = create_token(ctx, name=body.name, scopes=body.scopes, expires=body.expires)
        return {**made.row, "token": made.secret}
    return write(request, caller, run, body=body, status=201,
                 keep_as=lambda made: {k: v for k, v in made.items() if k != "token"})


@_route("DELETE", "/tokens/{name}", "revokeToken", "Revoke an API token", "tokens")
def revoke(request: Request, caller: Caller,
           name: Annotated[str, Path(min_length=1, max_length=100)]) -> JSONResponse:
    """Its next request is a 401; the caller's own, or anyone's for a token that may
    manage members (`socialhub tokens revoke`)."""
    return write(request, caller, lambda ctx: revoke_token(ctx, name))
