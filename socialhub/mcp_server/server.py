"""The MCP server: socialhub's use cases as MCP tools and resources, built on the
official SDK (``mcp``'s ``MCPServer``).

One server object serves both transports; what differs is who the caller is.
``Caller.open_context`` opens the ``Ctx`` a call runs in from the transport's
request (None over stdio, where the actor is the local login as for the CLI;
the HTTP request, carrying the authenticated principal, on the daemon), and
``Caller.trusted`` says whether the drafts that caller writes skip review.

Every tool runs its use cases in one transaction in a worker thread (the
database calls block) and records one ``mcp_tool.called`` audit row in it; a
refused or failed call rolls back and comes back to the agent as a tool error
with socialhub's one-line message. The tool list, hints and resources are
documented in docs/agents.md.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Annotated, Any

import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from socialhub import __version__
from socialhub.errors import NotFoundError, SocialhubError
from socialhub.mcp_server import tools
from socialhub.services.audit import record_tool_call
from socialhub.services.context import Ctx
from socialhub.services.paging import MAX_ROWS

#: Reads: change nothing (the audit row aside), safe to retry.
READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                       open_world_hint=False)
#: Adds a record or an entry (a post, a comment); a second call adds another.
ADD = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False,
                      open_world_hint=False)
#: Overwrites what a post says (its text, targets or tags).
OVERWRITE = ToolAnnotations(read_only_hint=False, destructive_hint=True,
                            idempotent_hint=False, open_world_hint=False)

INSTRUCTIONS = (
    "socialhub plans and publishes posts on social networks for an organization. Read the "
    "calendar, posts, accounts, campaigns, voice profiles, analytics and the inbox; draft "
    "posts and revise them. A post you draft waits for a person's approval "
    "(status pending_approval) unless this server trusts you; nothing you write is "
    "published or scheduled by these tools. Accounts are written platform:@handle, e.g. "
    "bluesky:@shop.example.com (see accounts_list).")


@dataclass(frozen=True)
class Caller:
    """Who calls, per transport: how to open their ``Ctx`` from the transport's request
    (None over stdio), and whether their drafts skip review."""

    open_context: Callable[[Any], AbstractContextManager[Ctx]]
    trusted: Callable[[Any], bool]


PostRef = Annotated[str, Field(description="The post's name or numeric id.")]
Limit = Annotated[int, Field(ge=1, le=tools.MAX_PAGE, description="How many to return.")]
Cursor = Annotated[str | None, Field(
    description="The next_cursor of the previous page: this page starts right after it "
    "(rows added or removed meanwhile do not shift the pages).")]
Offset = Annotated[int, Field(ge=0, le=MAX_ROWS, description="How many to skip (after the "
                              "cursor, if given). Drifts when rows are added or removed "
                              "between two calls (a row repeats or is skipped): prefer "
                              "cursor.")]
Texts = Annotated[dict[str, str] | None, Field(
    description="A target's own text instead of the body, by account: "
    "{\"x:@shop\": \"shorter text\"}.")]
Tags = Annotated[list[str] | None, Field(description="Tags for filtering posts.")]
Note = Annotated[str | None, Field(description="A note for the reviewer in the post's "
                                   "review thread: why, sources, what to check.")]


def _request(context: Context) -> Any:
    return context.request_context.request


def build_server(caller: Caller) -> MCPServer:
    """The MCP server with every tool and resource, serving ``caller``."""
    # The SDK configures the root logger when a server is made (logging.basicConfig with
    # a Rich handler at INFO); socialhub owns its logging (the daemon's JSON lines, the
    # CLI's stderr), so whatever the SDK adds to the root logger is taken back at once.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    server: MCPServer = MCPServer("socialhub", title="socialhub", version=__version__,
                                  instructions=INSTRUCTIONS)
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)

    async def call(context: Context, tool: str, fn: Callable[..., Any],
                   arguments: dict[str, Any], *, reviewed: bool = False) -> dict[str, Any]:
        request = _request(context)

        def work() -> dict[str, Any]:
            extra = {"review": not caller.trusted(request)} if reviewed else {}
            with caller.open_context(request) as ctx:
                result = fn(ctx, **arguments, **extra)
                record_tool_call(ctx.session, ctx.org_id, tool, arguments)
                data: dict[str, Any] = tools.plain(result)
                return data

        try:
            return await anyio.to_thread.run_sync(work)
        except SocialhubError as exc:
            raise ToolError(str(exc)) from None

    async def read(context: Context, fn: Callable[[Ctx], Any]) -> dict[str, Any]:
        request = _request(context)

        def work() -> dict[str, Any]:
            with caller.open_context(request) as ctx:
                data: dict[str, Any] = tools.plain(fn(ctx))
                return data

        try:
            return await anyio.to_thread.run_sync(work)
        except NotFoundError as exc:
            raise ResourceNotFoundError(str(exc)) from None
        except SocialhubError as exc:
            raise ResourceError(str(exc)) from None

    # -- reads ----------------------------------------------------------------------------
    @server.tool(annotations=READ, title="Calendar")
    async def calendar_list(
        context: Context,
        start: Annotated[str | None, Field(description="The first day: YYYY-MM-DD, today, "
                                           "tomorrow, mon, next fri, +7d (default today).")]
        = None,
        days: Annotated[int, Field(ge=1, le=92, description="How many days.")] = 14,
        account: Annotated[str | None, Field(description="Only this account "
                                             "(platform:@handle).")] = None,
        zone: Annotated[str | None, Field(description="IANA zone for the times (default: "
                                          "the configured zone).")] = None,
    ) -> dict[str, Any]:
        """What goes out when: scheduled targets and free posting slots, day by day."""
        return await call(context, "calendar_list", tools.calendar,
                          {"start": start, "days": days, "account": account, "zone": zone})

    @server.tool(annotations=READ, title="List posts")
    async def posts_list(
        context: Context,
        status: Annotated[str | None, Field(description="draft, pending_approval, "
                                            "changes_requested, approved, scheduled, "
                                            "published, failed, canceled…")] = None,
        campaign: Annotated[str | None, Field(description="Only this campaign's posts.")]
        = None,
        account: Annotated[str | None, Field(description="Only posts to this account.")]
        = None,
        limit: Limit = 50,
        cursor: Cursor = None,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Posts matching the filters, soonest first, drafts last; with the total and
        next_cursor (pass it as cursor for the next page; null on the last)."""
        return await call(context, "posts_list", tools.posts,
                          {"status": status, "campaign": campaign, "account": account,
                           "limit": limit, "cursor": cursor, "offset": offset})

    @server.tool(annotations=READ, title="Show a post")
    async def posts_show(context: Context, post: PostRef) -> dict[str, Any]:
        """One post: each target's text, time and delivery, its review state and thread."""
        return await call(context, "posts_show", tools.post, {"ref": post})

    @server.tool(annotations=READ, title="List accounts")
    async def accounts_list(context: Context) -> dict[str, Any]:
        """The organization's social accounts (``ref`` is platform:@handle), their status
        and whether each is connected."""
        return await call(context, "accounts_list", tools.accounts, {})

    @server.tool(annotations=READ, title="List campaigns")
    async def campaigns_list(context: Context, limit: Limit = 50, cursor: Cursor = None,
                             offset: Offset = 0) -> dict[str, Any]:
        """Campaigns with their dates, status and post counts, by start date; with the
        total and next_cursor (pass it as cursor for the next page; null on the last)."""
        return await call(context, "campaigns_list", tools.campaigns,
                          {"limit": limit, "cursor": cursor, "offset": offset})

    @server.tool(annotations=READ, title="List voice profiles")
    async def voices_list(context: Context) -> dict[str, Any]:
        """The brand voices (tone, formality, emoji use), the default one marked."""
        return await call(context, "voices_list", tools.voices, {})

    @server.tool(annotations=READ, title="Show a voice profile")
    async def voices_show(
        context: Context,
        name: Annotated[str, Field(description="The voice profile's name.")],
    ) -> dict[str, Any]:
        """A brand voice: declared tone, formality, emoji use, phrases to use and avoid,
        what training learned, and sample posts. Write drafts in it."""
        return await call(context, "voices_show", tools.voice, {"name": name})

    @server.tool(annotations=READ, title="Analytics overview")
    async def analytics_overview(
        context: Context,
        days: Annotated[int, Field(ge=1, le=365, description="The last N days.")] = 30,
        account: Annotated[str | None, Field(description="Only this account.")] = None,
    ) -> dict[str, Any]:
        """Totals, engagement rates, follower change and the best posts of the period."""
        return await call(context, "analytics_overview", tools.analytics,
                          {"days": days, "account": account})

    @server.tool(annotations=READ, title="Inbox")
    async def inbox_list(
        context: Context,
        platform: Annotated[str | None, Field(description="Only this network.")] = None,
        account: Annotated[str | None, Field(description="Only this account.")] = None,
        unread: Annotated[bool, Field(description="Only unread items.")] = False,
        limit: Limit = 50,
        cursor: Cursor = None,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Mentions, replies and messages received, newest first (archived ones left
        out); with the total and next_cursor (pass it as cursor for the next page; null
        on the last)."""
        return await call(context, "inbox_list", tools.inbox,
                          {"platform": platform, "account": account, "unread": unread,
                           "limit": limit, "cursor": cursor, "offset": offset})

    @server.tool(annotations=READ, title="Approvals queue")
    async def approvals_list(context: Context) -> dict[str, Any]:
        """Posts waiting for a person's approval, longest waiting first."""
        return await call(context, "approvals_list", tools.approvals, {})

    # -- writes ---------------------------------------------------------------------------
    @server.tool(annotations=ADD, title="Draft a post")
    async def posts_draft(
        context: Context,
        body: Annotated[str, Field(description="The post's text.")],
        targets: Annotated[list[str], Field(min_length=1, description="Accounts to post "
                                            "to, as platform:@handle.")],
        texts: Texts = None,
        name: Annotated[str | None, Field(description="A unique name: lower-case letters, "
                                          "digits, '.', '_', '-' (default post-ID).")] = None,
        campaign: Annotated[str | None, Field(description="Put it in this campaign.")]
        = None,
        voice: Annotated[str | None, Field(description="The voice profile it is written "
                                           "in.")] = None,
        tags: Tags = None,
        note: Note = None,
    ) -> dict[str, Any]:
        """Propose a new post. It is checked against each network's rules and waits for a
        person's approval (status pending_approval); it is never scheduled or published
        by this tool."""
        return await call(context, "posts_draft", tools.draft,
                          {"body": body, "targets": targets, "texts": texts, "name": name,
                           "campaign": campaign, "voice": voice, "tags": tags, "note": note},
                          reviewed=True)

    @server.tool(annotations=OVERWRITE, title="Revise a draft")
    async def posts_update(
        context: Context,
        post: PostRef,
        body: Annotated[str | None, Field(description="A new body; flows into targets "
                                          "without their own text.")] = None,
        texts: Texts = None,
        add_targets: Annotated[list[str] | None, Field(description="Also post to these "
                                                       "accounts.")] = None,
        remove_targets: Annotated[list[str] | None, Field(description="Stop posting to "
                                                          "these accounts.")] = None,
        tags: Annotated[list[str] | None, Field(description="Replace the tags.")] = None,
        campaign: Annotated[str | None, Field(description="Move it to this campaign "
                                              "('' takes it out).")] = None,
        note: Note = None,
    ) -> dict[str, Any]:
        """Change a draft or a post in review (not one approved or scheduled); it goes
        back to review with the new text."""
        return await call(context, "posts_update", tools.update,
                          {"ref": post, "body": body, "texts": texts,
                           "add_targets": add_targets, "remove_targets": remove_targets,
                           "tags": tags, "campaign": campaign, "note": note},
                          reviewed=True)

    @server.tool(annotations=ADD, title="Submit for approval")
    async def posts_submit(
        context: Context,
        post: PostRef,
        comment: Annotated[str | None, Field(description="A note for the reviewer.")]
        = None,
    ) -> dict[str, Any]:
        """Ask for a review: the post becomes pending_approval and joins the approvals
        queue."""
        return await call(context, "posts_submit", tools.submit,
                          {"ref": post, "comment": comment})

    @server.tool(annotations=ADD, title="Comment on a post")
    async def posts_comment(
        context: Context,
        post: PostRef,
        text: Annotated[str, Field(min_length=1, description="The comment.")],
    ) -> dict[str, Any]:
        """Add a comment to the post's review thread (e.g. answer a reviewer)."""
        return await call(context, "posts_comment", tools.comment, {"ref": post, "text": text})

    # -- resources ------------------------------------------------------------------------
    @server.resource("calendar://{start}", name="calendar", mime_type="application/json",
                     title="The calendar: 14 days from a day")
    async def calendar_from(start: str, context: Context) -> dict[str, Any]:
        """Scheduled targets and free slots for 14 days from ``start`` (YYYY-MM-DD,
        ``today``, ``tomorrow``, ``mon``…), times in the configured zone."""
        return await read(context, functools.partial(
            tools.calendar, start=start, days=14, account=None, zone=None))

    @server.resource("calendar://{start}/{days}", name="calendar-range",
                     mime_type="application/json", title="The calendar from a day")
    async def calendar_range(start: str, days: str, context: Context) -> dict[str, Any]:
        """Scheduled targets and free slots for ``days`` days from ``start`` (YYYY-MM-DD)."""
        if not days.isdigit() or not 1 <= int(days) <= 92:
            raise ResourceError("days must be a whole number from 1 to 92")
        return await read(context, functools.partial(
            tools.calendar, start=start, days=int(days), account=None, zone=None))

    @server.resource("post://{name}", name="post", mime_type="application/json",
                     title="A post")
    async def post_resource(name: str, context: Context) -> dict[str, Any]:
        """A post (its name or id) with its targets, deliveries, review state and thread."""
        return await read(context, functools.partial(tools.post, ref=name))

    @server.resource("voice://{name}", name="voice", mime_type="application/json",
                     title="A voice profile")
    async def voice_resource(name: str, context: Context) -> dict[str, Any]:
        """A voice profile in full: declared, learned, explained, with sample posts."""
        return await read(context, functools.partial(tools.voice, name=name))

    return server
