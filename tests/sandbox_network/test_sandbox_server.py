"""The sandbox service behaves like a social network, and misbehaves on demand."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialhub.errors import ValidationError
from socialhub.platforms.http import parse_reset
from socialhub.sandbox_network.server import SandboxServer
from socialhub.sandbox_network.world import World
from tests.conftest import run_cli


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(clock: FakeClock) -> Iterator[SandboxServer]:
    sandbox = SandboxServer(clock=clock, seed=7, token_ttl=600).start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def api(server: SandboxServer) -> Iterator[httpx.Client]:
    grant = httpx.post(f"{server.url}/oauth/token", data={"handle": "shop"}).json()
    with httpx.Client(base_url=server.url, headers={
            "Authorization": f"Bearer {grant['access_token']}"}) as client:
        yield client


def _received(server: SandboxServer) -> list[dict[str, object]]:
    return list(httpx.get(f"{server.url}/_sandbox/posts").json()["posts"])


def test_a_repeated_idempotency_key_returns_the_original_post(
        server: SandboxServer, api: httpx.Client) -> None:
    first = api.post("/api/posts", json={"text": "hi"}, headers={"Idempotency-Key": "k1"})
    again = api.post("/api/posts", json={"text": "hi"}, headers={"Idempotency-Key": "k1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert [p["idempotency_key"] for p in _received(server)] == ["k1"]


def test_concurrent_sends_with_one_key_make_one_post(server: SandboxServer,
                                                     api: httpx.Client) -> None:
    server.configure(latency_ms=20)
    ids: list[str] = []

    def send() -> None:
        response = api.post("/api/posts", json={"text": "race"},
                            headers={"Idempotency-Key": "same"})
        ids.append(response.json()["id"])

    threads = [threading.Thread(target=send) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 1
    assert len(_received(server)) == 1


def test_posts_can_be_read_looked_up_by_key_and_deleted(api: httpx.Client) -> None:
    post = api.post("/api/posts", json={"text": "x"}, headers={"Idempotency-Key": "k"}).json()
    assert api.get(f"/api/posts/{post['id']}").json()["text"] == "x"
    found = api.get("/api/posts", params={"idempotency_key": "k"}).json()["posts"]
    assert [p["id"] for p in found] == [post["id"]]
    assert api.delete(f"/api/posts/{post['id']}").status_code == 204
    assert api.get(f"/api/posts/{post['id']}").status_code == 404
    assert api.get("/api/posts", params={"idempotency_key": "k"}).json()["posts"] == []


def test_invalid_posts_are_refused_with_a_reason(api: httpx.Client) -> None:
    too_long = api.post("/api/posts", json={"text": "a" * 501})
    assert too_long.status_code == 422
    assert "500" in too_long.json()["message"]
    orphan = api.post("/api/posts", json={"text": "hi", "reply_to": "999"})
    assert orphan.status_code == 422
    assert api.post("/api/posts", json={"text": "  "}).status_code == 422


def test_rate_limit_answers_429_with_reset_headers(server: SandboxServer, clock: FakeClock,
                                                   api: httpx.Client) -> None:
    clock.now = 1_800_000_010.0  # 10 s into a 60 s window
    server.configure(rate_limit="3/60s")
    statuses = [api.get("/api/me").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = api.get("/api/me")
    assert limited.headers["Retry-After"] == "50"
    assert limited.headers["RateLimit-Remaining"] == "0"
    now = datetime.fromtimestamp(clock.now, tz=UTC)
    assert parse_reset(limited.headers, now=now) == datetime.fromtimestamp(1_800_000_060, tz=UTC)
    clock.now += 50  # the next window
    assert api.get("/api/me").status_code == 200


def test_timeout_rate_stores_the_post_then_never_answers(server: SandboxServer,
                                                         api: httpx.Client) -> None:
    server.configure(timeout_rate=1.0, hang_s=10)
    with pytest.raises(httpx.ReadTimeout):
        api.post("/api/posts", json={"text": "lost?"}, headers={"Idempotency-Key": "t1"},
                 timeout=0.3)
    server.configure(timeout_rate=0.0)
    found = api.get("/api/posts", params={"idempotency_key": "t1"}).json()["posts"]
    assert [p["text"] for p in found] == ["lost?"]
    assert httpx.get(f"{server.url}/_sandbox/posts").json()["stats"]["injected_timeouts"] == 1


def test_fail_rate_answers_500_before_storing_anything(server: SandboxServer,
                                                       api: httpx.Client) -> None:
    server.configure(fail_rate=1.0)
    assert api.post("/api/posts", json={"text": "x"}).status_code == 500
    assert _received(server) == []


def test_failures_are_reproducible_for_the_same_seed() -> None:
    def pattern(seed: int) -> list[int]:
        with SandboxServer(seed=seed) as sandbox:
            token = httpx.post(f"{sandbox.url}/oauth/token", data={}).json()["access_token"]
            sandbox.configure(fail_rate=0.5, seed=seed)
            with httpx.Client(base_url=sandbox.url,
                              headers={"Authorization": f"Bearer {token}"}) as client:
                return [client.get("/api/me").status_code for _ in range(20)]

    assert pattern(3) == pattern(3)
    assert set(pattern(3)) == {200, 500}


def test_metrics_grow_with_age_and_are_deterministic(clock: FakeClock) -> None:
    def series(seed: int) -> list[dict[str, int]]:
        clock.now = 1_800_000_000.0
        with SandboxServer(clock=clock, seed=seed, token_ttl=10**6) as sandbox:
            token = httpx.post(f"{sandbox.url}/oauth/token", data={}).json()["access_token"]
            with httpx.Client(base_url=sandbox.url,
                              headers={"Authorization": f"Bearer {token}"}) as client:
                post_id = client.post("/api/posts", json={"text": "m"}).json()["id"]
                result = []
                for _ in range(4):
                    clock.now += 3600
                    data = client.get(f"/api/posts/{post_id}/metrics").json()
                    result.append({k: data[k] for k in ("impressions", "likes", "reposts")})
                return result

    first = series(11)
    assert first == series(11)
    impressions = [m["impressions"] for m in first]
    assert impressions == sorted(impressions) and impressions[0] > 0
    assert impressions[-1] > impressions[0]
    assert first[-1]["likes"] > 0


def test_access_tokens_expire_and_refresh_rotates(server: SandboxServer,
                                                  clock: FakeClock) -> None:
    grant = httpx.post(f"{server.url}/oauth/token", data={"handle": "a"}).json()
    headers = {"Authorization": f"Bearer {grant['access_token']}"}
    assert httpx.get(f"{server.url}/api/me", headers=headers).status_code == 200
    clock.now += 601
    expired = httpx.get(f"{server.url}/api/me", headers=headers)
    assert (expired.status_code, expired.json()["error"]) == (401, "token_expired")
    fresh = httpx.post(f"{server.url}/oauth/token", data={
        "grant_type": "refresh_token", "refresh_token": grant["refresh_token"]}).json()
    assert fresh["refresh_token"] != grant["refresh_token"]
    assert fresh["account"] == grant["account"]
    assert httpx.get(f"{server.url}/api/me", headers={
        "Authorization": f"Bearer {fresh['access_token']}"}).json()["handle"] == "a"
    reused = httpx.post(f"{server.url}/oauth/token", data={
        "grant_type": "refresh_token", "refresh_token": grant["refresh_token"]})
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")


def test_revoking_a_token_locks_the_account_out(server: SandboxServer,
                                                api: httpx.Client) -> None:
    token = api.headers["Authorization"][7:]
    httpx.post(f"{server.url}/oauth/revoke", data={"token": token})
    denied = api.get("/api/me")
    assert (denied.status_code, denied.json()["error"]) == (401, "invalid_token")


def test_config_changes_at_runtime_and_rejects_nonsense(server: SandboxServer) -> None:
    url = f"{server.url}/_sandbox/config"
    assert httpx.post(url, json={"latency_ms": 5, "rate_limit": "10/s"}).json()["latency_ms"] == 5
    assert server.options.rate_limit == "10/s"
    assert httpx.post(url, json={"fail_rate": 2}).status_code == 400
    assert httpx.post(url, json={"rate_limit": "lots"}).status_code == 400
    assert httpx.post(url, json={"colour": "red"}).status_code == 400


def test_reset_forgets_posts_but_keeps_accounts(server: SandboxServer,
                                                api: httpx.Client) -> None:
    api.post("/api/posts", json={"text": "x"}, headers={"Idempotency-Key": "r"})
    httpx.post(f"{server.url}/_sandbox/reset", json={})
    assert _received(server) == []
    assert api.get("/api/me").status_code == 200
    assert api.post("/api/posts", json={"text": "x"},
                    headers={"Idempotency-Key": "r"}).status_code == 201


def test_sustains_hundreds_of_requests_per_second_with_latency() -> None:
    with SandboxServer(latency_ms=50) as sandbox:
        token = httpx.post(f"{sandbox.url}/oauth/token", data={}).json()["access_token"]
        total, workers = 600, 40

        def work(offset: int) -> None:
            with httpx.Client(base_url=sandbox.url,
                              headers={"Authorization": f"Bearer {token}"}) as client:
                for i in range(offset, total, workers):
                    client.post("/api/posts", json={"text": f"p{i}"},
                                headers={"Idempotency-Key": f"k{i}"}).raise_for_status()

        started = time.monotonic()
        threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        assert len(_received(sandbox)) == total
    # One at a time this would be 20/s; the bound is loose because client and
    # server share this process (and the GIL) on a possibly busy CI machine.
    assert total / elapsed > 100, f"{total / elapsed:.0f} requests/s"


def test_sandbox_serve_runs_in_the_foreground_and_prints_its_url(
        tmp_path: Path, cli: Callable[..., object]) -> None:
    env = {**os.environ, "SOCIALHUB_HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "socialhub", "sandbox", "serve", "--port", "0", "--seed", "3",
         "--latency-ms", "1"], stderr=subprocess.PIPE, text=True, env=env,
        cwd=Path(__file__).resolve().parents[2])
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert line.startswith("sandbox listening on http://127.0.0.1:"), line
        url = line.split()[3]
        assert httpx.get(f"{url}/_sandbox/health").json() == {"ok": True}
        assert httpx.get(f"{url}/_sandbox/config").json()["seed"] == 3
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


def test_sandbox_serve_refuses_a_bad_rate_limit(cli: Callable[..., object]) -> None:
    result = cli("sandbox", "serve", "--port", "0", "--rate-limit", "often")
    assert result.exit_code == 4  # type: ignore[attr-defined]
    assert "N/window" in result.stderr  # type: ignore[attr-defined]


@given(keys=st.lists(st.sampled_from(["a", "b", "c", "d", None]), max_size=30))
def test_posts_made_equal_distinct_keys_plus_keyless_sends(keys: list[str | None]) -> None:
    world = World()
    world.grant({"handle": "h"})
    account = world.accounts[1]
    ids: dict[str, str] = {}
    for key in keys:
        status, post = world.create_post(account, {"text": "t"}, key)
        assert status in (200, 201) and post is not None
        if key is not None:
            assert ids.setdefault(key, post["id"]) == post["id"]
    assert len(world.posts) == len({k for k in keys if k}) + keys.count(None)


@given(seconds=st.integers(min_value=0, max_value=10**6))
def test_any_retry_after_delay_is_read_back_exactly(seconds: int) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_reset({"Retry-After": str(seconds)}, now=now) == now + timedelta(
        seconds=seconds)


def test_posts_reach_more_people_at_busy_hours_and_midweek() -> None:
    from datetime import UTC, datetime

    from socialhub.sandbox_network.world import engagement

    def at(day: int, hour: int) -> float:
        return datetime(2027, 3, day, hour, tzinfo=UTC).timestamp()  # 2027-03-03 is a Wednesday

    day = 86_400.0
    wednesday_evening = sum(engagement(1, i, at(3, 19), day)["impressions"] for i in range(50))
    wednesday_night = sum(engagement(1, i, at(3, 3), day)["impressions"] for i in range(50))
    sunday_evening = sum(engagement(1, i, at(7, 19), day)["impressions"] for i in range(50))
    assert wednesday_evening > 5 * wednesday_night
    assert wednesday_evening > 1.5 * sunday_evening
    assert engagement(1, 7, at(3, 19), day) == engagement(1, 7, at(3, 19), day)


def test_speed_ages_posts_faster_for_their_metrics(clock: FakeClock) -> None:
    def impressions(speed: float, age_s: float) -> int:
        clock.now = 1_800_000_000.0
        with SandboxServer(clock=clock, speed=speed, token_ttl=10**6) as sandbox:
            token = httpx.post(f"{sandbox.url}/oauth/token", data={}).json()["access_token"]
            with httpx.Client(base_url=sandbox.url,
                              headers={"Authorization": f"Bearer {token}"}) as client:
                post_id = client.post("/api/posts", json={"text": "m"}).json()["id"]
                clock.now += age_s
                return int(client.get(f"/api/posts/{post_id}/metrics").json()["impressions"])

    # A day of audience in one second at --speed 86400, and tokens keep real time.
    assert impressions(86400, 1) == impressions(1, 86400) > impressions(1, 1)
    with pytest.raises(ValidationError, match="speed must be between 1 and"):
        SandboxServer(speed=0.5)
    refused = run_cli("sandbox", "serve", "--speed", "0")
    assert refused.exit_code != 0 and "--speed" in refused.stderr
