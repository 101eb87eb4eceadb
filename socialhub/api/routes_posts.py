"""``/api/v1/posts``: create, read, update, delete, and move posts through their workflow.

Each route calls the use case the matching ``socialhub posts`` command calls.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from socialhub.api.core import (
    Caller,
    CursorQuery,
    cursor_window,
    etag_of,
    has_nul,
    no_nul_bytes,
    page,
    read,
    write,
)
from socialhub.api.problems import ApiProblem, problem_responses
from socialhub.services.authoring.posts import TargetSpec, create_post
from socialhub.services.authoring.posts import remove_post as remove_post_case
from socialhub.services.authoring.review import approve_post, request_changes, submit_post
from socialhub.services.authoring.scheduling import (
    cancel_post,
    post_summaries_page,
    post_summary,
    publish_now,
    schedule_post,
    show_post,
    unschedule_post,
    update_post,
)
from socialhub.services.clock import display_zone, now_utc
from socialhub.services.context import Ctx
from socialhub.services.paging import POSTS
from socialhub.services.when import When, parse_when

router = APIRouter(prefix="/api/v1/posts", tags=["posts"], dependencies=[Depends(no_nul_bytes)])

_TEXT = 100_000
_NAME = Field(default=None, max_length=200, description="A unique name (default: post-ID).")
_REF = Annotated[str, Field(min_length=1, max_length=200)]


class Strict(BaseModel):
    """A request body: unknown fields are refused, so a typo is never silently ignored."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _no_nul(self) -> Strict:
        if has_nul(self.model_dump()):
            raise ValueError("text must not contain a NUL character")
        return self


class Target(Strict):
    """One account a post goes to, optionally with its own text."""

    account: str = Field(min_length=1, max_length=300, examples=["bluesky:@shop.example.com"])
    text: str | None = Field(default=None, max_length=_TEXT)


class PostCreate(Strict):
    """A new post (a draft, or scheduled at once with ``at`` or ``next_slot``)."""

    body: str = Field(default="", max_length=_TEXT)
    targets: list[Target] = Field(min_length=1, max_length=50)
    name: str | None = _NAME
    campaign: str | None = Field(default=None, max_length=200)
    voice: str | None = Field(default=None, max_length=200)
    tags: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list,
                                                              max_length=50)
    paid: bool = False
    split: bool = False
    at: str | None = Field(default=None, max_length=200,
                           examples=["2026-12-01T09:00:00+01:00", "tomorrow 09:00"])
    next_slot: bool = False


class PostPatch(Strict):
    """Changes to a post; fields left out stay as they are."""

    body: str | None = Field(default=None, max_length=_TEXT)
    name: str | None = _NAME
    campaign: str | None = Field(default=None, max_length=200,
                                 description="'' takes the post out of its campaign.")
    tags: list[Annotated[str, Field(max_length=100)]] | None = Field(default=None,
                                                                     max_length=50)
    texts: dict[str, Annotated[str, Field(max_length=_TEXT)]] | None = Field(
        default=None, max_length=50, description="Account ref → that target's own text.")
    add_targets: list[Annotated[str, Field(max_length=300)]] | None = Field(default=None,
                                                                           max_length=50)
    remove_targets: list[Annotated[str, Field(max_length=300)]] | None = Field(
        default=None, max_length=50)
    split: bool = False


class ScheduleBody(Strict):
    """When: a time (``at``) or each target's next free slot."""

    at: str | None = Field(default=None, max_length=200)
    next_slot: bool = False
    targets: list[Annotated[str, Field(max_length=300)]] | None = Field(default=None,
                                                                       max_length=50)
    bypass_approval: bool = False


class ReviewBody(Strict):
    """A comment for the review thread (optional)."""

    comment: str | None = Field(default=None, max_length=10_000)


class ChangesBody(Strict):
    """What to change (required)."""

    comment: str = Field(min_length=1, max_length=10_000)


class PublishBody(Strict):
    """Owners and admins may go ahead without a required approval (recorded)."""

    bypass_approval: bool = False


class PostOut(BaseModel):
    """A post: its workflow status and each target's text, time and delivery."""

    model_config = ConfigDict(extra="allow")

    id: int
    name: str
    status: str
    body: str
    targets: list[dict[str, Any]]


class PostPage(BaseModel):
    """One page of posts; pass ``next_cursor`` as ``cursor`` for the next."""

    items: list[PostOut]
    next_cursor: str | None


class Done(BaseModel):
    """What a workflow step did."""

    model_config = ConfigDict(extra="allow")


def _when(ctx: Ctx, at: str | None) -> When | None:
    if at is None:
        return None
    return parse_when(at, display_zone(ctx.settings), now=now_utc())


_READS = problem_responses(401, 403, 404, 422, 429)
_WRITES = problem_responses(401, 403, 404, 409, 413, 422, 429)
_POST: dict[int | str, dict[str, Any]] = {200: {"model": PostOut}}


@router.get("", response_model=None, responses={200: {"model": PostPage}, **_READS},
            summary="List posts", operation_id="listPosts")
def list_(request: Request, caller: Caller,
          status: Annotated[str | None, Query(max_length=40)] = None,
          campaign: Annotated[str | None, Query(max_length=200)] = None,
          account: Annotated[str | None, Query(max_length=300)] = None,
          limit: Annotated[int, Query(ge=1, le=1000)] = 50,
          cursor: CursorQuery = None) -> Any:
    """Posts, soonest first, drafts last (`socialhub posts list`)."""
    win = cursor_window(POSTS, cursor, min(limit, request.app.state.api.max_page_size))

    def run(ctx: Ctx) -> dict[str, Any]:
        return page(post_summaries_page(ctx, win, status=status, campaign=campaign,
                                        account=account))
    return read(request, caller, run)


@router.post("", status_code=201, response_model=None,
             responses={201: {"model": PostOut}, **_WRITES},
             summary="Create a post", operation_id="createPost")
def create(request: Request, caller: Caller, body: PostCreate) -> JSONResponse:
    """A draft, or scheduled with `at` / `next_slot` (`socialhub posts create`)."""
    if body.at is not None and body.next_slot:
        raise ApiProblem(422, "invalid", "give at or next_slot, not both")

    def run(ctx: Ctx) -> dict[str, Any]:
        when = _when(ctx, body.at)
        specs = [TargetSpec(account=t.account, text=t.text) for t in body.targets]
        post = create_post(ctx, body=body.body, targets=specs, name=body.name,
                           campaign=body.campaign, voice=body.voice, tags=body.tags,
                           paid=body.paid, split=body.split)
        if when is not None or body.next_slot:
            schedule_post(ctx, post.name, at=when, next_slot=body.next_slot, now=now_utc())
        return post_summary(ctx.session, post)
    return write(request, caller, run, body=body, status=201, etag=True)


@router.get("/{ref}", response_model=None, responses={**_POST, **_READS},
            summary="Show a post", operation_id="getPost")
def show(request: Request, caller: Caller, ref: _REF) -> JSONResponse:
    """One post with an `ETag` to send back as `If-Match` when updating it."""
    data = read(request, caller, lambda ctx: show_post(ctx, ref))
    return JSONResponse(data, headers={"ETag": etag_of(data)})


@router.patch("/{ref}", response_model=None,
              responses={**_POST, **_WRITES, **problem_responses(412, 428)},
              summary="Update a post", operation_id="updatePost")
def update(request: Request, caller: Caller, ref: _REF, body: PostPatch,
           if_match: Annotated[str | None, Header(max_length=200)] = None) -> JSONResponse:
    """Change a post; `If-Match` must carry the ETag it was read with (`posts edit`).

    A stale ETag is a 412 and changes nothing, so two editors never overwrite
    each other silently; no `If-Match` at all is a 428.
    """
    if not if_match:
        raise ApiProblem(428, "precondition_required",
                         "send If-Match with the post's ETag (GET it first)")
    edits = body.model_dump(exclude_unset=True)

    def run(ctx: Ctx) -> dict[str, Any]:
        current = etag_of(show_post(ctx, ref))
        wanted = {t.strip().removeprefix("W/") for t in if_match.split(",")}
        if "*" not in wanted and current not in wanted:
            raise ApiProblem(412, "precondition_failed",
                             "the post changed since you read it",
                             hint="GET it again and reapply your change")
        post = update_post(ctx, ref, **edits)
        return post_summary(ctx.session, post)
    return write(request, caller, run, body=body, etag=True)


@router.delete("/{ref}", response_model=None, responses={**_POST, **_WRITES},
               summary="Delete a post", operation_id="deletePost")
def delete(request: Request, caller: Caller, ref: _REF,
           force: Annotated[bool, Query()] = False) -> JSONResponse:
    """Delete a post with its variants and queue entries (`posts remove`)."""
    def run(ctx: Ctx) -> dict[str, Any]:
        post = remove_post_case(ctx, ref, force=force)
        return {"name": post.name, "id": post.id, "removed": True}
    return write(request, caller, run, body={"force": force})


def _step(path: str, op: str, summary: str) -> Any:
    return router.post(path, response_model=None, responses={**_POST, **_WRITES},
                       summary=summary, operation_id=op)


@_step("/{ref}/schedule", "schedulePost", "Schedule a post")
def schedule(request: Request, caller: Caller, ref: _REF, body: ScheduleBody) -> JSONResponse:
    """At a time, or in each target's next free slot (`posts schedule`)."""
    if body.at is not None and body.next_slot:
        raise ApiProblem(422, "invalid", "give at or next_slot, not both")

    def run(ctx: Ctx) -> dict[str, Any]:
        post = schedule_post(ctx, ref, at=_when(ctx, body.at), next_slot=body.next_slot,
                             accounts=body.targets, now=now_utc(),
                             bypass_approval=body.bypass_approval)
        return post_summary(ctx.session, post)
    return write(request, caller, run, body=body, etag=True)


@_step("/{ref}/unschedule", "unschedulePost", "Take a post off the calendar")
def unschedule(request: Request, caller: Caller, ref: _REF) -> JSONResponse:
    """It becomes a draft again (`posts unschedule`)."""
    return write(request, caller,
                 lambda ctx: post_summary(ctx.session, unschedule_post(ctx, ref)), etag=True)


@_step("/{ref}/cancel", "cancelPost", "Cancel a post")
def cancel(request: Request, caller: Caller, ref: _REF) -> JSONResponse:
    """Nothing more of it goes out (`posts cancel`)."""
    return write(request, caller,
                 lambda ctx: post_summary(ctx.session, cancel_post(ctx, ref)), etag=True)


@_step("/{ref}/submit", "submitPost", "Submit a post for review")
def submit(request: Request, caller: Caller, ref: _REF, body: ReviewBody) -> JSONResponse:
    """It becomes pending_approval (`posts submit`)."""
    return write(request, caller, lambda ctx: submit_post(ctx, ref, comment=body.comment),
                 body=body)


@_step("/{ref}/approve", "approvePost", "Approve a post")
def approve(request: Request, caller: Caller, ref: _REF, body: ReviewBody) -> JSONResponse:
    """Reviewers approve others' posts, never their own (`posts approve`)."""
    return write(request, caller, lambda ctx: approve_post(ctx, ref, comment=body.comment),
                 body=body)


@_step("/{ref}/request-changes", "requestChanges", "Ask for changes to a post")
def changes(request: Request, caller: Caller, ref: _REF, body: ChangesBody) -> JSONResponse:
    """Send it back to its author (`posts request-changes`)."""
    return write(request, caller,
                 lambda ctx: request_changes(ctx, ref, comment=body.comment), body=body)


@_step("/{ref}/publish-now", "publishNow", "Publish a post now")
def publish(request: Request, caller: Caller, ref: _REF, body: PublishBody) -> JSONResponse:
    """Every target is due at once; the daemon sends it (`posts publish-now`)."""
    def run(ctx: Ctx) -> dict[str, Any]:
        ids = publish_now(ctx, ref, now=now_utc(), bypass_approval=body.bypass_approval)
        return {**show_post(ctx, ref), "deliveries": ids}
    return write(request, caller, run, body=body)
