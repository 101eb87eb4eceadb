"""Report files and AI usage: ``/api/v1/reports``, ``/api/v1/ai/usage``.

``GET /reports`` answers what ``socialhub report`` writes to a file — JSON, CSV,
HTML or PDF, each with its media type — from the same use case and renderer.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from socialhub.api.core import Caller, no_nul_bytes, read
from socialhub.api.problems import READS
from socialhub.api.routes_reads import Record
from socialhub.services.ai.generation import usage_report, usage_since
from socialhub.services.analytics.filters import Filters
from socialhub.services.analytics.report_render import render_report
from socialhub.services.experiments.campaign_report import build_campaign_report

router = APIRouter(prefix="/api/v1", dependencies=[Depends(no_nul_bytes)])

_SHORT = Annotated[str | None, Query(max_length=200)]

#: Each report format's media type.
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8",
               "html": "text/html; charset=utf-8", "pdf": "application/pdf"}

_REPORT_CONTENT = {
    "application/json": {"schema": {"type": "object", "additionalProperties": True}},
    "text/csv": {"schema": {"type": "string"}},
    "text/html": {"schema": {"type": "string"}},
    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
}


@router.get("/reports", tags=["reports"], response_model=None, operation_id="getReport",
            summary="A results report (JSON, CSV, HTML or PDF)",
            responses={200: {"description": "The report in the `format` asked for.",
                             "content": _REPORT_CONTENT}, **READS})
def report(request: Request, caller: Caller, campaign: _SHORT = None, account: _SHORT = None,
           since: _SHORT = None, until: _SHORT = None, zone: _SHORT = None,
           fmt: Annotated[Literal["json", "csv", "html", "pdf"],
                          Query(alias="format")] = "json") -> Response:
    """Totals, trend, networks compared, top posts, best times, clicks; a campaign's
    also has its experiments and policy findings (`socialhub report`; needs
    analytics:read, and experiments:read for a campaign's)."""
    filters = Filters(since=since, until=until, account=account, campaign=campaign, zone=zone)
    data = read(request, caller, lambda ctx: build_campaign_report(ctx, filters), raw=True)
    headers = ({"Content-Disposition": f'attachment; filename="report.{fmt}"'}
               if fmt in ("csv", "pdf") else None)
    return Response(render_report(data, fmt), media_type=MEDIA_TYPES[fmt], headers=headers)


@router.get("/ai/usage", tags=["ai"], response_model=None, operation_id="getAiUsage",
            summary="AI calls, tokens and cost; budget left",
            responses={200: {"model": Record}, **READS})
def ai_usage(request: Request, caller: Caller,
             since: Annotated[str | None, Query(max_length=40, examples=["2026-01-01"])]
             = None) -> Any:
    """Per provider and model since `since` (YYYY-MM-DD, UTC; default: this month's
    first), against `ai.monthly_budget_usd` (`socialhub ai usage`; needs ai:read)."""
    start = usage_since(since)
    return read(request, caller, lambda ctx: usage_report(
        ctx, since=start, budget_usd=ctx.settings.ai.monthly_budget_usd))
