"""Errors as Problem+JSON (RFC 9457): one shape for every refusal of the API.

Every error body has ``type``, ``title``, ``status``, ``detail`` and ``code``
(``hint`` when there is advice, ``errors`` for a body that failed validation);
the media type is ``application/problem+json``. ``type`` is
``urn:socialhub:problem:<code>``.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from socialhub.errors import (
    BudgetError,
    ConfigError,
    ConflictError,
    DatabaseError,
    ExitCode,
    NotFoundError,
    PermissionDeniedError,
    PlatformError,
    SocialhubError,
    UnauthenticatedError,
    ValidationError,
)

log = logging.getLogger("socialhub.api")

MEDIA_TYPE = "application/problem+json"
#: How many of a manifest set's problems ``detail`` spells out (``issues`` has all).
_SHOWN_ISSUES = 20

#: The status code and ``code`` for each kind of error a use case raises (first match).
_MAPPING: tuple[tuple[type[SocialhubError], int, str], ...] = (
    (UnauthenticatedError, 401, "unauthenticated"),
    (PermissionDeniedError, 403, "forbidden"),
    (NotFoundError, 404, "not_found"),
    (ValidationError, 422, "invalid"),
    (ConflictError, 409, "conflict"),
    (BudgetError, 402, "budget_exceeded"),
    (PlatformError, 502, "platform_error"),
    (DatabaseError, 503, "database_unavailable"),
    (ConfigError, 503, "misconfigured"),
)


class Problem(BaseModel):
    """An RFC 9457 problem document, as every error of the API is."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str
    hint: str | None = None


class ApiProblem(Exception):
    """Raised by the API's own code to answer with a problem (and headers)."""

    def __init__(self, status: int, code: str, detail: str, *, hint: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail
        self.hint, self.headers = hint, headers or {}


def problem_body(status: int, code: str, detail: str, hint: str | None = None,
                 **extra: Any) -> dict[str, Any]:
    """The one problem shape."""
    body: dict[str, Any] = {"type": f"urn:socialhub:problem:{code}",
                            "title": HTTPStatus(status).phrase, "status": status,
                            "detail": detail, "code": code}
    if hint:
        body["hint"] = hint
    body.update(extra)
    return body


def problem(status: int, code: str, detail: str, *, hint: str | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """A Problem+JSON response."""
    return JSONResponse(problem_body(status, code, detail, hint, **extra), status_code=status,
                        media_type=MEDIA_TYPE, headers=headers)


def for_error(error: SocialhubError) -> JSONResponse:
    """The problem for an error a use case raised (its message and hint, nothing more).

    Manifests with problems (an error with ``issues``) list each one in ``detail``
    as ``file:line:column: message`` and in ``issues``; when the only problems are
    targets that already went out, the answer is a 409, as the CLI's exit code says.
    """
    issues = getattr(error, "issues", None)
    if isinstance(issues, list) and issues:
        conflict = getattr(error, "exit_code", None) == ExitCode.CONFLICT
        status, code = (409, "conflict") if conflict else (422, "invalid")
        lines = [str(i) for i in issues[:_SHOWN_ISSUES]]
        if len(issues) > _SHOWN_ISSUES:
            lines.append(f"… and {len(issues) - _SHOWN_ISSUES} more (see issues)")
        return problem(status, code, "\n".join([error.message, *lines]), hint=error.hint,
                       issues=[{"file": i.file, "line": i.line, "column": i.column,
                                "message": i.message} for i in issues])
    for kind, status, code in _MAPPING:
        if isinstance(error, kind):
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            return problem(status, code, error.message, hint=error.hint, headers=headers)
    return problem(400, "refused", error.message, hint=error.hint)


#: The error responses every operation documents (a 500 is a bug, never documented).
def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for ``statuses``, each a Problem document."""
    ref = {"$ref": "#/components/schemas/Problem"}
    return {s: {"description": HTTPStatus(s).phrase, "content": {MEDIA_TYPE: {"schema": ref}}}
            for s in statuses}


def install(app: FastAPI) -> None:
    """Make every error of ``app`` a problem: use-case errors, bad requests, unknown
    routes and anything unexpected (a 500 with no detail, logged)."""

    @app.exception_handler(SocialhubError)
    async def _domain(request: Request, exc: SocialhubError) -> JSONResponse:
        return for_error(exc)

    @app.exception_handler(ApiProblem)
    async def _own(request: Request, exc: ApiProblem) -> JSONResponse:
        return problem(exc.status, exc.code, exc.detail, hint=exc.hint, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors: list[dict[str, Any]] = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()]
        where = ".".join(errors[0]["loc"]) if errors else ""
        message = str(errors[0]["msg"]) if errors else "invalid request"
        return problem(422, "invalid", f"{where}: {message}" if where else message,
                       errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        status = exc.status_code
        if status == 400:  # a body that does not even parse: invalid, like any bad body
            status = 422
        code = {404: "not_found", 405: "method_not_allowed", 422: "invalid"}.get(
            status, "http_error")
        headers = getattr(exc, "headers", None)
        return problem(status, code, str(exc.detail), headers=dict(headers) if headers else None)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("API request failed: %s %s", request.method, request.url.path)
        return problem(500, "internal_error", "the server failed to answer; see its log")


#: The refusals every read route documents, and every mutation.
READS = problem_responses(401, 403, 404, 422, 429)
WRITES = problem_responses(401, 403, 404, 409, 413, 422, 429)
