"""Fetch and report: inbox sync, analytics import and collect, the digest, workflow rules
and webhooks (``/api/v1/inbox/sync``, ``/analytics/import``, ``/analytics/collect``,
``/digest``, ``/rules``, ``/webhooks``).

Each route calls the use case the matching CLI command calls (``inbox sync``,
``analytics import/collect``, ``digest``, ``rules list/test/log``,
``webhooks list/test/log``). Those that reach a network (a sync, a measurement, a
test event) run through ``write_slowly``: no transaction waits on a platform.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from pydantic import Field

from socialhub.api.core import (
    Caller,
    CursorQuery,
    cursor_window,
    no_nul_bytes,
    operation,
    page,
    read,
    state_of,
    write,
    write_slowly,
)
from socialhub.api.problems import READS, WRITES, problem_responses
from socialhub.api.routes_posts import Strict
from socialhub.api.routes_reads import Record, RecordPage, Records
from socialhub.services.analytics.collect import accounts_to_collect, collect_now
from socialhub.services.analytics.digest import daily_digest, digest_html, digest_text
from socialhub.services.analytics.importing import import_history_text
from socialhub.services.context import Ctx
from socialhub.services.inbox.sync import accounts_to_sync, run_sync
from socialhub.services.paging import RULE_RUNS, WEBHOOK_LOG
from socialhub.services.rules.engine import list_rules, replay_rule, rule_log_page
from socialhub.services.webhooks.use_cases import (
    deliver_webhooks,
    list_webhooks,
    queue_test_webhook,
    webhook_log_page,
)

router = APIRouter(prefix="/api/v1", dependencies=[Depends(no_nul_bytes)])

_NAME = Annotated[str, PathParam(min_length=1, max_length=200)]
_LIMIT = Annotated[int, Query(ge=1, le=1000)]
_CURSOR = CursorQuery
#: A network call may also meet a failing platform.
_SLOW = {**WRITES, **problem_responses(502, 503)}


def _route(method: str, path: str, op: str, summary: str, tag: str, status: int = 200,
           model: type = Record, responses: dict[int | str, dict[str, Any]] | None = None
           ) -> Any:
    return operation(router, method, path, op, summary, tag, model, status=status,
                     responses=responses)


def _size(request: Request, limit: int) -> int:
    return min(limit, state_of(request).max_page_size)


class SyncBody(Strict):
    """Which inbox to read now (default: every account with an inbox)."""

    account: str | None = Field(default=None, min_length=1, max_length=300,
                                examples=["bluesky:@shop.example.com"])


class HistoryImport(Strict):
    """Past posts with their metrics, as the text of a file (never a path)."""

    format: Literal["csv", "json"] = Field(description="How to read ``content``.")
    content: str = Field(min_length=1, max_length=1 << 20,
                         description="The generic CSV (account,published_at,text,url,"
                                     "impressions,…) or its rows as JSON, or a network's "
                                     "own export (recognised by its header).")
    account: str | None = Field(default=None, max_length=300,
                                description="The account of rows that name none.")
    zone: str | None = Field(default=None, max_length=100,
                             description="IANA zone of export times without an offset.")


@_route("POST", "/inbox/sync", "syncInbox", "Fetch new inbox items now", "inbox",
        responses=_SLOW)
def sync_inbox(request: Request, caller: Caller, body: SyncBody | None = None
               ) -> JSONResponse:
    """Read each account from where its last sync stopped; a platform's error is in its
    account's report, not a failure of the request (`socialhub inbox sync`; needs
    inbox:read, as reading the inbox does)."""
    hub = state_of(request).hub

    def run(keep: Any) -> dict[str, Any]:
        with hub.context("api", principal=caller) as ctx:
            ids = accounts_to_sync(ctx, body.account if body else None)
        reports = {"items": [r.as_dict() for r in run_sync(hub, ids, channel="api")]}
        with hub.context("api", principal=caller) as ctx:
            keep(ctx, reports)
        return reports
    return write_slowly(request, caller, run, body=body)


@_route("POST", "/analytics/import", "importAnalytics", "Import past posts and metrics",
        "analytics")
def import_analytics(request: Request, caller: Caller, body: HistoryImport) -> JSONResponse:
    """All rows or none; importing the same rows again changes nothing
    (`socialhub analytics import`, with the file's text in the body)."""
    def run(ctx: Ctx) -> dict[str, Any]:
        summary = import_history_text(ctx, Path(f"body.{body.format}"), body.content,
                                      account=body.account, zone=body.zone)
        return dict(summary.__dict__)
    return write(request, caller, run, body=body)


@_route("POST", "/analytics/collect", "collectAnalytics", "Measure published posts now",
        "analytics", responses=_SLOW)
def collect(request: Request, caller: Caller) -> JSONResponse:
    """Counts of what was measured; each network's failure is counted, not raised
    (`socialhub analytics collect`; needs analytics:import)."""
    hub = state_of(request).hub

    def run(keep: Any) -> dict[str, int]:
        with hub.context("api", principal=caller) as ctx:
            ids = accounts_to_collect(ctx)
        counts = collect_now(hub, ids)
        with hub.context("api", principal=caller) as ctx:
            keep(ctx, counts)
        return counts
    return write_slowly(request, caller, run, body=None)


_DIGEST_MEDIA: dict[int | str, dict[str, Any]] = {
    200: {"model": Record, "content": {"text/plain": {}, "text/html": {}}}}


@router.get("/digest", tags=["analytics"], response_model=None,
            responses={**_DIGEST_MEDIA, **READS}, operation_id="getDigest",
            summary="A day's digest")
def digest(request: Request, caller: Caller,
           date: Annotated[str | None, Query(max_length=40, description="2026-12-05, "
                                             "yesterday, today, mon (default: yesterday)")]
           = None,
           format: Annotated[Literal["json", "text", "html"], Query()] = "json") -> Response:
    """Posts, results, failed deliveries, accounts to sign in again and alerts of a day,
    as JSON, text or HTML (`socialhub digest`)."""
    if format == "json":
        return JSONResponse(read(request, caller, lambda ctx: daily_digest(ctx, date)))
    render = digest_text if format == "text" else digest_html
    page = read(request, caller, lambda ctx: render(daily_digest(ctx, date)))
    return PlainTextResponse(page) if format == "text" else HTMLResponse(page)


@_route("GET", "/rules", "listRules", "List workflow rules", "rules", model=Records)
def rules(request: Request, caller: Caller) -> Any:
    """Trigger, actions, dry run and rate limit of each rule (`socialhub rules list`)."""
    return {"items": read(request, caller, list_rules)}


@_route("GET", "/rules/log", "ruleLog", "The rules' executions", "rules", model=RecordPage)
def rules_log(request: Request, caller: Caller,
              rule: Annotated[str | None, Query(max_length=200)] = None,
              limit: _LIMIT = 50, cursor: _CURSOR = None) -> Any:
    """Every execution with its outcome, newest first (`socialhub rules log`)."""
    win = cursor_window(RULE_RUNS, cursor, _size(request, limit))
    return read(request, caller, lambda ctx: page(rule_log_page(ctx, win, rule)))


@_route("GET", "/rules/{name}/test", "testRule", "Replay recorded events against a rule",
        "rules", model=Records)
def test_rule(request: Request, caller: Caller, name: _NAME,
              limit: Annotated[int, Query(ge=1, le=10_000)] = 100) -> Any:
    """What the rule would do with its trigger's newest events; changes nothing
    (`socialhub rules test`)."""
    return {"items": read(request, caller, lambda ctx: replay_rule(ctx, name, limit=limit))}


@_route("GET", "/webhooks", "listWebhooks", "List webhook endpoints", "webhooks",
        model=Records)
def webhooks(request: Request, caller: Caller) -> Any:
    """Endpoints, their events and last delivery; never a secret, URLs without their
    query string (`socialhub webhooks list`)."""
    return {"items": read(request, caller, list_webhooks)}


@_route("GET", "/webhooks/log", "webhookLog", "The webhook delivery log", "webhooks",
        model=RecordPage)
def webhooks_log(request: Request, caller: Caller,
                 endpoint: Annotated[str | None, Query(max_length=200)] = None,
                 status: Annotated[str | None, Query(max_length=20)] = None,
                 limit: _LIMIT = 50, cursor: _CURSOR = None) -> Any:
    """Deliveries newest first: status, attempts, last HTTP status and error
    (`socialhub webhooks log`)."""
    win = cursor_window(WEBHOOK_LOG, cursor, _size(request, limit))
    return read(request, caller, lambda ctx: page(webhook_log_page(
        ctx, win, endpoint_name=endpoint, status=status)))


@_route("POST", "/webhooks/{name}/test", "testWebhook", "Send a test event", "webhooks",
        responses=_SLOW)
def test_webhook(request: Request, caller: Caller, name: _NAME) -> JSONResponse:
    """A signed ``webhook.test`` event to the endpoint now, and how it answered; one
    that fails stays in the log and the daemon retries it (`socialhub webhooks test`)."""
    hub = state_of(request).hub

    def run(keep: Any) -> dict[str, Any] | None:
        with hub.context("api", principal=caller) as ctx:
            row_id = queue_test_webhook(ctx, name)
        sent = deliver_webhooks(lambda: hub.context("api", principal=caller), ids=[row_id])
        result = sent[0] if sent else None
        with hub.context("api", principal=caller) as ctx:
            keep(ctx, result)
        return result
    return write_slowly(request, caller, run, body=None)
