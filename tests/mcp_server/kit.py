"""The daemon's HTTP app with the MCP server mounted, on a real uvicorn, and an agent
driving it with the MCP SDK's streamable-HTTP client (shared by the MCP-over-HTTP tests)."""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Callable
from typing import Any

import anyio
import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from socialhub.daemon.http import HttpServer, create_daemon_app
from socialhub.mcp_server.http import token_auth
from socialhub.services.access.tokens import create_token
from socialhub.services.hub import Hub
from socialhub.services.ops.http_access import HttpAccess

#: What the agent's token may do: read everything the read tools show, write drafts.
AGENT_SCOPES = ("posts:write,accounts:read,campaigns:read,voices:read,analytics:read,"
                "inbox:read,slots:read")


class Daemon:
    """The daemon's HTTP app with MCP mounted, on a real uvicorn."""

    def __init__(self, hub: Hub, *, daemon_token: str | None = None,
                 trusted: bool | None = False, token_name: str | None = None) -> None:
        """``trusted`` None: trust as the config says (``mcp.trusted_tokens``)."""
        with hub.context("cli") as ctx:
            self.token = create_token(ctx, name=token_name or f"agent-{secrets.token_hex(3)}",
                                      scopes=AGENT_SCOPES).secret
        access = HttpAccess("127.0.0.1", 0, daemon_token, 1_048_576)
        auth = token_auth(hub)
        if trusted is not None:
            auth = dataclasses.replace(auth, trusted=lambda _p: trusted)
        app = create_daemon_app(hub.config, lambda: {"status": "ok"}, lambda: {}, access,
                                mcp=auth)
        self.server = HttpServer(app, "127.0.0.1", 0, lifespan=True)
        self.url = self.server.start() + "/mcp"

    def call(self, calls: Callable[[ClientSession], Any], token: str | None = None) -> Any:
        """Run ``calls(session)`` through the SDK's streamable-HTTP client (with this
        daemon's agent token unless ``token`` is given)."""
        async def main() -> Any:
            async with httpx2.AsyncClient(
                    headers={"Authorization": f"Bearer {token or self.token}"}) as http, \
                    streamable_http_client(self.url, http_client=http) as (read, write), \
                    ClientSession(read, write) as session:
                await session.initialize()
                return await calls(session)

        return anyio.run(main)


def data(result: Any) -> dict[str, Any]:
    """The JSON a tool call answered (the call must have succeeded)."""
    assert not result.is_error, result.content
    answer: dict[str, Any] = json.loads(result.content[0].text)
    return answer
