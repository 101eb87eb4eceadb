"""The daemon's loopback HTTP server: ``/healthz``, ``/metrics`` and the search API.

uvicorn runs in a background thread (it installs no signal handlers off the
main thread, so SIGTERM stays ours). The local search API from
``socialhub.search.api`` is mounted when it is installed; the daemon's own
``/healthz`` and ``/metrics`` take precedence over its routes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from socialhub.config import LoadedConfig
from socialhub.errors import ConfigError

log = logging.getLogger(__name__)

Provider = Callable[[], dict[str, Any]]


def create_daemon_app(config: LoadedConfig, health: Provider, metrics: Provider) -> Any:
    """The ASGI app: ``health()`` must return a dict with ``status`` ("ok" or not)."""
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    app = FastAPI(title="socialhub daemon", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        data = health()
        return JSONResponse(_plain(data), status_code=200 if data.get("status") == "ok" else 503)

    @app.get("/metrics")
    def metrics_route() -> JSONResponse:
        return JSONResponse(_plain(metrics()))

    try:
        from socialhub.search.api import create_app
    except ImportError:
        log.info("search API not installed; serving /healthz and /metrics only")
    else:
        try:
            app.mount("/", create_app(config))
        except Exception as exc:  # the daemon must publish even if search is broken
            log.warning("search API not mounted: %s", exc)
    return app


def _plain(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))


class HttpServer:
    """uvicorn in a thread; ``start()`` returns once the port is bound."""

    def __init__(self, app: Any, host: str, port: int) -> None:
        import uvicorn

        self.config = uvicorn.Config(app, host=host, port=port, log_config=None,
                                     access_log=False, lifespan="off")
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
        self.url = f"http://{host}:{port}"
        return self.url

    def stop(self) -> None:
        """Stop serving and wait briefly for the thread."""
        self.server.should_exit = True
        self.thread.join(timeout=5)
