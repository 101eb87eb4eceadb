"""The short-link redirect of a real daemon process: people counted, bots not, and every
counted click written when the daemon is stopped with SIGTERM right after the requests
(on PostgreSQL as a ``socialhub_daemon`` login under row-level security)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from socialhub.db.models import LinkClickDaily, ShortLink
from socialhub.services.hub import Hub
from tests.daemon.test_daemon import (  # noqa: F401 - fixtures used by name
    DaemonProcess,
    daemon_login,
    spawn,
    spawn_ready,
)

pytestmark = pytest.mark.slow

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Gecko/20100101 Firefox/133.0"


def _link(hub: Hub) -> str:
    with hub.transaction() as session:
        session.add(ShortLink(org_id=hub.org_id(session), code="Zz9_-aB1",
                              url="https://shop.example/", url_hash="1" * 64,
                              target="https://shop.example/?utm_source=x", platform="x"))
    return "Zz9_-aB1"


def _clicks(hub: Hub) -> int:
    with hub.transaction() as session:
        return int(session.scalar(select(func.coalesce(func.sum(LinkClickDaily.count), 0)))
                   or 0)


def _run(hub: Hub, daemon: DaemonProcess) -> None:
    from tests.conftest import run_cli

    code = _link(hub)
    status = run_cli("daemon", "status", "--json").json()
    assert isinstance(status, dict)
    base = status["daemons"][0]["http"]
    with httpx.Client(base_url=base, timeout=10) as client:
        for _ in range(40):
            hop = client.get(f"/l/{code}", headers={"user-agent": BROWSER})
            assert hop.status_code == 302
            assert hop.headers["location"] == "https://shop.example/?utm_source=x"
        for agent in ("Twitterbot/1.0", "facebookexternalhit/1.1", "python-httpx/0.28"):
            assert client.get(f"/l/{code}", headers={"user-agent": agent}).status_code == 302
        assert client.get("/l/unknown1", headers={"user-agent": BROWSER}).status_code == 404
    assert daemon.stop() == 0  # at once: the last clicks are still in memory
    assert _clicks(hub) == 40, daemon.logs()[-2000:]
    assert "Traceback" not in daemon.logs()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_click_a_person_made_is_written_when_the_daemon_stops(
        hub: Hub, spawn: Callable[..., DaemonProcess], tmp_path: Path) -> None:  # noqa: F811
    _run(hub, spawn_ready(spawn, tmp_path, "links"))


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_daemon_login_under_row_level_security_counts_clicks(
        hub: Hub, spawn: Callable[..., DaemonProcess], tmp_path: Path,  # noqa: F811
        daemon_login: str) -> None:  # noqa: F811
    _run(hub, spawn_ready(spawn, tmp_path, "links-rls", SOCIALHUB_DATABASE_URL=daemon_login))
