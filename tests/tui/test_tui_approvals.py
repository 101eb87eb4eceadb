"""The approvals queue with Pilot: `a` on the calendar shows the posts waiting for a review;
`y` approves, `x` asks for a comment and requests changes, enter opens the editor, which
shows the post's approval state. Plus its SVG snapshot."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from socialhub.tui.app import SocialhubApp
from socialhub.tui.screens.approvals_screen import ApprovalsScreen
from socialhub.tui.screens.editor_screen import EditorScreen
from tests.conftest import CLIResult
from tests.tui.tui_kit import BS, settle, wait_for_node

Run = Callable[..., CLIResult]


@pytest.fixture
def pending(tui_cli: Run, monkeypatch: pytest.MonkeyPatch) -> Run:
    """The seeded home with an editor, ed, whose post `spring` waits for a review."""
    assert tui_cli("members", "add", "ed", "--role", "editor").exit_code == 0
    assert tui_cli("orgs", "set", "default", "--approvals", "required").exit_code == 0
    monkeypatch.setenv("SOCIALHUB_LOGIN", "ed")
    for args in (("posts", "create", "-b", "Spring sale starts Monday", "-t", BS, "--name",
                  "spring"), ("posts", "submit", "spring", "-m", "ready")):
        r = tui_cli(*args)
        assert r.exit_code == 0, r.stderr
    monkeypatch.delenv("SOCIALHUB_LOGIN")
    return tui_cli


def _review(run: Run) -> dict[str, Any]:
    r = run("posts", "comments", "spring", "--json")
    assert r.exit_code == 0, r.stderr
    data: dict[str, Any] = r.json()
    return data


async def _open_queue(pilot: Pilot[Any]) -> DataTable[Any]:
    await settle(pilot)
    await pilot.press("a")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ApprovalsScreen)
    return pilot.app.screen.query_one(DataTable)


@pytest.mark.anyio
async def test_a_shows_the_queue_and_y_approves(pending: Run) -> None:
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        table = await _open_queue(pilot)
        assert table.row_count == 1
        assert [str(c) for c in table.get_row_at(0)][:3] == ["spring", "ed", BS]
        await pilot.press("y")
        await settle(pilot)
        assert table.row_count == 0
    data = _review(pending)
    assert (data["status"], data["approval"]) == ("approved", "approved")
    assert data["comments"][-1]["kind"] == "approved"


@pytest.mark.anyio
async def test_x_requests_changes_with_a_comment(pending: Run) -> None:
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        table = await _open_queue(pilot)
        await pilot.press("x")
        await settle(pilot)
        app.screen.query_one(Input).value = "shorter please"
        await pilot.press("enter")
        await settle(pilot)
        assert table.row_count == 0
    data = _review(pending)
    assert data["status"] == "changes_requested"
    assert (data["comments"][-1]["kind"], data["comments"][-1]["body"]) == (
        "changes_requested", "shorter please")


@pytest.mark.anyio
async def test_escape_in_the_comment_changes_nothing(pending: Run) -> None:
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        table = await _open_queue(pilot)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert table.row_count == 1
    assert _review(pending)["status"] == "pending_approval"


@pytest.mark.anyio
async def test_enter_opens_the_post_with_its_review_state(pending: Run) -> None:
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await _open_queue(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EditorScreen)
        title = str((await wait_for_node(pilot, "#editor-title", Static)).render())
        assert "spring" in title and "pending_approval" in title


def test_approvals_queue_looks_as_recorded(pending: Run, snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _open_queue(pilot)

    assert snap_compare(SocialhubApp(blink=False, refresh_every=None), terminal_size=(120, 36),
                        run_before=run_before)


@pytest.mark.anyio
async def test_a_body_with_brackets_is_listed_as_written(tui_cli: Run,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # A string cell of a DataTable is read as Rich markup: `[/b]` in a post waiting for
    # review stopped the approvals screen.
    body = "Prices [/b] drop [link] :x: today"
    assert tui_cli("members", "add", "ed", "--role", "editor").exit_code == 0
    assert tui_cli("orgs", "set", "default", "--approvals", "required").exit_code == 0
    monkeypatch.setenv("SOCIALHUB_LOGIN", "ed")
    for args in (("posts", "create", "-b", body, "-t", BS, "--name", "odd"),
                 ("posts", "submit", "odd")):
        r = tui_cli(*args)
        assert r.exit_code == 0, r.stderr
    monkeypatch.delenv("SOCIALHUB_LOGIN")
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        table = await _open_queue(pilot)
        assert [str(c) for c in table.get_row_at(0)][4] == body


@pytest.mark.anyio
async def test_at_80_columns_the_name_targets_and_time_are_whole(pending: Run) -> None:
    # Fixed widths (18 + 12 + 30 + 16 + 40 cells) ran the time and the text off an
    # 80-column screen. Now the name, author, targets and time fit, whole, and the text
    # takes what is left, cut.
    app = SocialhubApp(blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await _open_queue(pilot)
        labels = [str(c.label) for c in table.columns.values()]
        assert labels[:4] == ["post", "by", "targets", "waiting since"], labels
        assert sum((c.width or 0) + 2 for c in table.columns.values()) <= 80
        cells = [str(c) for c in table.get_row_at(0)]
        assert cells[:3] == ["spring", "ed", BS] and len(cells[3]) == 16
        assert "Spring sale starts Monday".startswith(cells[4].removesuffix("…"))
