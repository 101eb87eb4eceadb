"""The draft editor: body, targets, per-target variants with live counters, schedule."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, cast

from sqlalchemy.orm import Session
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    Footer,
    Header,
    Input,
    Label,
    SelectionList,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)

from socialhub.services.tui_views import Draft, SaveMode, account_choices, load_draft, save_draft
from socialhub.tui.background import run_service
from socialhub.tui.target_tab import TargetTab

if TYPE_CHECKING:
    from socialhub.tui.app import SocialhubApp


def _editor_data(session: Session, org_id: int,
                 ref: str | None) -> tuple[list[tuple[str, str]], Draft | None, str]:
    draft, status = load_draft(session, org_id, ref) if ref else (None, "new")
    return account_choices(session, org_id), draft, status


class EditorScreen(Screen[dict[str, Any] | None]):
    """Write a new post or edit one; dismisses with the saved post's summary (or None)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save('draft')", "Save draft"),
        Binding("ctrl+t", "save('schedule')", "Schedule"),
        Binding("ctrl+p", "save('publish')", "Publish now"),
        Binding("escape", "close", "Close"),
    ]

    def __init__(self, ref: str | None, *, day: date | None = None) -> None:
        super().__init__()
        self.ref = ref
        self.day = day
        self.platforms: dict[str, str] = {}
        self.pane_ids: dict[str, str] = {}
        self.texts: dict[str, str] = {}  # the loaded draft's own text per target
        self.busy = False

    @property
    def hub_app(self) -> SocialhubApp:
        """The running app, typed."""
        return cast("SocialhubApp", self.app)

    def compose(self) -> ComposeResult:
        blink = self.hub_app.blink
        yield Header()
        with Horizontal(id="editor-body"):
            with VerticalScroll(id="editor-left"):
                yield Static(f"Edit {self.ref}" if self.ref else "New post", id="editor-title")
                name = Input(placeholder="name (optional)", id="name")
                name.cursor_blink = blink
                yield name
                body = TextArea("", id="body", soft_wrap=True)
                body.cursor_blink = blink
                yield body
                yield Label("Targets")
                yield SelectionList[str](id="targets")
                yield Label(f"When (YYYY-MM-DD HH:MM \\[Zone]), default {self.hub_app.zone}")
                at = Input(value=f"{self.day:%Y-%m-%d} 09:00" if self.day else "",
                           placeholder=f"2026-12-01 09:00 {self.hub_app.zone}", id="at")
                at.cursor_blink = blink
                yield at
                yield Checkbox("next free slot", id="next-slot")
                with Horizontal(id="editor-buttons"):
                    yield Button("Draft ^s", id="save-draft")
                    yield Button("Schedule ^t", id="save-schedule", variant="primary")
            with TabbedContent(id="variants"):
                yield TabPane("no target", Static("Pick a target account on the left."),
                              id="no-target")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#body", TextArea).focus()
        run_service(self, _editor_data, self.ref, then=self._fill)

    async def _fill(self, data: tuple[list[tuple[str, str]], Draft | None, str]) -> None:
        choices, draft, status = data
        self.platforms = dict(choices)
        targets = self.query_one("#targets", SelectionList)
        chosen = set(draft.targets) if draft else set()
        self.texts = dict(draft.targets) if draft else {}
        targets.add_options([(ref, ref, ref in chosen) for ref, _ in choices])
        if choices:
            targets.highlighted = 0  # so space picks an account at once
        if draft is not None:
            self.query_one("#editor-title", Static).update(f"Edit {self.ref} ({status})")
            self.query_one("#name", Input).value = draft.name or ""
            self.query_one("#body", TextArea).text = draft.body
            self.query_one("#at", Input).value = draft.at
            for ref in sorted(chosen):
                await self._add_pane(ref, draft.targets[ref])

    async def _add_pane(self, ref: str, text: str = "") -> None:
        if ref in self.pane_ids:
            return  # picked by the loaded draft and by the selection event: add once
        pane_id = f"target-{len(self.pane_ids) + 1}"
        while pane_id in self.pane_ids.values():
            pane_id += "x"
        self.pane_ids[ref] = pane_id  # before any await, so a second call sees it
        tabs = self.query_one(TabbedContent)
        if "no-target" in [p.id for p in tabs.query(TabPane)]:
            await tabs.remove_pane("no-target")
        tab = TargetTab(ref, self.platforms.get(ref, "sandbox"), text or self.texts.get(ref, ""),
                        blink=self.hub_app.blink)
        tab.body = self.query_one("#body", TextArea).text
        await tabs.add_pane(TabPane(ref, tab, id=pane_id))
        tabs.active = pane_id  # show the tab just picked, with its counter

    async def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged[str]
                                                 ) -> None:
        wanted = set(event.selection_list.selected)
        for ref in sorted(wanted - set(self.pane_ids)):
            await self._add_pane(ref)
        tabs = self.query_one(TabbedContent)
        for ref in sorted(set(self.pane_ids) - wanted):
            await tabs.remove_pane(self.pane_ids.pop(ref))
        if self.pane_ids and tabs.active not in self.pane_ids.values():
            tabs.active = next(iter(self.pane_ids.values()))

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if event.text_area.id == "body":
            for tab in self.query(TargetTab):
                tab.body = event.text_area.text

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_save("schedule" if event.button.id == "save-schedule" else "draft")

    def draft(self) -> Draft:
        """What the form holds now."""
        return Draft(
            body=self.query_one("#body", TextArea).text,
            targets={tab.ref: tab.own_text for tab in self.query(TargetTab)},
            name=self.query_one("#name", Input).value.strip() or None,
            at=self.query_one("#at", Input).value,
            next_slot=self.query_one("#next-slot", Checkbox).value,
        )

    def action_save(self, mode: SaveMode) -> None:
        """Save as a draft, schedule, or publish now; stays open on any error."""
        if self.busy:
            return
        self.busy = True

        def saved(summary: dict[str, Any]) -> None:
            self.busy = False
            self.app.notify(f"saved {summary['name']} ({summary['status']})")
            self.dismiss(summary)

        def failed() -> None:
            self.busy = False

        run_service(self, save_draft, self.draft(), existing=self.ref, mode=mode,
                    zone=self.hub_app.zone, now=self.hub_app.now(), then=saved, failed=failed)

    def action_close(self) -> None:
        """Close without saving."""
        self.dismiss(None)
