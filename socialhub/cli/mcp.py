"""``socialhub mcp``: the MCP server for AI agents (docs/agents.md)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Serve socialhub to AI agents over the Model Context Protocol.",
                  no_args_is_help=True)


@app.command("serve")
def serve() -> None:
    """Serve MCP on stdin/stdout for a desktop AI agent.

    Agents read the calendar, posts, accounts, campaigns, voices, analytics and the
    inbox, and draft posts that wait for a person's approval (mcp.trust_drafts
    skips that). They act as you, the local login, through the channel mcp. The
    daemon serves the same tools over HTTP at /mcp with API tokens.

    Example (a client's JSON config): {"command": "socialhub", "args": ["mcp", "serve"]}
    """
    import sys

    from socialhub.cli.common import get_hub, info
    from socialhub.mcp_server.stdio import serve_stdio

    hub = get_hub()
    if sys.stdin.isatty():
        info("socialhub mcp serve speaks MCP (JSON-RPC) on stdin/stdout: an MCP client starts "
             "it (see docs/agents.md). Waiting for one; Ctrl-D stops.")
    serve_stdio(hub)
