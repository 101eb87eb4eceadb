"""The evergreen queue, short links and experiments: ``/api/v1/evergreen``, ``/links``,
``/experiments``.

Each route calls the use case the matching CLI command calls (``evergreen
add/list/remove/run``, ``links list/show``, ``experiments list/status/report/promote``).
"""

from __future__ import annotations

from typing import Annotated, Any

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
from socialhub.services.authoring.evergreen import (
    add_evergreen,
    evergreen_summary,
    list_evergreen,
    parse_until,
    remove_evergreen,
    requeue_evergreen,
)
from socialhub.services.clock import display_zone
from socialhub.services.context import Ctx
from socialhub.services.experiments.experiments import (
    experiment_report,
    list_experiments,
    promote_winner,
)
from socialhub.services.links.reports import links_page, show_link
from socialhub.services.paging import LINKS

router = APIRouter(prefix="/api/v1", dependencies=[Depends(no_nul_bytes)])

_NAME = Annotated[str, Path(min_length=1, max_length=200)]
_SHORT = Annotated[str | None, Query(max_length=200)]


def _route(method: str, path: str, op: str, summary: str, tag: str,
           model: type = Record) -> Any:
    return operation(router, method, path, op, summary, tag, model)


class Evergreen(Strict):
    """How often an evergreen post may go out again, and until when."""

    cooldown: int = Field(default=7, ge=1, le=3_650,
                          description="Days before it may go out again.")
    times: int | None = Field(default=None, ge=1, le=100_000,
                              description="At most this many more times.")
    until: str | None = Field(default=None, min_length=1, max_length=100,
                              examples=["2027-06-30"],
                              description="Never after this: a day (through its end) or "
                              "a time ('2027-06-30 18:00 Europe/Berlin').")


class EvergreenAdd(Evergreen):
    """A post for the evergreen queue (or new settings for one already in it)."""

    post: str = Field(min_length=1, max_length=200, description="The post's name or id.")


def _until(ctx: Ctx, text: str | None) -> Any:
    return parse_until(text, display_zone(ctx.settings), ctx.now())


@_route("GET", "/evergreen", "listEvergreen", "List the evergreen queue", "evergreen",
        Records)
def evergreen(request: Request, caller: Caller) -> Any:
    """Cooldown, times, end and when next, per post (`socialhub evergreen list`)."""
    return {"items": read(request, caller, list_evergreen)}


@_route("POST", "/evergreen", "addEvergreen", "Put a post into the evergreen queue",
        "evergreen")
def add(request: Request, caller: Caller, body: EvergreenAdd) -> JSONResponse:
    """Add it, or change its settings (`socialhub evergreen add`)."""
    def run(ctx: Ctx) -> dict[str, Any]:
        entry = add_evergreen(ctx, body.post, cooldown_days=body.cooldown, times=body.times,
                              until=_until(ctx, body.until))
        return evergreen_summary(entry, ctx.now())
    return write(request, caller, run, body=body)


@_route("DELETE", "/evergreen/{post}", "removeEvergreen",
        "Take a post out of the evergreen queue", "evergreen")
def remove(request: Request, caller: Caller, post: _NAME) -> JSONResponse:
    """What it already queued stays queued (`socialhub evergreen remove`)."""
    def run(ctx: Ctx) -> dict[str, Any]:
        remove_evergreen(ctx, post)
        return {"post": post, "removed": True}
    return write(request, caller, run)


@_route("POST", "/evergreen/run", "runEvergreen",
        "Queue the evergreen posts whose cooldown is over", "evergreen", Records)
def run_now(request: Request, caller: Caller) -> JSONResponse:
    """What the daemon does every 5 minutes, now (`socialhub evergreen run`)."""
    return write(request, caller, lambda ctx: {"items": requeue_evergreen(ctx)})


@_route("GET", "/links", "listLinks", "List short links with their clicks", "links",
        RecordPage)
def links(request: Request, caller: Caller, campaign: _SHORT = None, post: _SHORT = None,
          limit: Annotated[int, Query(ge=1, le=1000)] = 50,
          cursor: CursorQuery = None) -> Any:
    """Newest first (`socialhub links list`; needs analytics:read)."""
    win = cursor_window(LINKS, cursor, min(limit, request.app.state.api.max_page_size))
    return read(request, caller, lambda ctx: page(
        links_page(ctx, win, campaign=campaign, post=post)))


@_route("GET", "/links/{code}", "getLink", "Show a short link", "links")
def link(request: Request, caller: Caller,
         code: Annotated[str, Path(min_length=1, max_length=64)]) -> Any:
    """Its target, clicks per day and per network (`socialhub links show`)."""
    return read(request, caller, lambda ctx: show_link(ctx, code))


@_route("GET", "/experiments", "listExperiments", "List experiments", "experiments",
        Records)
def experiments(request: Request, caller: Caller, campaign: _SHORT = None) -> Any:
    """Metric, split, sample, arms, status (`socialhub experiments list`)."""
    return {"items": read(request, caller,
                          lambda ctx: list_experiments(ctx, campaign=campaign))}


@_route("GET", "/experiments/{name}", "getExperiment",
        "An experiment's arms, P(best) and verdict", "experiments")
def experiment(request: Request, caller: Caller, name: _NAME) -> Any:
    """Settings, each arm's posts, counts, interval and P(best), the verdict
    (`socialhub experiments status` and `report`)."""
    return read(request, caller, lambda ctx: experiment_report(ctx, name))


@_route("POST", "/experiments/{name}/promote", "promoteExperiment",
        "Send the winning arm's post to the evergreen queue", "experiments")
def promote(request: Request, caller: Caller, name: _NAME, body: Evergreen) -> JSONResponse:
    """A 409 while there is no winner (`socialhub experiments promote`; needs
    experiments:write and evergreen:write)."""
    return write(request, caller, lambda ctx: promote_winner(
        ctx, name, cooldown_days=body.cooldown, times=body.times,
        until=_until(ctx, body.until)), body=body)
