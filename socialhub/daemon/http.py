"""The daemon's HTTP server: ``/healthz``, ``/metrics`` (Prometheus), ``/metrics.json``,
the search API and the public short-link redirect ``/l/<code>`` (``links_http``).

uvicorn runs in a background thread (it installs no signal handlers off the
main thread, so SIGTERM stays ours). The local search API from
``socialhub.search.api`` is mounted when it is installed; the daemon's own
``/healthz`` and ``/metrics`` take precedence over its routes. Who may
connect is decided before binding (``services.ops.http_access``): off loopback
only with ``daemon.http_token``, which then guards every route but a
minimal ``/healthz``, the mounted search API included. The MCP server for
agents (``socialhub.mcp_server``) is mounted at ``/mcp`` when the daemon is
given an authenticator for it; it checks its callers' own bearer tokens (API
tokens), so the daemon token does not guard it.

The REST API (``socialhub.api``, docs/api.md) answers ``/api/v1/…`` and
``/openapi.json`` when a hub is given and ``api.enabled``; it authenticates
with its own scoped tokens, so ``daemon.http_token`` does not guard it. Off
loopback it is served only over TLS or behind a proxy the operator vouches
for (``services.ops.http_access``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import Request  # resolved by name in the route signature below

from socialhub.config import LoadedConfig
from socialhub.errors import ConfigError
from socialhub.services.hub import Hub
from socialhub.services.links.redirects import LinkRedirects
from socialhub.services.ops.http_access import HttpAccess

if TYPE_CHECKING:
    from socialhub.mcp_server.http import McpHttpAuth

log = logging.getLogger(__name__)

#: Where the MCP server for agents answers (streamable HTTP).
MCP_PATH = "/mcp"

Provider = Callable[[], dict[str, Any]]


def create_daemon_app(config: LoadedConfig, health: Provider, metrics: Provider,
                      access: HttpAccess, prometheus: Callable[[], bytes] | None = None,
                      mcp: McpHttpAuth | None = None, hub: Hub | None = None,
                      links: LinkRedirects | None = None) -> Any:
    """The ASGI app: ``health()`` must return a dict with ``status`` ("ok" or not).

    With ``mcp``, the MCP server answers at ``/mcp`` for the callers ``mcp``
    authenticates (the app then needs its lifespan run: ``HttpServer(...,
    lifespan=True)``). With ``hub`` (and ``api.enabled``), the REST API answers
    ``/api/v1/…``, ``/openapi.json`` and ``/calendar.ics``.

    With ``links``, ``/l/<code>`` redirects to short links' targets and counts the
    clicks, for anyone, token or not (``daemon.links_http``).

    ``/metrics`` serves ``prometheus()`` (the Prometheus text format) when given,
    else the JSON of ``metrics()``, which ``/metrics.json`` always serves.

    With ``access.token`` set, a caller without it gets only ``{"status"}``
    from ``/healthz`` and a 401 everywhere else; bodies over
    ``access.max_body_bytes`` are a 413.
    """
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse, Response

    from socialhub.services.ops.http_guard import AUTHENTICATED, OPEN_PATHS, HttpGuard
    from socialhub.services.ops.prometheus import CONTENT_TYPE

    mcp_app = None
    if mcp is not None:
        from socialhub.mcp_server.http import create_mcp_http_app

        mcp_app = create_mcp_http_app(mcp, loopback=access.loopback)

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        if mcp_app is None:
            yield
            return
        async with mcp_app.lifespan():
            yield

    app = FastAPI(title="socialhub daemon", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    app.add_middleware(HttpGuard, token=access.token, max_body_bytes=access.max_body_bytes,
                       limit_key="daemon.http_max_body_bytes",
                       open_paths=OPEN_PATHS | ({MCP_PATH} if mcp_app else set()))
    if mcp_app is not None:
        from starlette.routing import Route

        # Before the search API's catch-all mount; any method (POST, GET, DELETE).
        app.router.routes.append(Route(MCP_PATH, endpoint=mcp_app))

    @app.get("/healthz")
    def healthz(request: Request) -> JSONResponse:
        data = health()
        code = 200 if data.get("status") == "ok" else 503
        if not request.scope.get("state", {}).get(AUTHENTICATED, True):
            data = {"status": data.get("status")}
        return JSONResponse(_plain(data), status_code=code)

    @app.get("/metrics.json")
    def metrics_json_route() -> JSONResponse:
        return JSONResponse(_plain(metrics()))

    @app.get("/metrics")
    def metrics_route() -> Response:
        if prometheus is None:
            return JSONResponse(_plain(metrics()))
        return Response(prometheus(), media_type=CONTENT_TYPE)

    try:
        from socialhub.services.search.api import create_app
    except ImportError:
        log.info("search API not installed; serving /healthz and /metrics only")
    else:
        try:
            search = (create_app(config, max_body_bytes=access.max_body_bytes,
                                 limit_key="daemon.http_max_body_bytes")
                      if access.token is None else
                      create_app(config, token=access.token,
                                 max_body_bytes=access.max_body_bytes,
                                 limit_key="daemon.http_max_body_bytes"))
            app.mount("/", search)
        except Exception as exc:  # the daemon must publish even if search is broken
            log.warning("search API not mounted: %s", exc)
    served: Any = app
    if links is not None:
        from socialhub.daemon.links_http import ShortLinkApp

        served = ShortLinkApp(app, links)
    if hub is None or not config.settings.api.enabled:
        return served
    from socialhub.api.app import create_api_app

    return _dispatch(create_api_app(hub, max_body_bytes=access.max_body_bytes), served)


def _dispatch(api: Any, rest: Any) -> Any:
    """One ASGI app: the REST API's paths go to ``api``, everything else to ``rest``."""
    from socialhub.api.app import OPENAPI_PATH, PREFIX
    from socialhub.api.routes_feed import FEED_PATH

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if path in (OPENAPI_PATH, FEED_PATH, PREFIX) or path.startswith(PREFIX + "/"):
            await api(scope, receive, send)
        else:
            await rest(scope, receive, send)
    return app


def _plain(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))


class HttpServer:
    """uvicorn in a thread; ``start()`` returns once the port is bound."""

    def __init__(self, app: Any, host: str, port: int, *, lifespan: bool = False,
                 tls_cert: str | None = None, tls_key: str | None = None) -> None:
        import uvicorn

        # The lifespan runs only for an app that needs it (the MCP server's sessions).
        # asyncio's own loop, named: uvicorn's default would pick uvloop, which is installed
        # for `search serve`, and this loop runs in a thread beside the daemon's own work.
        self.config = uvicorn.Config(app, host=host, port=port, log_config=None,
                                     access_log=False, lifespan="on" if lifespan else "off",
                                     ssl_certfile=tls_cert, ssl_keyfile=tls_key, loop="asyncio")
        self.scheme = "https" if tls_cert else "http"
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self.server.run, name="http", daemon=True)
        self.url: str | None = None

    def start(self, timeout_s: float = 15.0) -> str:
        """Serve; returns the URL.

        Raises:
            ConfigError: the port could not be bound (in use, or not permitted).
        """
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise ConfigError(f"the daemon's HTTP server could not listen on "
                                  f"{self.config.host}:{self.config.port}",
                                  hint="set daemon.http_port to a free port (0 picks one)")
            time.sleep(0.02)
        sock = self.server.servers[0].sockets[0]
        host, port = sock.getsockname()[:2]
        self.url = f"{self.scheme}://{host}:{port}"
        return self.url

    def stop(self) -> None:
        """Stop serving and wait briefly for the thread."""
        self.server.should_exit = True
        self.thread.join(timeout=5)
