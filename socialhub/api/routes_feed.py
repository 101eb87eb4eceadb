"""The iCalendar feed: ``GET /calendar.ics?token=…`` for phone and desktop calendars.

Calendar apps cannot send an ``Authorization`` header, so the token rides in the
query string; that is why the feed takes only a **read-only** token (every scope
ends in ``:read``, ``posts:read`` among them): a leaked calendar URL must never
let anyone write. The body is the same use case as ``socialhub calendar export
--ics`` (``services.authoring.ical.calendar_ics``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from socialhub.api.core import no_nul_bytes, spend, state_of
from socialhub.api.problems import ApiProblem, problem_responses
from socialhub.services.access.tokens import authenticate_token
from socialhub.services.authoring.ical import calendar_ics

#: Where the feed answers (outside ``/api/v1``: calendar apps want a short URL).
FEED_PATH = "/calendar.ics"
ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"

router = APIRouter(dependencies=[Depends(no_nul_bytes)])


@router.get(FEED_PATH, tags=["calendar"], response_class=Response,
            operation_id="getCalendarIcs",
            summary="The calendar as an iCalendar feed",
            responses={200: {"content": {"text/calendar": {"schema": {"type": "string"}}},
                             "description": "An iCalendar (RFC 5545) file"},
                       **problem_responses(401, 403, 422, 429)})
def calendar_feed(request: Request,
                  token: Annotated[str, Query(min_length=1, max_length=200,
                                              description="A read-only API token "
                                              "(`socialhub tokens create --scope posts:read`)")],
                  ) -> Response:
    """One event per post and target, stable UIDs and a growing SEQUENCE, so a
    subscribed calendar updates in place (`socialhub calendar export --ics`)."""
    api = state_of(request)
    with api.hub.queued():
        principal = authenticate_token(api.hub, token)
    if "posts:read" not in principal.scopes or any(
            not scope.endswith(":read") for scope in principal.scopes):
        raise ApiProblem(403, "forbidden", "the calendar feed takes a read-only token with "
                         "posts:read, because its URL carries the token",
                         hint="socialhub tokens create --name phone --scope posts:read")
    headers = spend(api, principal)
    with api.hub.queued(), api.hub.context("api", principal=principal) as ctx:
        body = calendar_ics(ctx)
    return Response(body, media_type=ICS_MEDIA_TYPE, headers=headers)
