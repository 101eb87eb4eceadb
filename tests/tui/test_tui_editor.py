"""The draft editor driven by keys: live counters, thread preview, save, schedule, edit."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, SelectionList, Static, TextArea

from socialhub.tui.app import SocialhubApp
from socialhub.tui.screens.calendar_screen import CalendarScreen
from socialhub.tui.screens.editor_screen import EditorScreen
from socialhub.tui.widgets.target_tab import TargetTab
from tests.conftest import CLIResult
from tests.tui.tui_kit import notes, posts, screen_lines, settle

Run = Callable[..., CLIResult]
pytestmark = pytest.mark.anyio


async def open_editor(pilot: object, key: str = "n") -> EditorScreen:
    await settle(pilot)  # type: ignore[arg-type]
    await pilot.press(key)  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    screen = pilot.app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, EditorScreen)
    return screen


async def pick(pilot: object, editor: EditorScreen, *indexes: int) -> None:
    targets = editor.query_one("#targets", SelectionList)
    for i in indexes:
        targets.select(targets.get_option_at_index(i).value)
    await settle(pilot)  # type: ignore[arg-type]


def tab_text(tab: TargetTab, cls: str) -> str:
    return str(tab.query_one(f".{cls}", Static).render())


async def test_new_post_typed_by_keys_is_saved_as_a_draft_the_cli_sees(tui_cli: Run) -> None:
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        editor = await open_editor(pilot)
        await pilot.press(*"Hello world")
        await pilot.press("tab", "space")  # body → targets; pick the first account
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CalendarScreen)
        del editor
    new = [p for name, p in posts(tui_cli).items() if name != "launch"]
    assert len(new) == 1 and new[0]["status"] == "draft" and new[0]["body"] == "Hello world"
    assert [t["account"] for t in new[0]["targets"]] == ["bluesky:@shop.example.com"]


async def test_counter_follows_each_platforms_rule_and_preview_numbers_thread_parts(
        pilot: Pilot[None]) -> None:
    editor = await open_editor(pilot)
    await pick(pilot, editor, 0, 1)
    tabs = {t.ref: t for t in editor.query(TargetTab)}
    editor.query_one("#body", TextArea).text = "word " * 70
    await settle(pilot)
    bluesky, mastodon = tabs["bluesky:@shop.example.com"], tabs["mastodon:@me@social.example"]
    assert tab_text(bluesky, "counter").startswith("350/300 graphemes")
    assert "thread of 2" in tab_text(bluesky, "problems")
    assert "[1/2]" in tab_text(bluesky, "preview") and "[2/2]" in tab_text(bluesky, "preview")
    assert tab_text(mastodon, "counter").startswith("350/500 graphemes  ok")
    bluesky.query_one(TextArea).text = "short own text"
    await settle(pilot)
    assert tab_text(bluesky, "counter").startswith("14/300")
    assert tab_text(bluesky, "preview") == "short own text"


async def test_empty_text_shows_a_validation_message_and_save_is_refused(tui_cli: Run) -> None:
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        editor = await open_editor(pilot)
        await pick(pilot, editor, 0)
        (tab,) = editor.query(TargetTab)
        assert "empty text" in tab_text(tab, "problems")
        assert tab.query_one(".counter", Static).has_class("invalid")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, EditorScreen)
        assert any("needs a body" in n for n in notes(pilot))
    assert set(posts(tui_cli)) == {"launch"}


async def test_schedule_at_a_typed_time_in_the_users_zone(tui_cli: Run) -> None:
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        editor = await open_editor(pilot)
        await pick(pilot, editor, 1)
        editor.query_one("#body", TextArea).text = "Doors open"
        editor.query_one("#name", Input).value = "doors"
        editor.query_one("#at", Input).value = "2026-11-25 18:30"
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert isinstance(app.screen, CalendarScreen)
    (target,) = posts(tui_cli)["doors"]["targets"]
    assert target["at"] == "2026-11-25T18:30 Europe/Berlin"
    assert target["delivery"]["status"] == "scheduled"


async def test_next_free_slot_uses_the_accounts_weekly_slot(tui_cli: Run) -> None:
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        editor = await open_editor(pilot)
        await pick(pilot, editor, 0)
        editor.query_one("#body", TextArea).text = "Slot post"
        editor.query_one("#name", Input).value = "slotted"
        editor.query_one("#next-slot", Checkbox).value = True
        await pilot.press("ctrl+t")
        await settle(pilot)
    (target,) = posts(tui_cli)["slotted"]["targets"]
    assert target["at"] == "2026-11-24T10:00 Europe/Berlin"  # the next Tuesday 10:00


async def test_a_past_time_is_refused_and_the_editor_stays_open(tui_cli: Run) -> None:
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        editor = await open_editor(pilot)
        await pick(pilot, editor, 0)
        editor.query_one("#body", TextArea).text = "Too late"
        editor.query_one("#at", Input).value = "2026-11-01 09:00"
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert isinstance(app.screen, EditorScreen)
        assert any("in the past" in n for n in notes(pilot))
    assert set(posts(tui_cli)) == {"launch"}


async def test_e_edits_the_highlighted_post_and_enter_too(tui_cli: Run) -> None:
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("right", "right")
        editor = await open_editor(pilot, "e")
        assert editor.query_one("#body", TextArea).text == "We ship on Monday"
        assert editor.query_one("#at", Input).value == "2026-11-20 09:00 Europe/Berlin"
        assert len(editor.query(TargetTab)) == 2
        editor.query_one("#body", TextArea).text = "We ship on Tuesday"
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert isinstance(app.screen, CalendarScreen)
    launch = posts(tui_cli)["launch"]
    assert launch["body"] == "We ship on Tuesday" and launch["status"] == "scheduled"
    assert {t["text"] for t in launch["targets"]} == {"We ship on Tuesday"}
    assert {t["at"] for t in launch["targets"]} == {"2026-11-20T09:00 Europe/Berlin"}


async def test_escape_closes_the_editor_without_saving(tui_cli: Run) -> None:
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        editor = await open_editor(pilot)
        editor.query_one("#body", TextArea).text = "never saved"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CalendarScreen)
    assert set(posts(tui_cli)) == {"launch"}


async def test_ctrl_g_writes_each_targets_text_with_the_offline_engine(tui_cli: Run) -> None:
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        editor = await open_editor(pilot)
        await pick(pilot, editor, 0, 1)
        editor.query_one("#body", TextArea).text = ("Our spring collection launches on Monday "
                                                    "with recycled fabrics")
        await pilot.press("ctrl+g")
        await settle(pilot)
        texts = {t.ref: t.own_text for t in editor.query(TargetTab)}
        assert all(texts.values()), texts  # every tab got its own text
        assert all("spring" in t.lower() for t in texts.values())
        assert not editor.query_one("#ai-progress").display  # the progress is gone again
        assert any("variant(s) written by offline" in n for n in notes(pilot))
        for tab in editor.query(TargetTab):
            assert tab.valid
    assert set(posts(tui_cli)) == {"launch"}  # nothing stored until the person saves


async def test_rewrite_shorter_replaces_the_shown_tabs_text(pilot: Pilot[None]) -> None:
    editor = await open_editor(pilot)
    await pick(pilot, editor, 1)
    long = "We ship on Monday. The boxes are packed. Tell your friends. See you there."
    editor.query_one("#body", TextArea).text = long
    editor.query_one("#instruction", Input).value = "shorter"
    await pilot.press("ctrl+r")
    await settle(pilot)
    (tab,) = editor.query(TargetTab)
    assert tab.own_text and len(tab.own_text) < len(long)
    assert tab.own_text.startswith("We ship on Monday.")


async def test_ai_without_a_target_or_instruction_is_a_notification(tui_cli: Run) -> None:
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        editor = await open_editor(pilot)
        await pilot.press("ctrl+g")
        await pick(pilot, editor, 0)
        editor.query_one("#body", TextArea).text = "Something"
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(app.screen, EditorScreen)
    messages = " ".join(notes(pilot))
    assert "pick at least one target" in messages and "say how to rewrite" in messages


async def test_escape_cancels_a_running_generation_and_keeps_the_editor_open(
        tui_cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    from socialhub.ai.offline import OfflineProvider

    release = threading.Event()
    real = OfflineProvider.generate

    def slow(self: OfflineProvider, *args: Any, **kwargs: Any) -> Any:
        release.wait(10)  # stands in for a slow model streaming its answer
        return real(self, *args, **kwargs)

    monkeypatch.setattr(OfflineProvider, "generate", slow)
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        editor = await open_editor(pilot)
        await pick(pilot, editor, 0)
        editor.query_one("#body", TextArea).text = "An idea worth a post"
        await pilot.press("ctrl+g")
        await pilot.pause(0.1)
        assert editor.query_one("#ai-progress").display
        assert "Writing 1 variant" in str(editor.query_one("#ai-status", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, EditorScreen)  # the first escape only cancels
        assert not editor.query_one("#ai-progress").display
        release.set()
        await settle(pilot)
        (tab,) = editor.query(TargetTab)
        assert tab.own_text == ""  # the late answer was dropped
        assert "AI request cancelled" in notes(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CalendarScreen)


async def test_palette_searches_the_docs_and_inserts_a_quote_or_a_link(tui_cli: Run) -> None:
    assert tui_cli("docs", "add", "--title", "Shipping policy", "--body",
                   "Orders placed before noon ship the same day from our Berlin warehouse."
                   ).exit_code == 0
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        editor = await open_editor(pilot)
        await pilot.press(*"Good news:")
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press(*"warehouse")
        await pilot.pause(0.5)
        await settle(pilot)
        await pilot.press("down", "enter")  # the second hit: the quote
        await settle(pilot)
        body = editor.query_one("#body", TextArea).text
        assert body.startswith("Good news: “")
        assert "Berlin warehouse" in body and body.endswith("” — Shipping policy")
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press(*"shipping")
        await pilot.pause(0.5)
        await settle(pilot)
        await pilot.press("enter")  # the first hit: the link
        await settle(pilot)
        assert editor.query_one("#body", TextArea).text.endswith(" docs:1")


POLICY = """\
apiVersion: socialhub/v1
kind: Policy
metadata: {name: brand}
spec:
  banned:
    - phrase: guaranteed
  claims:
    - pattern: '\\d+ ?%'
"""


async def test_policy_findings_show_live_under_the_counter_and_errors_block_scheduling(
        tui_cli: Run, tmp_path: Any) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    assert tui_cli("apply", "-f", str(tmp_path / "policy.yaml")).exit_code == 0
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        editor = await open_editor(pilot)
        await pick(pilot, editor, 1)
        (tab,) = editor.query(TargetTab)
        panel = tab.query_one(".policy", Static)
        assert not panel.display  # nothing found, no empty line
        editor.query_one("#body", TextArea).text = "Half off: 50%"
        await settle(pilot)
        assert panel.display and not panel.has_class("blocking")
        assert "claim '50%' has no source" in tab_text(tab, "policy")
        editor.query_one("#body", TextArea).text = "Guaranteed: 50% off"
        await settle(pilot)
        assert panel.has_class("blocking")
        assert "✗ banned phrase 'Guaranteed'" in tab_text(tab, "policy")
        editor.query_one("#name", Input).value = "blocked"
        editor.query_one("#at", Input).value = "2026-11-25 18:30"
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert isinstance(app.screen, EditorScreen)
        assert any("breaks 1 content policy rule" in n for n in notes(pilot))
    assert "blocked" not in posts(tui_cli)  # one transaction: nothing half-saved


async def test_at_80_columns_the_time_fields_label_is_read_whole(tui_cli: Run) -> None:
    # The label "When (YYYY-MM-DD HH:MM [Zone]), default Europe/Berlin" was cut at the
    # pane's edge on an 80-column terminal, losing the zone a bare time is read in.
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_editor(pilot)
        shown = " ".join(" ".join(line.split()) for line in screen_lines(pilot))
        assert f"When (YYYY-MM-DD HH:MM [Zone]), default {app.zone}" in shown, shown
