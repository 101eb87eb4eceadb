"""``socialhub search``: serve the docs and music libraries over local HTTP."""

from __future__ import annotations

from typing import Annotated

import typer

from socialhub.cli.common import get_config, info

app = typer.Typer(help="Serve the local search API (docs and music) over HTTP.",
                  no_args_is_help=True)

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(
        "--host", help="Address to bind (default: search.host, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(
        "--port", help="Port to bind (default: search.port, 8766).")] = None,
    token: Annotated[str | None, typer.Option(
        "--token", help="Require this bearer token (default: search.token). Prefer "
        "SOCIALHUB_SEARCH_TOKEN: options are visible to other users in ps.",
        show_default=False)] = None,
) -> None:
    """Run the search API in the foreground until interrupted.

    The daemon serves the same API; use this to run it alone. OpenAPI is at
    /openapi.json.

    Example: socialhub search serve --port 8766
    """
    import uvicorn
    from pydantic import SecretStr

    from socialhub.search.api import create_app

    config = get_config()
    settings = config.settings.search
    if token is not None:
        config = config.model_copy(update={"settings": config.settings.model_copy(update={
            "search": settings.model_copy(update={"token": SecretStr(token)})})})
    bind_host = host or settings.host
    bind_port = settings.port if port is None else port
    has_token = bool(config.settings.search.token and
                     config.settings.search.token.get_secret_value())
    if bind_host not in _LOOPBACK and not has_token:
        info(f"warning: serving on {bind_host} without a token; anyone who can reach "
             "this address can read and change your docs")
    info(f"search API on http://{bind_host}:{bind_port} (docs: {config.docs_path}, "
         f"music: {config.music_path})")
    uvicorn.run(create_app(config), host=bind_host, port=bind_port, log_level="warning",
                access_log=False)
