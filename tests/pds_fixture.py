"""A session-scoped fixture running the reference AT Protocol PDS (``@atproto/dev-env``).

``pds`` starts ``tests/pds/start-pds.mjs`` under Node.js >= 22 (installed by
``scripts/setup-pds.sh`` into ``.tools/node22``), waits for the one JSON line
that says where it listens, and creates accounts over XRPC
(``com.atproto.server.createAccount``). It stops the PDS by closing its stdin;
the script then deletes its temp dir. Its stderr is kept (last lines)
only to explain a failed start. Without Node 22 or the npm packages the
tests that use it SKIP LOUDLY, unless ``SOCIALHUB_REQUIRE_PDS=1`` (CI), which
turns the skip into a failure.

The root ``tests/conftest.py`` makes it visible to every test: name ``pds`` as an argument.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import shutil
import subprocess
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NoReturn

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
PDS_DIR = ROOT / "tests" / "pds"
START_SCRIPT = PDS_DIR / "start-pds.mjs"
START_TIMEOUT_S = 90.0
# Fixed by @atproto/dev-env (src/const.ts); a throwaway local server's, never real secrets.
DEV_ADMIN_PASSWORD = "admin-pass"
DEV_JWT_SECRET = "jwt-secret"
SETUP_HINT = "run scripts/setup-pds.sh"


@dataclass(frozen=True)
class PdsAccount:
    """An account created on the test PDS (the password is a test value)."""

    handle: str
    did: str
    password: str
    email: str


@dataclass
class Pds:
    """A running PDS: where it listens, how long it took to start, its accounts."""

    url: str
    info: dict[str, object]
    startup_s: float
    accounts: dict[str, PdsAccount] = field(default_factory=dict)
    admin_password: str = DEV_ADMIN_PASSWORD
    jwt_secret: str = DEV_JWT_SECRET
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def create_account(self, name: str | None = None) -> PdsAccount:
        """Create a fresh account ``<name>.test`` (a unique name when None) and return it."""
        name = name or f"user{next(self._counter)}"
        handle, password = f"{name}.test", f"pw-{name}-not-a-secret"
        response = httpx.post(f"{self.url}/xrpc/com.atproto.server.createAccount", json={
            "handle": handle, "email": f"{name}@example.invalid", "password": password},
            timeout=30)
        assert response.status_code == 200, f"createAccount {handle}: {response.text}"
        account = PdsAccount(handle, response.json()["did"], password, f"{name}@example.invalid")
        self.accounts[name] = account
        return account


def find_node() -> Path | None:
    """A Node.js >= 22 binary: $SOCIALHUB_PDS_NODE, then .tools/node22, then ``node`` on PATH."""
    candidates: list[Path] = []
    if os.environ.get("SOCIALHUB_PDS_NODE"):
        candidates.append(Path(os.environ["SOCIALHUB_PDS_NODE"]))
    tools = ROOT / ".tools" / "node22" / "node_modules"
    candidates += sorted(tools.glob("node-linux-*/bin/node"))
    on_path = shutil.which("node")
    if on_path:
        candidates.append(Path(on_path))
    for node in candidates:
        try:
            out = subprocess.run([str(node), "-p", "process.versions.node"], capture_output=True,
                                 text=True, timeout=20, check=True).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        if int(out.strip().split(".")[0]) >= 22:
            return node
    return None


def _unavailable(reason: str) -> NoReturn:
    message = f"REFERENCE PDS NOT AVAILABLE: {reason}; Bluesky PDS tests NOT RUN ({SETUP_HINT})"
    if os.environ.get("SOCIALHUB_REQUIRE_PDS") == "1":
        pytest.fail(message + " (SOCIALHUB_REQUIRE_PDS=1)")
    warnings.warn(message, pytest.PytestWarning, stacklevel=2)
    pytest.skip(message)


def _drain(stream: IO[str], sink: Callable[[str], None]) -> None:
    # Keep reading so a chatty PDS never blocks on a full pipe.
    for line in stream:
        sink(line)
    sink("")


def start_pds() -> tuple[subprocess.Popen[str], Pds]:
    """Start the PDS process and wait for its JSON line; the process and a ``Pds``."""
    node = find_node()
    if node is None:
        _unavailable("no Node.js >= 22 found")
    if not (PDS_DIR / "node_modules" / "@atproto" / "dev-env").is_dir():
        _unavailable("tests/pds/node_modules is missing")
    started = time.monotonic()
    proc = subprocess.Popen([str(node), str(START_SCRIPT)], cwd=PDS_DIR, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first: queue.Queue[str] = queue.Queue()
    errors: deque[str] = deque(maxlen=40)
    threading.Thread(target=_drain, args=(proc.stdout, first.put), daemon=True).start()
    threading.Thread(target=_drain, args=(proc.stderr, errors.append), daemon=True).start()
    try:
        line = first.get(timeout=START_TIMEOUT_S)
    except queue.Empty:
        line = ""
    if not line:
        stop_pds(proc)
        tail = "".join(errors)[-2000:]
        pytest.fail(f"the PDS did not start (exit code {proc.returncode}; it has "
                    f"{START_TIMEOUT_S:.0f} s to answer):\n{tail}")
    info = json.loads(line)
    return proc, Pds(url=str(info["url"]), info=info, startup_s=time.monotonic() - started)


def stop_pds(proc: subprocess.Popen[str]) -> None:
    """Close the PDS's stdin (it shuts down and cleans up); terminate it if it lingers."""
    if proc.stdin is not None:
        proc.stdin.close()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def pds() -> Iterator[Pds]:
    """A running reference PDS with two accounts, ``alice`` and ``bob``, for the session."""
    proc, server = start_pds()
    try:
        print(f"\nreference PDS up at {server.url} in {server.startup_s:.1f} s "
              f"(node {server.info.get('node')})")
        server.create_account("alice")
        server.create_account("bob")
        yield server
    finally:
        stop_pds(proc)
