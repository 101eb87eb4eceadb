"""Account writes: ``/api/v1/accounts`` add, remove, and connect where no browser is needed.

Each route calls the use case the matching CLI command calls (``accounts add``,
``accounts remove``, ``accounts connect``). Connecting over HTTP takes what a script
already has — a Bluesky app password, or a sandbox handle — and reaches only the
instance the config names (``platforms.<name>.base_url``), never a URL from the
request. OAuth networks need a person at a browser and stay at the CLI.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from socialhub.api.core import (
    Caller,
    no_nul_bytes,
    operation,
    state_of,
    write,
    write_slowly,
)
from socialhub.api.problems import WRITES, problem_responses
from socialhub.api.routes_posts import Strict
from socialhub.api.routes_reads import Record
from socialhub.services.accounts.accounts import (
    account_summary,
    add_account,
    parse_account_ref,
    remove_account,
)
from socialhub.services.accounts.connect import ConnectOptions, connect_account
from socialhub.services.context import Ctx

router = APIRouter(prefix="/api/v1/accounts", tags=["accounts"],
                   dependencies=[Depends(no_nul_bytes)])

#: A login may also meet a refusing or unreachable platform, or no master key.
_CONNECT = {**WRITES, **problem_responses(502, 503)}


class AccountCreate(Strict):
    """An account record; connect its credentials separately."""

    ref: str = Field(min_length=3, max_length=300, examples=["bluesky:@shop.example.com"],
                     description="platform:@handle")
    name: str | None = Field(default=None, max_length=200, description="A display name.")
    base_url: str | None = Field(default=None, max_length=500,
                                 description="Instance or PDS URL (Mastodon, self-hosted "
                                             "Bluesky, sandbox); stored, not called.")
    external_id: str | None = Field(default=None, max_length=300)
    max_characters: int | None = Field(default=None, ge=1, le=1_000_000,
                                       description="This account's text limit when it "
                                                   "differs from the platform's.")


class ConnectBody(Strict):
    """Log in without a browser: Bluesky with an app password, or the sandbox."""

    platform: Literal["bluesky", "sandbox"]
    handle: str = Field(min_length=1, max_length=300, examples=["shop.example.com"])
    app_password: str | None = Field(
        default=None, min_length=1, max_length=200, repr=False,
        description="Bluesky: an app password (never stored in clear, never echoed).")


def _step(method: str, path: str, op: str, summary: str, status: int = 200,
          responses: dict[int | str, dict[str, Any]] | None = None) -> Any:
    return operation(router, method, path, op, summary, None, Record, status=status,
                     responses=responses)


@_step("POST", "", "addAccount", "Add an account", 201)
def create(request: Request, caller: Caller, body: AccountCreate) -> JSONResponse:
    """A new account record, not yet connected (`socialhub accounts add`)."""
    def run(ctx: Ctx) -> dict[str, Any]:
        platform, handle = parse_account_ref(body.ref)
        settings = {"max_characters": body.max_characters} if body.max_characters else {}
        return account_summary(add_account(
            ctx, platform=platform, handle=handle, display_name=body.name,
            base_url=body.base_url, external_id=body.external_id, settings=settings))
    return write(request, caller, run, body=body, status=201)


@_step("DELETE", "/{ref}", "removeAccount", "Remove an account")
def delete(request: Request, caller: Caller,
           ref: Annotated[str, Path(min_length=1, max_length=300)],
           force: Annotated[bool, Query(description="Even with posts waiting to go out "
                                                    "(they are dropped).")] = False
           ) -> JSONResponse:
    """With its credentials, variants and queue (`socialhub accounts remove`)."""
    def run(ctx: Ctx) -> dict[str, Any]:
        gone = remove_account(ctx, ref, force=force)
        return {"id": gone.id, "ref": gone.ref, "removed": True}
    return write(request, caller, run)


@_step("POST", "/connect", "connectAccount", "Connect an account without a browser",
       responses=_CONNECT)
def connect(request: Request, caller: Caller, body: ConnectBody) -> JSONResponse:
    """Log in and save the account's tokens, encrypted; a reconnect keeps the account's
    id and history (`socialhub accounts connect bluesky|sandbox`). The instance is the
    configured one (``platforms.<name>.base_url``; Bluesky: bsky.social by default).
    The answer never holds a token or the password."""
    options = ConnectOptions(handle=body.handle, app_password=body.app_password,
                             no_browser=True, port=0)
    return write_slowly(request, caller, lambda keep: connect_account(
        state_of(request).hub, body.platform, options, channel="api", principal=caller,
        keep=keep), body=body.model_dump(exclude={"app_password"}))
