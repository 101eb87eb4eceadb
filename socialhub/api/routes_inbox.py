"""``/api/v1/inbox`` writes: archive, assign, mark read or unread, reply; and the sync status.

Each route calls the use case the matching ``socialhub inbox`` command calls.
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
from socialhub.services.inbox.items import archive_item, assign_item, inbox_status, mark_item
from socialhub.services.inbox.reply import reply_to_item

router = APIRouter(prefix="/api/v1/inbox", tags=["inbox"],
                   dependencies=[Depends(no_nul_bytes)])

_ID = Annotated[int, Path(ge=1, le=2**31 - 1)]


class AssignBody(Strict):
    """Who handles the item: a member's login, or null to unassign."""

    login: str | None = Field(max_length=200, examples=["alice", None])


class ReplyBody(Strict):
    """The answer, threaded under the item."""

    text: str = Field(min_length=1, max_length=100_000)
    split: bool = Field(default=False, description="Send a text over the platform's limit "
                        "as a thread of replies instead of refusing it.")


def _step(path: str, op: str, summary: str, status: int = 200) -> Any:
    return router.post(path, response_model=None, status_code=status,
                       responses={status: {"model": Record}, **WRITES},
                       summary=summary, operation_id=op)


@router.get("/status", response_model=None, responses={200: {"model": Records}, **READS},
            summary="Inbox sync status", operation_id="inboxStatus")
def status(request: Request, caller: Caller) -> Any:
    """Each inbox account: last and next sync, failures, last error (`inbox status`)."""
    return {"items": read(request, caller, inbox_status)}


@_step("/{item_id}/archive", "archiveInboxItem", "Archive an inbox item")
def archive(request: Request, caller: Caller, item_id: _ID) -> JSONResponse:
    """It leaves the inbox list (`inbox archive`)."""
    return write(request, caller, lambda ctx: archive_item(ctx, item_id, archived=True))


@_step("/{item_id}/unarchive", "unarchiveInboxItem", "Bring an inbox item back")
def unarchive(request: Request, caller: Caller, item_id: _ID) -> JSONResponse:
    """It is back in the inbox list (`inbox archive --undo`)."""
    return write(request, caller, lambda ctx: archive_item(ctx, item_id, archived=False))


@_step("/{item_id}/assign", "assignInboxItem", "Assign an inbox item")
def assign(request: Request, caller: Caller, item_id: _ID, body: AssignBody) -> JSONResponse:
    """To a member by login, or to nobody with null (`inbox assign`)."""
    return write(request, caller, lambda ctx: assign_item(ctx, item_id, body.login),
                 body=body)


@_step("/{item_id}/read", "markInboxItemRead", "Mark an inbox item read")
def mark_read(request: Request, caller: Caller, item_id: _ID) -> JSONResponse:
    """`inbox mark ID read`."""
    return write(request, caller, lambda ctx: mark_item(ctx, item_id, read=True))


@_step("/{item_id}/unread", "markInboxItemUnread", "Mark an inbox item unread")
def mark_unread(request: Request, caller: Caller, item_id: _ID) -> JSONResponse:
    """`inbox mark ID unread`."""
    return write(request, caller, lambda ctx: mark_item(ctx, item_id, read=False))


@_step("/{item_id}/replies", "replyToInboxItem", "Reply to an inbox item", status=202)
def reply(request: Request, caller: Caller, item_id: _ID, body: ReplyBody) -> JSONResponse:
    """Queue an answer as a delivery; the daemon sends it (`inbox reply`).

    The same text to the same item is the same delivery (``created`` is false on a
    repeat); a text over the platform's limit is a 422 unless ``split``.
    """
    return write(request, caller,
                 lambda ctx: reply_to_item(ctx, item_id, body.text, split=body.split),
                 body=body, status=202)
