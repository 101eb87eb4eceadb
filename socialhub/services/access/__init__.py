"""Access to the HTTP API: scoped tokens, idempotency keys and per-token rate limits.

The API front end (``socialhub.api``) and the MCP server authenticate a caller with
:func:`tokens.authenticate_token` and open a ``Ctx`` for the returned principal with
``hub.context("api", principal=...)``.
"""
