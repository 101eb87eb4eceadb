"""``socialhub sandbox``: run the local sandbox social network."""

from __future__ import annotations

from typing import Annotated

import typer

from socialhub.errors import ValidationError

app = typer.Typer(help="Serve a local sandbox social network for demos and tests.",
                  no_args_is_help=True)


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to bind (loopback unless you mean it).")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 8780,
    latency_ms: Annotated[float, typer.Option(help="Delay added to every API answer.")] = 0.0,
    fail_rate: Annotated[float, typer.Option(
        help="Share of API requests answered with 500 before doing anything (0–1).")] = 0.0,
    timeout_rate: Annotated[float, typer.Option(
        help="Share of new posts stored and then never answered (0–1).")] = 0.0,
    hang_s: Annotated[float, typer.Option(
        help="How long a --timeout-rate request hangs before the connection drops.")] = 35.0,
    rate_limit: Annotated[str | None, typer.Option(
        help="Requests per account per window, e.g. 100/60s or 300/5m (429 beyond).")] = None,
    token_ttl: Annotated[float, typer.Option(help="Access-token lifetime in seconds.")]
    = 3600.0,
    speed: Annotated[float, typer.Option(
        min=1.0, max=1e7, metavar="FACTOR",
        help="Age posts this many times faster for their metrics (86400: a day of "
        "impressions every second), to see an experiment through in seconds.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Seed for injected failures and metrics.")] = 0,
    verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                          help="Log every request to stderr.")] = False,
) -> None:
    """Serve the sandbox network in the foreground until Ctrl-C.

    Its URL goes to stderr. Connect an account to it with platform "sandbox".

    Example:
        socialhub sandbox serve --port 8780 --latency-ms 50 --fail-rate 0.05

    Example (an experiment's impressions in seconds):
        socialhub sandbox serve --speed 604800
    """
    import sys

    from socialhub.services.ops.sandbox_network import SandboxServer

    def log(line: str) -> None:
        sys.stderr.write(line + "\n")

    try:
        server = SandboxServer(host, port, log=log if verbose else None, latency_ms=latency_ms,
                               fail_rate=fail_rate, timeout_rate=timeout_rate, hang_s=hang_s,
                               rate_limit=rate_limit, token_ttl=token_ttl, seed=seed,
                               speed=speed)
    except OSError as exc:
        raise ValidationError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sys.stderr.write(f"sandbox listening on {server.url} (Ctrl-C to stop)\n")
    sys.stderr.flush()
    server.serve_forever()
