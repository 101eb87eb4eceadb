"""The MCP server: socialhub's use cases for AI agents over the Model Context Protocol.

A front end like the CLI: ``server.py`` declares the tools and resources on the
official SDK, ``stdio.py`` serves them to a desktop client (``socialhub mcp
serve``), ``http.py`` builds the streamable-HTTP app the daemon mounts at
``/mcp``. Nothing here is imported by ``socialhub --help``: the SDK loads only
when a server starts. See docs/agents.md.
"""
