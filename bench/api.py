"""Benchmark the REST API: many concurrent clients read the calendar and create drafts.

    python bench/api.py --clients 1000 --seconds 60 --database-url sqlite
    python bench/api.py --clients 1000 --seconds 60 --database-url pg
    python bench/api.py --clients 50 --seconds 10          # a smoke run

One real ``socialhub daemon run`` serves the API (the publishing jobs run too);
the clients are asyncio tasks in this process sharing one httpx pool with a
connection for each (one client object: building 1,000 of them costs more CPU
than the run), looping: four calendar reads (``GET /api/v1/calendar``), then one
new draft (``POST /api/v1/posts``), staggered so one request in five is a write.
Each draft carries an ``Idempotency-Key``, so a request whose kept-alive
connection the server closed as it was sent is retried safely, as a real client
would (counted as ``retries``; never a second post). ``--database-url pg`` starts
a throwaway PostgreSQL cluster from the machine's binaries. Prints requests/s,
p50/p99 latency per kind, and every error (the target is zero).
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_common import Bench, percentile


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _client(client: Any, n: int, stop_at: float,
                  latencies: dict[str, list[float]], errors: Counter[str]) -> None:
    import httpx

    i = 0
    while time.monotonic() < stop_at:
        i += 1
        kind = "create" if (n + i) % 5 == 0 else "calendar"  # one in five writes
        started = time.perf_counter()
        r = None
        for attempt in range(2):
            try:
                if kind == "create":
                    r = await client.post("/api/v1/posts", headers={
                        "Idempotency-Key": f"bench-{n}-{i}"}, json={
                        "body": f"bench draft {n}-{i}",
                        "targets": [{"account": "bluesky:@bench.example.com"}]})
                else:
                    r = await client.get("/api/v1/calendar", params={"view": "week"})
                break
            except (httpx.ReadError, httpx.RemoteProtocolError) as exc:
                if attempt == 1:
                    errors[f"{kind}: {type(exc).__name__}"] += 1
                else:
                    errors["retries (not errors)"] += 1
            except httpx.HTTPError as exc:
                errors[f"{kind}: {type(exc).__name__}"] += 1
                break
        if r is None:
            continue
        latencies[kind].append((time.perf_counter() - started) * 1000)
        if r.status_code >= 400:
            errors[f"{kind}: HTTP {r.status_code}"] += 1


async def _load(url: str, token: str, clients: int, seconds: float
                ) -> tuple[dict[str, list[float]], Counter[str], float]:
    import httpx

    latencies: dict[str, list[float]] = {"calendar": [], "create": []}
    errors: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"},
                                 timeout=300, limits=limits) as client:
        started = time.monotonic()
        stop_at = started + seconds
        await asyncio.gather(*(_client(client, n, stop_at, latencies, errors)
                               for n in range(clients)))
        return latencies, errors, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--database-url", default="sqlite",
                        help="sqlite (default), pg (throwaway cluster) or a SQLAlchemy URL")
    args = parser.parse_args()

    import httpx

    port = _free_port()
    bench = Bench(args.database_url, extra_env={
        "SOCIALHUB_DAEMON_HTTP_PORT": str(port),
        "SOCIALHUB_API_RATE_LIMIT_PER_MINUTE": "1000000"})
    try:
        from socialhub.services.access.tokens import create_token
        from socialhub.services.accounts.accounts import add_account

        with bench.hub.context("cli") as ctx:
            add_account(ctx, platform="bluesky", handle="bench.example.com")
            token = create_token(ctx, name="bench", scopes="posts:write").secret
        bench.start_daemon("daemon")
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code < 600:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the daemon did not answer within 60 s")
            time.sleep(0.2)
        latencies, errors, elapsed = asyncio.run(_load(url, token, args.clients,
                                                       args.seconds))
        total = sum(len(v) for v in latencies.values())
        retries = errors.pop("retries (not errors)", 0)
        print(f"database={bench.database_url.split(':')[0]} clients={args.clients} "
              f"seconds={elapsed:.1f} requests={total} requests_per_s={total / elapsed:.0f} "
              f"errors={sum(errors.values())} retries={retries}")
        for kind, values in latencies.items():
            values.sort()
            print(f"  {kind}: n={len(values)} p50_ms={percentile(values, 50):.0f} "
                  f"p99_ms={percentile(values, 99):.0f}")
        for what, count in errors.most_common(10):
            print(f"  error {what}: {count}")
        from socialhub.services.authoring.posts import count_posts

        with bench.hub.context("cli") as ctx:
            stored = count_posts(ctx)
        created = len(latencies["create"])
        print(f"  drafts answered={created} stored={stored} (a retried create is never "
              "stored twice)")
        if stored != created:
            errors["stored drafts differ from answered creates"] += 1
        return 1 if errors else 0
    finally:
        bench.close()


if __name__ == "__main__":
    raise SystemExit(main())
