"""``socialhub mcp serve``: the MCP server over stdin/stdout for a desktop agent.

The agent's client starts this process and speaks JSON-RPC on its stdin and
stdout, so nothing else may write to stdout: logs go to stderr. The actor is the
local login, as for the CLI (``services.teams.acting``), and every call runs
through ``hub.context("mcp")``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from socialhub.services.hub import Hub


def serve_stdio(hub: Hub) -> None:
    """Serve MCP on stdin/stdout until the client closes them.

    Drafts go to review unless ``mcp.trust_drafts`` is set in the config.
    """
    import anyio

    from socialhub.mcp_server.server import Caller, build_server

    trusted = hub.config.settings.mcp.trust_drafts

    def open_context(_request: Any) -> Any:
        return hub.context("mcp")

    server = build_server(Caller(open_context=open_context, trusted=lambda _r: trusted))
    hub.engine  # noqa: B018 - open (and check) the database before the first request
    anyio.run(server.run_stdio_async)
