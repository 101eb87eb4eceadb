"""A post's review thread and the approvals queue: ``/api/v1/posts/{ref}/comments`` and
``/api/v1/approvals``.

Each route calls the use case ``socialhub posts comments`` (and ``--add``) or the
approvals queue calls.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from socialhub.api.core import Caller, no_nul_bytes, read, write
from socialhub.api.problems import READS, WRITES
from socialhub.api.routes_posts import Strict
from socialhub.api.routes_reads import Record, Records
from socialhub.services.authoring.review import approvals_queue, comment_post, post_thread
from socialhub.services.context import Ctx

router = APIRouter(prefix="/api/v1", dependencies=[Depends(no_nul_bytes)])

_REF = Annotated[str, Path(min_length=1, max_length=200)]


class CommentBody(Strict):
    """A comment for the post's review thread."""

    text: str = Field(min_length=1, max_length=10_000)


@router.get("/posts/{ref}/comments", tags=["posts"], response_model=None,
            responses={200: {"model": Record}, **READS}, operation_id="getPostComments",
            summary="A post's review thread")
def comments(request: Request, caller: Caller, ref: _REF) -> Any:
    """Submissions, approvals, requests for changes and comments (`posts comments`)."""
    return read(request, caller, lambda ctx: post_thread(ctx, ref))


@router.post("/posts/{ref}/comments", tags=["posts"], response_model=None, status_code=201,
             responses={201: {"model": Record}, **WRITES}, operation_id="commentPost",
             summary="Comment on a post")
def add_comment(request: Request, caller: Caller, ref: _REF,
                body: CommentBody) -> JSONResponse:
    """Add a comment; the answer is the whole thread (`posts comments --add`)."""
    def run(ctx: Ctx) -> dict[str, Any]:
        comment_post(ctx, ref, body.text)
        return post_thread(ctx, ref)
    return write(request, caller, run, body=body, status=201)


@router.get("/approvals", tags=["posts"], response_model=None,
            responses={200: {"model": Records}, **READS}, operation_id="listApprovals",
            summary="Posts waiting for approval")
def approvals(request: Request, caller: Caller) -> Any:
    """Posts waiting for a review, longest waiting first (the TUI's approvals screen)."""
    return {"items": read(request, caller, approvals_queue)}
