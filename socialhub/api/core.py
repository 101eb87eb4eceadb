"""What every route shares: the token check, rate limits, a ``Ctx`` per request,
idempotent mutations, cursors and ETags."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from socialhub.api.problems import READS, WRITES, ApiProblem
from socialhub.errors import ValidationError
from socialhub.services.access.idempotency import fingerprint, recall, remember
from socialhub.services.access.ratelimit import Decision, RateLimiter
from socialhub.services.access.tokens import authenticate_token
from socialhub.services.context import Ctx, Principal
from socialhub.services.hub import Hub
from socialhub.services.paging import MAX_CURSOR, Keyset, Page, Window

_bearer = HTTPBearer(auto_error=False, description="An API token from `socialhub tokens "
                     "create` (shp_…).")


class ApiState:
    """The hub and the rate limiter of one API app."""

    def __init__(self, hub: Hub, limiter: RateLimiter, max_page_size: int) -> None:
        self.hub = hub
        self.limiter = limiter
        self.max_page_size = max_page_size


def state_of(request: Request) -> ApiState:
    """The app's :class:`ApiState`."""
    found: ApiState = request.app.state.api
    return found


def rate_headers(decision: Decision) -> dict[str, str]:
    """The ``RateLimit`` headers (IETF draft, and the common ``RateLimit-*`` triple)."""
    return {"RateLimit-Policy": f"{decision.limit};w=60",
            "RateLimit": f"limit={decision.limit}, remaining={decision.remaining}, "
                         f"reset={decision.reset_s}",
            "RateLimit-Limit": str(decision.limit),
            "RateLimit-Remaining": str(decision.remaining),
            "RateLimit-Reset": str(decision.reset_s)}


def authenticated(request: Request, response: Response,
                  credentials: Annotated[HTTPAuthorizationCredentials | None,
                                         Depends(_bearer)]) -> Principal:
    """The caller's principal, after the token check and the token's rate limit.

    Raises:
        UnauthenticatedError: no, unknown, revoked or expired token (a 401).
        ApiProblem: the token spent its requests for now (a 429 with Retry-After).
    """
    api = state_of(request)
    with api.hub.queued():
        principal = authenticate_token(api.hub,
                                       credentials.credentials if credentials else None)
    response.headers.update(spend(api, principal))
    request.state.principal = principal
    return principal


def spend(api: ApiState, principal: Principal) -> dict[str, str]:
    """Take one request from ``principal``'s token's rate limit; the ``RateLimit`` headers.

    Raises:
        ApiProblem: the token spent its requests for now (a 429 with Retry-After).
    """
    decision = api.limiter.take(principal.token_id)
    headers = rate_headers(decision)
    if not decision.allowed:
        headers["Retry-After"] = str(decision.retry_after_s)
        raise ApiProblem(429, "rate_limited",
                         f"this token may make {decision.limit} requests a minute",
                         hint=f"retry after {decision.retry_after_s} s", headers=headers)
    return headers


Caller = Annotated[Principal, Depends(authenticated)]


def no_nul_bytes(request: Request) -> None:
    """Refuse a NUL character in the path or query: no record's name or filter has one,
    and PostgreSQL cannot even compare with it.

    Raises:
        ApiProblem: a 422.
    """
    values = [*request.path_params.values(), *request.query_params.values()]
    if any("\x00" in str(v) for v in values):
        raise ApiProblem(422, "invalid", "the request has a NUL character in a parameter")


def has_nul(value: Any) -> bool:
    """Whether a NUL character hides anywhere in a parsed JSON value."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


def plain(value: Any) -> Any:
    """``value`` as JSON-ready data (dates as ISO 8601 text)."""
    return jsonable_encoder(value)


def etag_of(data: Any) -> str:
    """A strong ETag for a representation: changes whenever any field does."""
    text = json.dumps(plain(data), sort_keys=True, separators=(",", ":"))
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def read(request: Request, caller: Principal, run: Callable[[Ctx], Any], *,
         raw: bool = False) -> Any:
    """Run a read use case as the caller; its result, JSON-ready (as it is with ``raw``,
    for a route that renders it in another format)."""
    hub = state_of(request).hub
    with hub.queued(), hub.context("api", principal=caller) as ctx:
        result = run(ctx)
        return result if raw else plain(result)


def write(request: Request, caller: Principal, run: Callable[[Ctx], Any], *,
          body: Any = None, status: int = 200, etag: bool = False,
          keep_as: Callable[[Any], Any] | None = None) -> JSONResponse:
    """Run a mutation as the caller, honouring ``Idempotency-Key``.

    The first answer to a key is kept in the same transaction as the change and
    replayed on a repeat (with ``Idempotent-Replayed: true``); the same key with
    another method, path or body is a 422. ``keep_as`` turns the answer into what is
    kept (a shown-once secret is left out of the replay).
    """
    key = request.headers.get("idempotency-key")
    canonical = json.dumps(plain(body), sort_keys=True, separators=(",", ":")).encode()
    print_ = fingerprint(request.method, request.url.path, canonical)
    hub = state_of(request).hub
    with hub.queued(), hub.context("api", principal=caller) as ctx:
        if key is not None:
            kept = recall(ctx.session, caller.token_id, key, print_)
            if kept is not None:
                headers = {"Idempotent-Replayed": "true"}
                if etag and isinstance(kept.body, dict):
                    headers["ETag"] = etag_of(kept.body)
                return JSONResponse(kept.body, status_code=kept.status, headers=headers)
        result = plain(run(ctx))
        if key is not None:
            remember(ctx.session, ctx.org_id, caller.token_id, key, print_, status,
                     keep_as(result) if keep_as is not None else result)
    headers = {"ETag": etag_of(result)} if etag and isinstance(result, dict) else {}
    return JSONResponse(result, status_code=status, headers=headers)


def write_slowly(request: Request, caller: Principal,
                 run: Callable[[Callable[[Ctx, Any], None]], Any], *, body: Any,
                 status: int = 200) -> JSONResponse:
    """Run a mutation whose slow part (a model call) must not hold a transaction open.

    A repeated ``Idempotency-Key`` is answered from what was kept before ``run``
    starts, so a replay never calls the model again. ``run`` gets ``keep``: it calls
    it with its answer inside its own writing transaction, so the answer to a key is
    kept with the change, as :func:`write` does.
    """
    key = request.headers.get("idempotency-key")
    canonical = json.dumps(plain(body), sort_keys=True, separators=(",", ":")).encode()
    print_ = fingerprint(request.method, request.url.path, canonical)
    hub = state_of(request).hub
    if key is not None:
        with hub.queued(), hub.context("api", principal=caller) as ctx:
            kept = recall(ctx.session, caller.token_id, key, print_)
        if kept is not None:
            return JSONResponse(kept.body, status_code=kept.status,
                                headers={"Idempotent-Replayed": "true"})

    def keep(ctx: Ctx, result: Any) -> None:
        if key is not None:
            remember(ctx.session, ctx.org_id, caller.token_id, key, print_, status,
                     plain(result))
    return JSONResponse(plain(run(keep)), status_code=status)


#: The ``cursor`` query parameter of every list: a ``next_cursor`` this API gave out.
CursorQuery = Annotated[str | None, Query(
    max_length=MAX_CURSOR, description="next_cursor of the previous page")]


def cursor_window(keyset: Keyset, cursor: str | None, limit: int) -> Window:
    """The page a list was asked for: at most ``limit`` rows after ``cursor`` (a cursor
    of ``keyset``'s list; None: from the start).

    Raises:
        ApiProblem: a cursor this API did not give out for this list (a 422): malformed,
            changed, of another list, or an offset cursor of an older version.
    """
    try:
        return Window(limit, 0, keyset.decode(cursor, option="cursor"))
    except ValidationError as exc:
        raise ApiProblem(422, "invalid", "cursor: not a cursor this API gave out") from exc


def page(result: Page[Any]) -> dict[str, Any]:
    """A list's answer: its page's ``items`` and ``next_cursor`` (None: the last page)."""
    return {"items": plain(result.items), "next_cursor": result.next_cursor}


def operation(router: APIRouter, method: str, path: str, op: str, summary: str,
              tag: str | None, model: type, *, status: int = 200,
              responses: dict[int | str, dict[str, Any]] | None = None,
              success: dict[str, Any] | None = None) -> Any:
    """Declare a route on ``router`` with its OpenAPI operation id, summary, tag, the
    answer's model (and ``success``: more of its OpenAPI response, such as other media
    types) and its problems (those of a read for ``GET``, of a write otherwise, unless
    ``responses`` names others)."""
    errors = responses or (READS if method == "GET" else WRITES)
    return router.api_route(path, methods=[method], response_model=None, status_code=status,
                            responses={status: {"model": model, **(success or {})},
                                       **errors},
                            summary=summary, operation_id=op,
                            tags=[tag] if tag is not None else None)
