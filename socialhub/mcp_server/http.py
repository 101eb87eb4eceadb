"""The MCP server over streamable HTTP, for the daemon to mount at ``/mcp``.

Every request must carry ``Authorization: Bearer <token>``; the token is
checked by the ``authenticate`` callable the daemon is given (its API tokens),
and the principal it returns is who acts: ``open_context(principal)`` opens the
``Ctx`` for each tool call. A request without a valid token gets a 401 and never
reaches the SDK. The transport is stateless (each POST is answered on its own),
so each call is authenticated by its own request and no session outlives it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import AbstractContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from socialhub.services.context import Ctx, Principal
from socialhub.services.hub import Hub

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: Where the authenticated principal rides in the ASGI scope (read by ``Caller``).
PRINCIPAL = "socialhub.mcp.principal"


@dataclass(frozen=True)
class McpHttpAuth:
    """Who may call ``/mcp`` and as whom.

    Attributes:
        authenticate: the bearer token → the principal it stands for, or None
            (unknown, revoked, expired). Called in a worker thread.
        open_context: the principal → a context manager giving the ``Ctx`` its
            calls run in (one transaction per tool call).
        trusted: whether the drafts this principal writes skip review (default:
            never; they wait for a person's approval).
    """

    authenticate: Callable[[str], Any | None]
    open_context: Callable[[Any], AbstractContextManager[Ctx]]
    trusted: Callable[[Any], bool] = field(default=lambda _principal: False)


class McpHttpApp:
    """The ASGI app: bearer check, then the SDK's streamable-HTTP transport.

    Mount it on one path (it answers any path it is given). The SDK's session
    manager must be running: enter :meth:`lifespan` for as long as the app serves.
    """

    def __init__(self, auth: McpHttpAuth, *, loopback: bool = True) -> None:
        from mcp.server.streamable_http_manager import (
            StreamableHTTPASGIApp,
            StreamableHTTPSessionManager,
        )
        from mcp.server.transport_security import TransportSecuritySettings

        from socialhub.mcp_server.server import Caller, build_server

        self.auth = auth
        caller = Caller(open_context=lambda request: auth.open_context(_principal(request)),
                        trusted=lambda request: auth.trusted(_principal(request)))
        server = build_server(caller)
        # On loopback, refuse requests whose Host or Origin is not loopback (DNS
        # rebinding: a web page in the user's browser must not reach the daemon).
        security = TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
            allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
        ) if loopback else None
        # The SDK keeps its session manager on the low-level server it builds here.
        server.streamable_http_app(stateless_http=True, json_response=True,
                                   transport_security=security)
        self.manager: StreamableHTTPSessionManager = server.session_manager
        self.inner = StreamableHTTPASGIApp(self.manager)

    @asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        """Run the SDK's session manager (once per app) while the block lasts."""
        async with self.manager.run():
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request: 401 without a valid bearer token, else the transport."""
        import anyio.to_thread

        if scope["type"] != "http":
            return
        token = _bearer(scope)
        principal = (await anyio.to_thread.run_sync(self.auth.authenticate, token)
                     if token else None)
        if principal is None:
            await _unauthorized(send)
            return
        scope[PRINCIPAL] = principal
        await self.inner(scope, receive, send)


def _principal(request: Any) -> Any:
    if request is None or PRINCIPAL not in request.scope:
        raise RuntimeError("an MCP call over HTTP without an authenticated principal")
    return request.scope[PRINCIPAL]


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, given = bytes(value).decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and given.strip():
                return given.strip()
    return None


async def _unauthorized(send: Send) -> None:
    body = json.dumps({"error": {"code": "unauthorized",
                                 "message": "a valid API token is required "
                                            "(Authorization: Bearer <token>)",
                                 "detail": None}}).encode()
    await send({"type": "http.response.start", "status": 401,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"www-authenticate", b"Bearer")]})
    await send({"type": "http.response.body", "body": body})


def create_mcp_http_app(auth: McpHttpAuth, *, loopback: bool = True) -> McpHttpApp:
    """The ``/mcp`` ASGI app for ``auth`` (enter its ``lifespan()`` while it serves).

    ``loopback``: the server listens on loopback only, so requests naming another
    host or a foreign browser origin are refused (DNS-rebinding protection).
    """
    return McpHttpApp(auth, loopback=loopback)


def token_auth(hub: Hub) -> McpHttpAuth:
    """The daemon's ``/mcp`` callers: bearers of API tokens (``socialhub tokens create``),
    each acting as the member the token belongs to, narrowed by the token's scopes,
    through the ``mcp`` channel. An unknown, revoked or expired token is refused; the
    drafts of the tokens ``mcp.trusted_tokens`` names skip review.

    Raises:
        ConfigError: ``mcp.trusted_tokens`` names an organization that does not exist.
    """
    from socialhub.errors import UnauthenticatedError
    from socialhub.services.access.tokens import authenticate_token
    from socialhub.services.access.trust import trusted_tokens

    def authenticate(bearer: str) -> Principal | None:
        try:
            return authenticate_token(hub, bearer)
        except UnauthenticatedError:
            return None

    return McpHttpAuth(authenticate=authenticate,
                       open_context=lambda principal: hub.context("mcp", principal=principal),
                       trusted=trusted_tokens(hub))
