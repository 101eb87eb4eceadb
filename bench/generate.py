"""Benchmark: time to first variant and to all variants for 5 targets, offline and remote.

Runs the real service path (``services.ai.generation.generate_post``: database
read, provider, validation/repair, one write transaction) on a throwaway
SQLite home. "Remote" is the real ``anthropic`` SDK against the local
Messages-API server from the test suite, with configurable latency.

Goals (issue #5): offline all variants < 200 ms; remote first variant no later
than the provider's first streamed answer + 50 ms.

    .venv/bin/python bench/generate.py [--runs 7] [--latency-ms 300]
        [--first-token-ms 200] [--chunk-ms 5]

Last line: offline_first_ms=… offline_all_ms=… remote_first_ms=… remote_all_ms=…
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from socialhub.services.accounts.accounts import add_account
from socialhub.services.ai.generation import generate_post
from socialhub.services.hub import Hub
from socialhub.services.settings import load_config
from tests.fakes.anthropic_server import FakeAnthropic

TARGETS = ["x:@shop", "bluesky:@shop.example.com", "mastodon:@shop@social.example",
           "linkedin:@shop", "threads:@shop"]
IDEA = ("Our spring collection launches Monday at the Berlin Store. Handmade ceramics, small "
        "batches, and a new glaze we spent a year on. Come by on opening day for coffee and a "
        "first look at all forty pieces, each signed by the potter who made it; we will also "
        "run a short glazing demo every hour from ten until four.")
TEST_KEY = "dGVzdC1tYXN0ZXIta2V5LW5vdC1hLXNlY3JldC0wMDA="


def make_hub(home: Path, extra: dict[str, str]) -> Hub:
    env = {"SOCIALHUB_HOME": str(home), "SOCIALHUB_MASTER_KEY": TEST_KEY,
           "SOCIALHUB_SECURITY_USE_KEYRING": "false", **extra}
    hub = Hub(load_config(env=env))
    with hub.context("cli") as ctx:
        for ref in TARGETS:
            platform, handle = ref.split(":", 1)
            add_account(ctx, platform=platform, handle=handle)
    return hub


def one_run(hub: Hub, provider: str) -> tuple[float, float]:
    first: list[float] = []
    start = time.perf_counter()
    generate_post(hub, idea=IDEA, targets=TARGETS, provider=provider,
                  on_draft=lambda _d: first.append(time.perf_counter()) if not first else None)
    end = time.perf_counter()
    return (first[0] - start) * 1000, (end - start) * 1000


def median(values: list[float]) -> float:
    return round(statistics.median(values), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--latency-ms", type=float, default=300.0,
                        help="server delay before response headers")
    parser.add_argument("--first-token-ms", type=float, default=200.0,
                        help="server delay between headers and the first token")
    parser.add_argument("--chunk-ms", type=float, default=5.0,
                        help="server delay between streamed chunks")
    args = parser.parse_args()

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        hub = make_hub(Path(tmp) / "offline", {})
        one_run(hub, "offline")  # warm-up: imports, first queries
        runs = [one_run(hub, "offline") for _ in range(args.runs)]
        results["offline_first_ms"] = median([r[0] for r in runs])
        results["offline_all_ms"] = median([r[1] for r in runs])
        hub.dispose()

        with FakeAnthropic(latency=args.latency_ms / 1000,
                           first_token_delay=args.first_token_ms / 1000,
                           chunk_delay=args.chunk_ms / 1000) as fake:
            hub = make_hub(Path(tmp) / "remote", {
                "SOCIALHUB_AI_API_KEY": "test-key", "SOCIALHUB_AI_BASE_URL": fake.url,
                "SOCIALHUB_AI_MODEL": "claude-haiku-4-5"})
            one_run(hub, "anthropic")
            runs = []
            provider_first: list[float] = []
            for _ in range(args.runs):
                fake.first_line_at = None
                start = time.perf_counter()
                runs.append(one_run(hub, "anthropic"))
                assert fake.first_line_at is not None
                provider_first.append((fake.first_line_at - start) * 1000)
            hub.dispose()
        results["remote_first_ms"] = median([r[0] for r in runs])
        results["remote_all_ms"] = median([r[1] for r in runs])
        results["provider_first_line_ms"] = median(provider_first)

    lag = results["remote_first_ms"] - results["provider_first_line_ms"]
    print(f"5 targets, {args.runs} runs each (median); server latency {args.latency_ms:g} ms, "
          f"first token +{args.first_token_ms:g} ms, {args.chunk_ms:g} ms per chunk")
    print(f"offline: first variant {results['offline_first_ms']} ms, all variants stored "
          f"{results['offline_all_ms']} ms (goal < 200 ms: "
          f"{'met' if results['offline_all_ms'] < 200 else 'NOT met'})")
    print(f"remote: provider's first streamed line at {results['provider_first_line_ms']} ms; "
          f"first variant ready {results['remote_first_ms']} ms (+{lag:.1f} ms, goal <= +50 ms: "
          f"{'met' if lag <= 50 else 'NOT met'}); all stored {results['remote_all_ms']} ms")
    print(" ".join(f"{k}={results[k]}" for k in (
        "offline_first_ms", "offline_all_ms", "remote_first_ms", "remote_all_ms")))


if __name__ == "__main__":
    main()
