"""The daemon's inbox job as a real process against the sandbox: new items arrive without
anyone asking, and a reply queued from the CLI side goes out once, threaded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from socialhub.db.models import InboxItem, JobRun
from socialhub.sandbox_network.server import SandboxServer
from socialhub.services.inbox.reply import reply_to_item
from tests.daemon.test_daemon import DaemonProcess, sandbox, spawn, spawn_ready
from tests.publishing_kit import connect_account, delivery, make_hub, sandbox_posts, wait_for

__all__ = ["sandbox", "spawn"]  # the fixtures this module borrows
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_daemon_syncs_the_inbox_and_sends_a_reply_once(
        tmp_path: Path, sandbox: SandboxServer, spawn: Callable[..., DaemonProcess]) -> None:
    hub = make_hub()
    try:
        account = connect_account(hub, sandbox.url)
        httpx.post(f"{sandbox.url}/_sandbox/inbox", json={"count": 8, "seed": 1},
                   timeout=10).raise_for_status()
        daemon = spawn_ready(spawn, tmp_path, "inbox", SOCIALHUB_INBOX_POLL_INTERVAL_S="10")

        def stored() -> int:
            with hub.transaction() as session:
                return session.scalar(select(func.count(InboxItem.id))) or 0

        assert wait_for(lambda: stored() == 8, timeout=30), daemon.logs()

        def recorded() -> bool:  # the job's run is recorded once it returns
            with hub.transaction() as session:
                run = session.get(JobRun, "inbox_sync")
                return run is not None and run.last_status == "ok"

        assert wait_for(recorded, timeout=10), daemon.logs()
        with hub.transaction() as session:
            item = session.scalars(select(InboxItem).order_by(InboxItem.id)).first()
            assert item is not None and item.account_id == account
            item_id, remote_id = item.id, item.remote_id
        with hub.context("cli") as ctx:
            d_id = reply_to_item(ctx, item_id, "Thank you, noted!")["delivery_id"]
        with hub.context("cli") as ctx:
            assert reply_to_item(ctx, item_id, "Thank you, noted!")["delivery_id"] == d_id
        assert wait_for(lambda: delivery(hub, d_id).status == "published", timeout=30), \
            daemon.logs()
        assert daemon.stop() == 0
        sent = [p for p in sandbox_posts(sandbox.url) if p["text"] == "Thank you, noted!"]
        assert len(sent) == 1 and sent[0]["reply_to"] == remote_id
    finally:
        hub.dispose()
