"""Scheduling announces itself, from the CLI, `apply` and the TUI alike: the `scheduled`
webhook fires after commit, once per post, and never for a rolled-back transaction."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLIResult


def test_scheduling_a_post_sends_the_scheduled_webhook(
        cli: Callable[..., CLIResult], receiver: tuple[str, list[dict[str, Any]]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    url, received = receiver
    monkeypatch.setenv("SOCIALHUB_DAEMON_WEBHOOKS", f"[{{url: '{url}', events: [scheduled]}}]")
    monkeypatch.setenv("SOCIALHUB_FAKE_NOW", "2026-11-22T12:00:00+00:00")
    assert cli("accounts", "add", "bluesky:@shop.example.com").exit_code == 0
    draft = cli("posts", "create", "-b", "draft only", "-t", "bluesky:@shop.example.com")
    assert draft.exit_code == 0 and received == []
    r = cli("posts", "create", "-b", "hello", "-t", "bluesky:@shop.example.com", "--at",
            "2026-12-01 09:00 Europe/Berlin", "--name", "hello")
    assert r.exit_code == 0, r.stderr
    assert len(received) == 1
    assert received[0]["event"] == "scheduled"
    assert "hello" in json.dumps(received[0]["body"])


MANIFEST = """apiVersion: socialhub/v1
kind: Account
metadata: {name: "bluesky:@shop.example.com"}
spec: {}
---
apiVersion: socialhub/v1
kind: Post
metadata: {name: launch}
spec:
  body: We ship on Monday.
  targets:
    - account: "bluesky:@shop.example.com"
      at: AT
---
apiVersion: socialhub/v1
kind: Post
metadata: {name: idea}
spec:
  body: Just a draft.
  targets:
    - account: "bluesky:@shop.example.com"
"""


@pytest.fixture
def hooked(receiver: tuple[str, list[dict[str, Any]]],
           monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    url, received = receiver
    monkeypatch.setenv("SOCIALHUB_DAEMON_WEBHOOKS", f"[{{url: '{url}', events: [scheduled]}}]")
    monkeypatch.setenv("SOCIALHUB_FAKE_NOW", "2026-11-22T12:00:00+00:00")
    return received


def test_apply_sends_the_scheduled_webhook_for_each_post_it_schedules(
        cli: Callable[..., CLIResult], hooked: list[dict[str, Any]], tmp_path: Path) -> None:
    manifest = tmp_path / "posts.yaml"
    manifest.write_text(MANIFEST.replace("AT", "2026-12-01 09:00 Europe/Berlin"))
    assert cli("apply", "-f", str(manifest)).exit_code == 0
    assert [(h["event"], h["body"]["data"]["name"]) for h in hooked] == [("scheduled", "launch")]
    assert cli("apply", "-f", str(manifest)).exit_code == 0  # unchanged: no news
    assert len(hooked) == 1
    manifest.write_text(MANIFEST.replace("AT", "2026-12-02 10:00 Europe/Berlin"))
    assert cli("apply", "-f", str(manifest)).exit_code == 0  # rescheduled
    assert len(hooked) == 2
    assert hooked[1]["body"]["data"]["targets"][0]["at"] == "2026-12-02T10:00 Europe/Berlin"


def test_the_tui_editor_announces_what_it_schedules_and_a_rollback_announces_nothing(
        cli: Callable[..., CLIResult], hooked: list[dict[str, Any]]) -> None:
    from socialhub.services.authoring.editor import Draft, save_draft
    from socialhub.services.clock import now_utc
    from socialhub.services.hub import Hub
    from socialhub.services.settings import load_config

    assert cli("accounts", "add", "bluesky:@shop.example.com").exit_code == 0
    hub = Hub(load_config())
    try:
        draft = Draft(body="From the editor", targets={"bluesky:@shop.example.com": ""},
                      name="edited", at="2026-12-01 09:00")
        with pytest.raises(RuntimeError), hub.context("tui") as ctx:
            save_draft(ctx, draft, existing=None, mode="schedule",
                       zone="Europe/Berlin", now=now_utc())
            raise RuntimeError("something later in the same transaction failed")
        assert hooked == []  # rolled back: nothing was scheduled, nobody is told
        with hub.context("tui") as ctx:  # as the TUI's editor saves (ctrl+t)
            save_draft(ctx, draft, existing=None, mode="schedule",
                       zone="Europe/Berlin", now=now_utc())
    finally:
        hub.dispose()
    assert [(h["event"], h["body"]["data"]["name"]) for h in hooked] == [("scheduled", "edited")]
