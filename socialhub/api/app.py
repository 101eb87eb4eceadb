"""The API app: routes, the Problem+JSON shape, the body-size guard and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from socialhub.api import (
    problems,
    routes_accounts,
    routes_admin,
    routes_ai,
    routes_analytics,
    routes_campaign_tools,
    routes_engagement,
    routes_feed,
    routes_inbox,
    routes_manifests,
    routes_planning,
    routes_posts,
    routes_reads,
    routes_reports,
    routes_review,
    routes_text,
)
from socialhub.api.core import ApiState
from socialhub.services.access.ratelimit import RateLimiter
from socialhub.services.hub import Hub

#: Where the API lives, and its OpenAPI document.
PREFIX = "/api/v1"
OPENAPI_PATH = "/openapi.json"

_DESCRIPTION = """The socialhub REST API: what the CLI does, over HTTP, with a scoped token.

Authenticate with `Authorization: Bearer shp_…` (`socialhub tokens create`). Errors are
Problem+JSON (RFC 9457). Every mutation honours `Idempotency-Key`; `PATCH` needs
`If-Match` with the ETag from `GET`. Lists page with `cursor`/`next_cursor`. See
docs/api.md.
"""


def create_api_app(hub: Hub, *, max_body_bytes: int, version: str = "1") -> FastAPI:
    """The API as an ASGI app serving ``/api/v1/…`` and ``/openapi.json``.

    Bodies over ``max_body_bytes`` are a 413 before any route runs.
    """
    from socialhub.services.ops.http_guard import HttpGuard

    app = FastAPI(title="socialhub API", version=version, description=_DESCRIPTION,
                  openapi_url=OPENAPI_PATH, docs_url=None, redoc_url=None)
    opts = hub.config.settings.api
    app.state.api = ApiState(hub, RateLimiter(opts.rate_limit_per_minute),
                             opts.max_page_size)
    problems.install(app)
    app.include_router(routes_posts.router)
    app.include_router(routes_ai.router)
    app.include_router(routes_admin.router)
    app.include_router(routes_accounts.router)
    app.include_router(routes_engagement.router)
    # Before the reads: /inbox/status must not be taken for /inbox/{item_id}.
    app.include_router(routes_inbox.router)
    app.include_router(routes_analytics.router)
    app.include_router(routes_planning.router)
    app.include_router(routes_review.router)
    app.include_router(routes_campaign_tools.router)
    app.include_router(routes_manifests.router)
    app.include_router(routes_reports.router)
    app.include_router(routes_text.router)
    app.include_router(routes_reads.router)
    app.include_router(routes_feed.router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.add_middleware(HttpGuard, token=None, max_body_bytes=max_body_bytes,
                       limit_key="daemon.http_max_body_bytes", reply=_guard_reply)
    return app


def _guard_reply(status: int, code: str, message: str) -> tuple[bytes, str]:
    import json

    body = problems.problem_body(status, code, message)
    return json.dumps(body).encode(), problems.MEDIA_TYPE


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The document, with the Problem schema and the bearer scheme on every operation."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    doc = get_openapi(title=app.title, version=app.version, description=app.description,
                      routes=app.routes)
    doc.setdefault("components", {}).setdefault("schemas", {})["Problem"] = \
        problems.Problem.model_json_schema()
    app.openapi_schema = doc
    return doc


def openapi_document(hub: Hub) -> dict[str, Any]:
    """The OpenAPI document (``scripts/gen_openapi.py`` writes it to docs/openapi.json)."""
    return create_api_app(hub, max_body_bytes=1 << 20).openapi()
