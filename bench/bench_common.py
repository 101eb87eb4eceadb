"""Shared set-up for the publishing benchmarks: a throwaway home, a database, the sandbox,
many deliveries inserted in bulk, and real ``socialhub daemon run`` processes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_KEY = "YmVuY2gtbWFzdGVyLWtleS1ub3QtYS1zZWNyZXQtMDA="


class Bench:
    """Everything one benchmark run owns; ``close()`` removes it."""

    def __init__(self, database_url: str | None, *, extra_env: dict[str, str]) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="socialhub-bench-"))
        self.cluster: Any = None
        if database_url in (None, "", "sqlite"):
            url = f"sqlite:///{self.home / 'bench.sqlite'}"
        elif database_url == "pg":
            from tests.pgcluster import PostgresCluster, find_pg_bin

            bin_dir = find_pg_bin()
            if bin_dir is None:
                raise SystemExit("PostgreSQL binaries not found (needed for --database-url pg)")
            self.cluster = PostgresCluster(bin_dir)
            self.cluster.start()
            url = self.cluster.url()
        else:
            url = database_url
        self.database_url = url
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALHUB_")}
        self.env.update({
            "SOCIALHUB_HOME": str(self.home), "SOCIALHUB_MASTER_KEY": BENCH_KEY,
            "SOCIALHUB_SECURITY_USE_KEYRING": "false", "SOCIALHUB_DATABASE_URL": url,
            "SOCIALHUB_DAEMON_HTTP_PORT": "0", "SOCIALHUB_LOGGING_LEVEL": "WARNING",
            "SOCIALHUB_LOGGING_FORMAT": "json", "SOCIALHUB_DAEMON_METRICS_ENABLED": "false",
            **extra_env})
        os.environ.update(self.env)
        from socialhub.services.hub import Hub
        from socialhub.services.settings import load_config

        self.hub = Hub(load_config())
        self.daemons: list[subprocess.Popen[bytes]] = []

    def connect_accounts(self, sandbox_url: str, count: int) -> list[int]:
        """``count`` sandbox accounts with stored tokens."""
        from socialhub.platforms.sandbox.adapter import connect
        from socialhub.security.keys import load_master_key
        from socialhub.services.accounts import credentials
        from socialhub.services.accounts.accounts import add_account

        key = load_master_key(self.hub.config)
        ids = []
        with self.hub.context("cli") as ctx:
            session = ctx.session
            for i in range(count):
                external_id, tokens = connect(sandbox_url, f"bench{i}")
                account = add_account(ctx, platform="sandbox", handle=f"bench{i}",
                                      external_id=external_id, base_url=sandbox_url)
                credentials.store_tokens(session, account, credentials.Tokens(
                    access_token=tokens.access_token, refresh_token=tokens.refresh_token,
                    expires_at=tokens.expires_at), key)
                ids.append(account.id)
        return ids

    def insert_deliveries(self, accounts: list[int], n: int, due: datetime,
                          spread_s: float = 0.0) -> None:
        """N scheduled posts, one variant and delivery each, inserted in bulk."""
        from sqlalchemy import insert, select

        from socialhub.db.models import Delivery, Post, Variant

        batch = 1000
        with self.hub.transaction() as session:
            org = self.hub.org_id(session)
        for start in range(0, n, batch):
            with self.hub.transaction() as session:
                count = min(batch, n - start)
                session.execute(insert(Post), [
                    {"org_id": org, "name": f"bench-{i}", "body": f"bench post {i}",
                     "status": "scheduled", "tags": [], "paid": False}
                    for i in range(start, start + count)])
                posts = dict(session.execute(select(Post.name, Post.id).where(
                    Post.name.in_([f"bench-{i}" for i in range(start, start + count)]))).all())
                rows = []
                for i in range(start, start + count):
                    at = due + timedelta(seconds=spread_s * i / max(1, n))
                    rows.append({"post_id": posts[f"bench-{i}"],
                                 "account_id": accounts[i % len(accounts)],
                                 "text": f"bench post {i}", "thread": [], "media": [],
                                 "options": {}, "scheduled_at": at,
                                 "local_time": at.strftime("%Y-%m-%dT%H:%M:%S"),
                                 "timezone": "UTC"})
                session.execute(insert(Variant), rows)
                variants = session.execute(select(Variant.id, Variant.account_id,
                                                  Variant.scheduled_at).where(
                    Variant.post_id.in_(list(posts.values())))).all()
                session.execute(insert(Delivery), [
                    {"variant_id": v.id, "account_id": v.account_id, "due_at": v.scheduled_at,
                     "next_attempt_at": v.scheduled_at, "status": "scheduled", "attempts": 0,
                     "idempotency_key": f"sh-{uuid.uuid4().hex}", "thread_progress": []}
                    for v in variants])

    def start_daemon(self, name: str) -> subprocess.Popen[bytes]:
        """One ``socialhub daemon run`` with its stderr in the bench folder."""
        log = (self.home / f"{name}.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-m", "socialhub", "daemon", "run"],
                                env=self.env, stdout=subprocess.DEVNULL, stderr=log)
        self.daemons.append(proc)
        return proc

    def wait_ready(self, count: int, timeout: float = 60.0) -> None:
        """Wait until ``count`` daemons have written their first heartbeat (they are ready)."""
        from sqlalchemy import func, select

        from socialhub.db.models import JobRun

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.hub.transaction() as session:
                ready = session.scalar(select(func.count()).select_from(JobRun).where(
                    JobRun.name.like("daemon:%"), JobRun.last_status == "running"))
            if (ready or 0) >= count:
                return
            if any(p.poll() is not None for p in self.daemons):
                break
            time.sleep(0.1)
        tails = "\n".join(p.read_text()[-1500:] for p in self.home.glob("*.log"))
        raise SystemExit("daemons did not become ready:\n" + tails)

    def progress(self) -> tuple[Counter[str], datetime | None]:
        """Delivery counts by status, and the latest published_at."""
        from sqlalchemy import func, select

        from socialhub.db.models import Delivery

        with self.hub.transaction() as session:
            counts = Counter(dict(session.execute(select(Delivery.status, func.count(
                Delivery.id)).group_by(Delivery.status)).all()))
            last = session.scalar(select(func.max(Delivery.published_at)))
        return counts, last

    def lateness(self) -> list[float]:
        """Seconds between due and published, for every published delivery, sorted."""
        from sqlalchemy import select

        from socialhub.db.models import Delivery

        with self.hub.transaction() as session:
            rows = session.execute(select(Delivery.due_at, Delivery.published_at).where(
                Delivery.status == "published")).all()
        return sorted((p - d).total_seconds() for d, p in rows if p is not None)

    def peak_rss_mb(self) -> list[float]:
        """Peak resident memory of each daemon still running (from /proc)."""
        out = []
        for proc in self.daemons:
            try:
                for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        out.append(round(int(line.split()[1]) / 1024, 1))
            except OSError:
                pass
        return out

    def database_cpu_s(self) -> float:
        """CPU seconds the PostgreSQL server has used so far (nan on SQLite, whose work is
        in the daemons' own processes)."""
        if self.cluster is None:
            return float("nan")
        pid = int((self.cluster.data / "postmaster.pid").read_text().split()[0])
        return tree_cpu_seconds(pid)

    def close(self) -> None:
        """Stop the daemons (SIGTERM), the database cluster, and remove the folder."""
        for proc in self.daemons:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.daemons:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.hub.dispose()
        if self.cluster is not None:
            self.cluster.stop()
        shutil.rmtree(self.home, ignore_errors=True)


class SandboxProcess:
    """``socialhub sandbox serve`` in its own process, so it never shares a daemon's (or
    the bench's) interpreter; ``url`` is read from its first line on stderr."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "socialhub", "sandbox", "serve", "--port", "0", *args],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert self.proc.stderr is not None
        line = self.proc.stderr.readline().decode()
        if " on http" not in line:
            self.proc.kill()
            raise SystemExit(f"the sandbox did not start: {line}")
        self.url = line.split(" on ", 1)[1].split()[0]
        # Drain stderr from here on so a chatty sandbox never blocks on a full pipe.
        import threading

        threading.Thread(target=self.proc.stderr.read, daemon=True).start()

    @property
    def pid(self) -> int:
        """The sandbox's process id."""
        return self.proc.pid

    def configure(self, **changes: Any) -> None:
        """Change misbehaviour at runtime (``POST /_sandbox/config``)."""
        import httpx

        httpx.post(f"{self.url}/_sandbox/config", json=changes, timeout=30).raise_for_status()

    def stats(self) -> dict[str, Any]:
        """The sandbox's own counters (``/_sandbox/posts``)."""
        import httpx

        return dict(httpx.get(f"{self.url}/_sandbox/posts", timeout=60).json().get("stats", {}))

    def stop(self) -> None:
        """SIGTERM (it holds nothing worth flushing), then SIGKILL if it lingers."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds process ``pid`` has used so far (all threads), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    # After the ")" the fields are numbered from 3 (state); utime is 14, stime 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds of process ``root`` and its children: their own, plus what children
    that already exited used (``cutime``/``cstime``, counted once the parent reaped them).
    For PostgreSQL's postmaster: the server's CPU, all backends included."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == root:
            total += sum(int(f) for f in fields[11:15]) / tick  # utime stime cutime cstime
        elif ppid == root:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def load_average() -> str:
    """The 1/5/15-minute load average, as ``uptime`` prints it."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def sandbox_counts(url: str, n: int) -> tuple[int, int, int]:
    """(posts received, duplicates, lost) from the sandbox's own record."""
    import httpx

    posts = httpx.get(f"{url}/_sandbox/posts", timeout=60).json()["posts"]
    texts = Counter(p["text"] for p in posts)
    duplicates = sum(c - 1 for c in texts.values())
    lost = sum(1 for i in range(n) if f"bench post {i}" not in texts)
    return len(posts), duplicates, lost


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) of sorted ``values`` (nearest rank)."""
    if not values:
        return float("nan")
    index = min(len(values) - 1, max(0, round(q / 100 * len(values) + 0.5) - 1))
    return values[index]
