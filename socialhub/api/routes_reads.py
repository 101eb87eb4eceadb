"""Accounts, calendar, queue, campaigns, slots, voices, analytics and inbox.

Each route calls the use case the matching CLI command calls.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from socialhub.api.core import Caller, CursorQuery, cursor_window, no_nul_bytes, page, read, write
from socialhub.api.problems import problem_responses
from socialhub.services.accounts.overview import account_details, account_list
from socialhub.services.ai.voices import list_voices, voice_summary
from socialhub.services.analytics.filters import Filters
from socialhub.services.analytics.reports import overview as analytics_overview
from socialhub.services.authoring.calendar import calendar_view
from socialhub.services.authoring.campaigns import (
    campaign_summary,
    campaigns_page,
    get_campaign,
)
from socialhub.services.authoring.slots import list_slots, slot_summary
from socialhub.services.clock import display_zone, now_utc
from socialhub.services.context import Ctx
from socialhub.services.inbox.items import (
    inbox_filter,
    inbox_page,
    show_item,
    since_instant,
)
from socialhub.services.paging import CAMPAIGNS, INBOX, QUEUE
from socialhub.services.publishing.queue import (
    cancel_delivery,
    queue_page,
    retry_delivery,
    show_delivery,
)

router = APIRouter(prefix="/api/v1", dependencies=[Depends(no_nul_bytes)])

_READS = problem_responses(401, 403, 404, 422, 429)
_WRITES = problem_responses(401, 403, 404, 409, 413, 422, 429)
_SHORT = Annotated[str | None, Query(max_length=200)]
_LIMIT = Annotated[int, Query(ge=1, le=1000)]
_CURSOR = CursorQuery
_ID = Annotated[int, Path(ge=1, le=2**31 - 1)]


class Record(BaseModel):
    """One record, as the CLI's ``--json`` shows it."""

    model_config = ConfigDict(extra="allow")


class Records(BaseModel):
    """A list of records."""

    items: list[Record]


class RecordPage(BaseModel):
    """One page of records; pass ``next_cursor`` as ``cursor`` for the next."""

    items: list[Record]
    next_cursor: str | None


def _limit(request: Request, limit: int) -> int:
    return min(limit, request.app.state.api.max_page_size)


@router.get("/accounts", tags=["accounts"], response_model=None,
            responses={200: {"model": Records}, **_READS}, operation_id="listAccounts",
            summary="List accounts")
def accounts(request: Request, caller: Caller, platform: _SHORT = None) -> Any:
    """Every connected account with its status (`socialhub accounts list`)."""
    return {"items": read(request, caller, lambda ctx: account_list(ctx, platform))}


@router.get("/accounts/{ref}", tags=["accounts"], response_model=None,
            responses={200: {"model": Record}, **_READS}, operation_id="getAccount",
            summary="Show an account")
def account(request: Request, caller: Caller,
            ref: Annotated[str, Path(min_length=1, max_length=300)]) -> Any:
    """One account: status, token expiry, scopes; never a token (`accounts show`)."""
    return read(request, caller, lambda ctx: account_details(ctx, ref))


@router.get("/calendar", tags=["calendar"], response_model=None,
            responses={200: {"model": Record}, **_READS}, operation_id="getCalendar",
            summary="The calendar")
def calendar(request: Request, caller: Caller,
             view: Annotated[str, Query(pattern="^(agenda|week|month)$")] = "agenda",
             start: Annotated[str | None, Query(alias="from", max_length=100)] = None,
             days: Annotated[int, Query(ge=1, le=366)] = 14,
             account: _SHORT = None, zone: Annotated[str | None, Query(max_length=100)] = None,
             slots: bool = True) -> Any:
    """Scheduled targets and free slots of a view (`socialhub calendar --json`)."""
    def run(ctx: Ctx) -> dict[str, Any]:
        data = calendar_view(ctx, view=view, start=start, days=days, account=account,
                             zone=zone, slots=slots)
        data.pop("today", None)
        return data
    return read(request, caller, run)


@router.get("/queue", tags=["queue"], response_model=None,
            responses={200: {"model": RecordPage}, **_READS}, operation_id="listQueue",
            summary="List the delivery queue")
def queue(request: Request, caller: Caller,
          status: Annotated[list[Annotated[str, Query(max_length=40)]] | None,
                            Query(max_length=20)] = None,
          limit: _LIMIT = 50, cursor: _CURSOR = None) -> Any:
    """Deliveries waiting or in flight, or of the statuses given (`socialhub queue`)."""
    win = cursor_window(QUEUE, cursor, _limit(request, limit))
    return read(request, caller, lambda ctx: page(queue_page(ctx, win, statuses=status)))


@router.get("/queue/{delivery_id}", tags=["queue"], response_model=None,
            responses={200: {"model": Record}, **_READS}, operation_id="getDelivery",
            summary="Show a delivery")
def delivery(request: Request, caller: Caller, delivery_id: _ID) -> Any:
    """One delivery with its attempts (`socialhub queue show`)."""
    return read(request, caller, lambda ctx: show_delivery(ctx, delivery_id))


@router.post("/queue/{delivery_id}/retry", tags=["queue"], response_model=None,
             responses={200: {"model": Record}, **_WRITES}, operation_id="retryDelivery",
             summary="Retry a delivery")
def retry(request: Request, caller: Caller, delivery_id: _ID) -> JSONResponse:
    """Put a dead, waiting or unconfirmed delivery back in line now (`queue retry`)."""
    return write(request, caller,
                 lambda ctx: retry_delivery(ctx, delivery_id, now=now_utc(), actor="api"))


@router.post("/queue/{delivery_id}/cancel", tags=["queue"], response_model=None,
             responses={200: {"model": Record}, **_WRITES}, operation_id="cancelDelivery",
             summary="Cancel a delivery")
def cancel(request: Request, caller: Caller, delivery_id: _ID) -> JSONResponse:
    """It will not be sent (`queue cancel`)."""
    return write(request, caller, lambda ctx: cancel_delivery(ctx, delivery_id))


@router.get("/campaigns", tags=["campaigns"], response_model=None,
            responses={200: {"model": RecordPage}, **_READS}, operation_id="listCampaigns",
            summary="List campaigns")
def campaigns(request: Request, caller: Caller, limit: _LIMIT = 50,
              cursor: _CURSOR = None) -> Any:
    """Campaigns with their post counts (`socialhub campaigns list`)."""
    win = cursor_window(CAMPAIGNS, cursor, _limit(request, limit))
    return read(request, caller, lambda ctx: page(campaigns_page(ctx, win)))


@router.get("/campaigns/{name}", tags=["campaigns"], response_model=None,
            responses={200: {"model": Record}, **_READS}, operation_id="getCampaign",
            summary="Show a campaign")
def campaign(request: Request, caller: Caller,
             name: Annotated[str, Path(min_length=1, max_length=200)]) -> Any:
    """One campaign with its post counts (`socialhub campaigns show`)."""
    return read(request, caller,
                lambda ctx: campaign_summary(ctx.session, get_campaign(ctx, name)))


@router.get("/slots", tags=["slots"], response_model=None,
            responses={200: {"model": Records}, **_READS}, operation_id="listSlots",
            summary="List weekly slots")
def slots(request: Request, caller: Caller, account: _SHORT = None) -> Any:
    """Weekly posting slots (`socialhub slots list`)."""
    return {"items": read(request, caller,
                          lambda ctx: [slot_summary(s) for s in list_slots(ctx, account)])}


@router.get("/voices", tags=["voices"], response_model=None,
            responses={200: {"model": Records}, **_READS}, operation_id="listVoices",
            summary="List voice profiles")
def voices(request: Request, caller: Caller) -> Any:
    """Voice profiles (`socialhub voices list`)."""
    return {"items": read(request, caller,
                          lambda ctx: [voice_summary(v) for v in list_voices(ctx)])}


@router.get("/analytics/overview", tags=["analytics"], response_model=None,
            responses={200: {"model": Record}, **_READS}, operation_id="analyticsOverview",
            summary="Analytics overview")
def overview(request: Request, caller: Caller, since: _SHORT = None, until: _SHORT = None,
             platform: _SHORT = None, account: _SHORT = None, campaign: _SHORT = None,
             zone: _SHORT = None) -> Any:
    """Totals, per network, per day and followers (`socialhub analytics overview`)."""
    filters = Filters(since=since, until=until, platform=platform, account=account,
                      campaign=campaign, zone=zone)
    return read(request, caller, lambda ctx: analytics_overview(ctx, filters))


@router.get("/inbox", tags=["inbox"], response_model=None,
            responses={200: {"model": RecordPage}, **_READS}, operation_id="listInbox",
            summary="List the inbox")
def inbox(request: Request, caller: Caller, platform: _SHORT = None, account: _SHORT = None,
          kind: Annotated[list[Annotated[str, Query(max_length=40)]] | None,
                          Query(max_length=10, description="comment, mention, reply, "
                                "quote or message (repeatable)")] = None,
          unread: bool = False,
          assignee: Annotated[str | None, Query(max_length=200, description="a login; "
                                                "'none': unassigned")] = None,
          sentiment: Annotated[str | None, Query(max_length=40)] = None,
          flag: Annotated[str | None, Query(max_length=40)] = None,
          since: Annotated[str | None, Query(max_length=100, description="a day "
                                             "(yesterday, mon, 2026-12-01) or a time")] = None,
          archived: Annotated[bool, Query(description="archived items instead")] = False,
          limit: _LIMIT = 50, cursor: _CURSOR = None) -> Any:
    """Comments, mentions, replies and messages, newest first (`socialhub inbox list`)."""
    win = cursor_window(INBOX, cursor, _limit(request, limit))

    def run(ctx: Ctx) -> dict[str, Any]:
        start = (since_instant(since, display_zone(ctx.settings), now_utc())
                 if since else None)
        f = inbox_filter(ctx, platform=platform, account=account, kinds=kind, unread=unread,
                         assignee=assignee, sentiment=sentiment, flag=flag, since=start,
                         archived=archived)
        return page(inbox_page(ctx, f, win))
    return read(request, caller, run)


@router.get("/inbox/{item_id}", tags=["inbox"], response_model=None,
            responses={200: {"model": Record}, **_READS}, operation_id="getInboxItem",
            summary="Show an inbox item")
def inbox_item(request: Request, caller: Caller, item_id: _ID) -> Any:
    """One item with its conversation and our replies (`socialhub inbox show`)."""
    return read(request, caller, lambda ctx: show_item(ctx, item_id))
