"""``/l/<code>``: the public short-link redirect, in front of the daemon's guarded app.

It sits *outside* the bearer-token guard on purpose: a short link is posted to
the world, so anyone may follow it, even when ``daemon.http_token`` guards
everything else. Only ``GET``/``HEAD`` of exactly ``/l/`` plus a code's
characters is answered here; every other request — ``/l/`` with anything more,
another method, any other path — goes on to the guarded app unchanged, so
nothing else becomes public. Plain ASGI rather than a FastAPI route: the
redirect is the daemon's hottest path (docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from socialhub.services.links.redirects import LinkRedirects, valid_code

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_PREFIX = "/l/"
_NOT_FOUND = b"not found\n"


class ShortLinkApp:
    """Answers ``/l/<code>`` with a 302 to the link's target (or a plain 404)."""

    def __init__(self, app: ASGIApp, links: LinkRedirects) -> None:
        self.app = app
        self.links = links

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve a short link, or hand the request to the wrapped app."""
        path = scope.get("path", "") if scope["type"] == "http" else ""
        method = scope.get("method", "")
        if not path.startswith(_PREFIX) or method not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        code = path[len(_PREFIX):]
        if not valid_code(code):
            await self.app(scope, receive, send)
            return
        link = self.links.cached(code)
        if link is None:
            from anyio import to_thread

            link = await to_thread.run_sync(self.links.lookup, code)
        if link is None:
            await _reply(send, 404, [(b"content-type", b"text/plain; charset=utf-8"),
                                     (b"content-length", str(len(_NOT_FOUND)).encode())],
                         b"" if method == "HEAD" else _NOT_FOUND)
            return
        agent, prefetch = _headers(scope)
        self.links.click(link, user_agent=agent, method=method, prefetch=prefetch)
        await _reply(send, 302, [(b"location", link.target.encode("utf-8")),
                                 (b"cache-control", b"no-store"),
                                 (b"referrer-policy", b"no-referrer-when-downgrade"),
                                 (b"content-length", b"0")], b"")


def _headers(scope: Scope) -> tuple[str, bool]:
    """The user agent, and whether the request is a browser's prefetch."""
    agent, prefetch = "", False
    for name, value in scope.get("headers", ()):
        if name == b"user-agent":
            agent = bytes(value).decode("latin-1")
        elif name in (b"purpose", b"sec-purpose", b"x-purpose", b"x-moz"):
            prefetch = prefetch or b"prefetch" in bytes(value).lower()
    return agent, prefetch


async def _reply(send: Send, status: int, headers: list[tuple[bytes, bytes]],
                 body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
