"""Benchmark: the short-link redirect of a real daemon under a steady request rate.

    python bench/links.py --rate 2000 --seconds 30            # the issue's figure
    python bench/links.py --rate 500 --seconds 5              # a short run on a busy machine
    python bench/links.py --database-url pg --rate 2000 --seconds 30

One ``socialhub daemon run`` serves ``/l/<code>`` for ``--links`` short links, pinned to
one CPU with ``taskset`` when it exists ("one core's worth of daemon"). A load generator
in a separate process sends GET requests with a browser's user agent at a fixed rate
(open loop: each request has its planned instant, and its latency is counted from that
instant, so a slow server cannot hide by slowing the client) over ``--connections``
keep-alive connections. Then the daemon gets SIGTERM, and the clicks written to the
database are compared with the redirects answered: ``lost`` must be 0 (the daemon
counts in memory and flushes every second and on shutdown).

The last line is the result: ``requests=… p50_ms=… p99_ms=… lost=…``; the line before
gives the rate, duration, errors and database. Goal: p99 < 20 ms at 2,000 requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_common import Bench

BROWSER = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/131.0 Safari/537.36")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _seed(bench: Bench, n: int) -> list[str]:
    """``n`` short links of the installation's organization; their codes."""
    from socialhub.db.models import ShortLink

    codes = [secrets.token_urlsafe(6) for _ in range(n)]
    with bench.hub.transaction() as session:
        org = bench.hub.org_id(session)
        for i, code in enumerate(codes):
            session.add(ShortLink(org_id=org, code=code, url=f"https://shop.example/p/{i}",
                                  url_hash=f"{i:064d}", platform="sandbox",
                                  target=f"https://shop.example/p/{i}?utm_source=sandbox"))
    return codes


def _clicks(bench: Bench) -> int:
    from sqlalchemy import func, select

    from socialhub.db.models import LinkClickDaily

    with bench.hub.transaction() as session:
        return int(session.scalar(select(func.coalesce(func.sum(LinkClickDaily.count), 0)))
                   or 0)


# -- the load generator (runs in its own process) -------------------------------------------
async def _load(host: str, port: int, codes: list[str], rate: float, seconds: float,
                connections: int) -> dict[str, Any]:
    total = int(rate * seconds)
    queue: asyncio.Queue[tuple[float, str] | None] = asyncio.Queue()
    latencies: list[float] = []
    statuses: dict[str, int] = {}

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        while True:
            item = await queue.get()
            if item is None:
                writer.close()
                return
            planned, code = item
            writer.write(f"GET /l/{code} HTTP/1.1\r\nHost: {host}\r\n"
                         f"User-Agent: {BROWSER}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            status = head.split(b" ", 2)[1].decode()
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - planned)
            statuses[status] = statuses.get(status, 0) + 1

    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    start = time.perf_counter() + 0.2
    for i in range(total):
        planned = start + i / rate
        delay = planned - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((planned, codes[i % len(codes)]))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {"sent": total, "statuses": statuses, "elapsed": elapsed,
            "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else None,
            "p99_ms": (1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
                       if latencies else None),
            "max_ms": 1000 * latencies[-1] if latencies else None}


def _client_main(argv: list[str]) -> None:
    args = json.loads(argv[0])
    result = asyncio.run(_load(args["host"], args["port"], args["codes"], args["rate"],
                               args["seconds"], args["connections"]))
    print(json.dumps(result))


# -- the benchmark ------------------------------------------------------------------------------
def main() -> None:
    """Run the benchmark and print its figures (the last line is the result)."""
    if len(sys.argv) > 2 and sys.argv[1] == "--client":
        _client_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=2000.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--links", type=int, default=100)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--database-url", default="sqlite",
                        help="sqlite (a file, the default), pg (a throwaway cluster) or a URL")
    parser.add_argument("--no-pin", action="store_true",
                        help="do not pin the daemon to one CPU")
    args = parser.parse_args()
    port = _free_port()
    bench = Bench(args.database_url, extra_env={
        "SOCIALHUB_DAEMON_HTTP_PORT": str(port), "SOCIALHUB_LINKS_SHORTEN": "true",
        "SOCIALHUB_LINKS_SHORT_BASE_URL": f"http://127.0.0.1:{port}",
        "SOCIALHUB_INBOX_ENABLED": "false"})
    try:
        codes = _seed(bench, args.links)
        pin = [] if args.no_pin or not shutil.which("taskset") else ["taskset", "-c", "0"]
        log = (bench.home / "daemon.log").open("wb")
        daemon = subprocess.Popen([*pin, sys.executable, "-m", "socialhub", "daemon", "run"],
                                  env=bench.env, stdout=subprocess.DEVNULL, stderr=log)
        bench.daemons.append(daemon)
        bench.wait_ready(1)
        spec = json.dumps({"host": "127.0.0.1", "port": port, "codes": codes,
                           "rate": args.rate, "seconds": args.seconds,
                           "connections": args.connections})
        client = subprocess.run([sys.executable, __file__, "--client", spec],
                                capture_output=True, text=True, check=True, env=bench.env)
        result = json.loads(client.stdout.strip().splitlines()[-1])
        before = _clicks(bench)
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(60)
        after = _clicks(bench)
        redirected = int(result["statuses"].get("302", 0))
        errors = result["sent"] - redirected
        achieved = result["sent"] / result["elapsed"] if result["elapsed"] else 0.0
        print(f"database={bench.database_url.split(':')[0]} rate={args.rate:g}/s "
              f"achieved={achieved:.0f}/s seconds={args.seconds:g} pinned={bool(pin)} "
              f"errors={errors} max_ms={result['max_ms']:.1f} "
              f"clicks_before_sigterm={before} clicks_after={after} daemon_exit={code}",
              file=sys.stderr)
        print(f"requests={result['sent']} p50_ms={result['p50_ms']:.2f} "
              f"p99_ms={result['p99_ms']:.2f} lost={redirected - after}")
    finally:
        bench.close()


if __name__ == "__main__":
    main()
