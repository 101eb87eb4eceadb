"""An ASGI guard in front of the HTTP APIs: bearer token and request body size.

Starlette and uvicorn have no request body limit (uvicorn bounds only the
header block), so this reads the body itself, up to the limit, before the
app sees it; a larger body is a 413 and never reaches a handler. With a
token configured, every path except the liveness paths needs
``Authorization: Bearer <token>`` (compared in constant time); the guard
marks the request scope ``state["authenticated"]`` so a liveness route can
say less to strangers. Errors have the API's one JSON shape.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from socialhub.search.fts import error_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
#: Renders a refusal ``(status, code, message)`` as ``(body, content type)``.
Reply = Callable[[int, str, str], tuple[bytes, str]]

#: Paths anyone may reach: a monitor's liveness probe.
OPEN_PATHS = frozenset({"/healthz"})
AUTHENTICATED = "authenticated"


class HttpGuard:
    """Wraps an ASGI app with the token check and the body size limit."""

    def __init__(self, app: ASGIApp, *, token: str | None, max_body_bytes: int,
                 limit_key: str, open_paths: frozenset[str] = OPEN_PATHS,
                 reply: Reply | None = None) -> None:
        self.app = app
        self.reply = reply
        self.token = token.encode() if token else None
        self.max_body_bytes = max_body_bytes
        self.limit_key = limit_key
        self.open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection: check, buffer the body, then hand to the app."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authenticated = self.token is None or self._has_token(scope)
        scope.setdefault("state", {})[AUTHENTICATED] = authenticated
        if not authenticated and scope.get("path") not in self.open_paths:
            await _reply(send, 401, "unauthorized", "a valid bearer token is required",
                         {"www-authenticate": "Bearer"}, self.reply)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await self._too_large(send)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = bool(message.get("more_body", False))
            if len(body) > self.max_body_bytes:
                await self._too_large(send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _has_token(self, scope: Scope) -> bool:
        assert self.token is not None
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                scheme, _, given = bytes(value).partition(b" ")
                if scheme.lower() == b"bearer":
                    return hmac.compare_digest(given.strip(), self.token)
        return False

    async def _too_large(self, send: Send) -> None:
        await _reply(send, 413, "payload_too_large",
                     f"request body is larger than {self.max_body_bytes} bytes "
                     f"(the limit is {self.limit_key})", {"connection": "close"}, self.reply)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _reply(send: Send, status: int, code: str, message: str,
                 headers: dict[str, str], render: Reply | None = None) -> None:
    if render is not None:
        payload, media = render(status, code, message)
    else:
        payload, media = json.dumps(error_body(code, message, None)).encode(), "application/json"
    raw = [(b"content-type", media.encode()),
           (b"content-length", str(len(payload)).encode()),
           *((k.encode(), v.encode()) for k, v in headers.items())]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})
