"""``socialhub search``: serve the docs and music libraries over local HTTP."""

from __future__ import annotations

from typing import Annotated

import typer

from socialhub.cli.common import get_config, info

app = typer.Typer(help="Serve the local search API (docs and music) over HTTP.",
                  no_args_is_help=True)


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(
        "--host", help="Address to bind (default: search.host, 127.0.0.1). Any address "
        "but loopback needs a token.")] = None,
    port: Annotated[int | None, typer.Option(
        "--port", min=0, max=65535, help="Port to bind (default: search.port, 8766).")] = None,
    token: Annotated[str | None, typer.Option(
        "--token", help="Require this bearer token (default: search.token). Prefer "
        "SOCIALHUB_SEARCH_TOKEN: options are visible to other users in ps.",
        show_default=False)] = None,
) -> None:
    """Run the search API in the foreground until interrupted.

    The daemon serves the same API; use this to run it alone. OpenAPI is at
    /openapi.json. An address other than loopback needs a token.

    Example: socialhub search serve --port 8766
    """
    import uvicorn

    from socialhub.services.ops.http_access import search_access
    from socialhub.services.search.api import create_app

    config = get_config()
    access = search_access(config, host=host, port=port, token=token)
    info(f"search API on http://{access.host}:{access.port} (docs: {config.docs_path}, "
         f"music: {config.music_path}{'' if access.token is None else ', token required'})")
    uvicorn.run(create_app(config, token=access.token, max_body_bytes=access.max_body_bytes),
                host=access.host, port=access.port, log_level="warning", access_log=False)
