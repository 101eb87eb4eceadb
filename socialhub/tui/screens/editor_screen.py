"""The draft editor: body, targets, per-target variants with live counters, schedule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    Header,
    Input,
    Label,
    ProgressBar,
    SelectionList,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)
from textual.worker import Worker, get_current_worker

from socialhub.services.ai.suggestions import (
    GenerationCancelled,
    Suggestion,
    suggest_rewrite,
    suggest_variants,
)
from socialhub.services.authoring.board import default_time
from socialhub.services.authoring.editor import (
    Draft,
    EditorPolicies,
    SaveMode,
    account_choices,
    editor_policies,
    load_draft,
    save_draft,
)
from socialhub.services.authoring.review import approval_states
from socialhub.services.context import Ctx
from socialhub.tui.background import run_service
from socialhub.tui.widgets.footer import compact_footer
from socialhub.tui.widgets.target_tab import TargetTab

if TYPE_CHECKING:
    from socialhub.tui.host import HubApp


EditorData = tuple[list[tuple[str, str]], Draft | None, str, EditorPolicies]


def _editor_data(ctx: Ctx, ref: str | None) -> EditorData:
    draft, status = load_draft(ctx, ref) if ref else (None, "new")
    if ref:
        approval = approval_states(ctx, [ref]).get(ref, "not_required")
        if approval != "not_required" and approval != status:
            status = f"{status}, approval: {approval}"
    return account_choices(ctx), draft, status, editor_policies(ctx, ref)


def _docs_commands() -> type[Provider]:
    from socialhub.tui.widgets.docs_commands import DocsCommands

    return DocsCommands


class EditorScreen(Screen[dict[str, Any] | None]):
    """Write a new post or edit one; dismisses with the saved post's summary (or None)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # Short names so the footer fits at 80 columns; the help (?) has the long ones.
        Binding("ctrl+s", "save('draft')", "Draft", tooltip="Save as a draft"),
        Binding("ctrl+t", "save('schedule')", "Schedule"),
        Binding("ctrl+p", "save('publish')", "Publish", tooltip="Publish now"),
        Binding("ctrl+g", "generate", "AI", tooltip="AI variants for every target"),
        Binding("ctrl+r", "rewrite", "Rewrite", tooltip="AI rewrite of this target's text"),
        Binding("ctrl+o", "app.command_palette", "Docs", priority=True,
                tooltip="Command palette: search the docs, insert a link or a quote"),
        Binding("escape", "close", "Close", tooltip="Close, or cancel the AI run"),
    ]

    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {_docs_commands}

    def __init__(self, ref: str | None, *, day: date | None = None) -> None:
        super().__init__()
        self.ref = ref
        self.day = day
        self.platforms: dict[str, str] = {}
        self.pane_ids: dict[str, str] = {}
        self.texts: dict[str, str] = {}  # the loaded draft's own text per target
        self.policies = EditorPolicies()  # the content policies, once loaded
        self.busy = False
        self.ai_worker: Worker[None] | None = None

    @property
    def hub_app(self) -> HubApp:
        """The running app, typed."""
        return cast("HubApp", self.app)

    def compose(self) -> ComposeResult:
        blink = self.hub_app.blink
        yield Header()
        with Horizontal(id="editor-body"):
            with VerticalScroll(id="editor-left"):
                yield Static(f"Edit {self.ref}" if self.ref else "New post", id="editor-title",
                             markup=False)
                name = Input(placeholder="name (optional)", id="name")
                name.cursor_blink = blink
                yield name
                body = TextArea("", id="body", soft_wrap=True)
                body.cursor_blink = blink
                yield body
                yield Label("Targets")
                yield SelectionList[str](id="targets")
                yield Label(f"When (YYYY-MM-DD HH:MM \\[Zone]), default {self.hub_app.zone}",
                            id="when-label")
                # A new post starts at a time still ahead (never one already gone).
                start = "" if self.ref else default_time(self.day, self.hub_app.now(),
                                                          self.hub_app.zone)
                at = Input(value=start,
                           placeholder=f"2026-12-01 09:00 {self.hub_app.zone}", id="at")
                at.cursor_blink = blink
                yield at
                yield Checkbox("next free slot", id="next-slot")
                with Horizontal(id="editor-buttons"):
                    yield Button("Draft ^s", id="save-draft")
                    yield Button("Schedule ^t", id="save-schedule", variant="primary")
                with Horizontal(id="ai-row"):
                    instruction = Input(placeholder="rewrite how? shorter, formal, emoji…",
                                        id="instruction")
                    instruction.cursor_blink = blink
                    yield instruction
                    yield Button("Variants ^g", id="ai-generate")
                    yield Button("Rewrite ^r", id="ai-rewrite")
                with Horizontal(id="ai-progress"):
                    yield Static("", id="ai-status")
                    yield ProgressBar(id="ai-bar", show_eta=False)
                    yield Button("Cancel esc", id="ai-cancel", variant="warning")
            with TabbedContent(id="variants"):
                yield TabPane("no target", Static("Pick a target account on the left."),
                              id="no-target")
        yield compact_footer()

    def on_mount(self) -> None:
        self.query_one("#ai-progress").display = False
        self.query_one("#body", TextArea).focus()
        run_service(self, _editor_data, self.ref, then=self._fill)

    async def _fill(self, data: EditorData) -> None:
        choices, draft, status, self.policies = data
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
        tab.policies = self.policies
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
            # A pane may be registered and still being added (the loaded draft and this
            # event both add panes): activate only one whose tab exists already.
            mounted = {pane.id for pane in tabs.query(TabPane)}
            ready = [pane_id for pane_id in self.pane_ids.values() if pane_id in mounted]
            if ready:
                tabs.active = ready[0]

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if event.text_area.id == "body":
            for tab in self.query(TargetTab):
                tab.body = event.text_area.text

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {"ai-generate": self.action_generate, "ai-rewrite": self.action_rewrite,
                   "ai-cancel": self.action_cancel_ai,
                   "save-schedule": lambda: self.action_save("schedule")}
        actions.get(event.button.id or "", lambda: self.action_save("draft"))()

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

    def insert_into_body(self, text: str) -> None:
        """Insert ``text`` at the body's cursor, spaced from its neighbours, and focus it."""
        body = self.query_one("#body", TextArea)
        row, col = body.cursor_location
        line = body.document.get_line(row)
        before = " " if col > 0 and not line[col - 1].isspace() else ""
        after = " " if col < len(line) and not line[col].isspace() else ""
        body.insert(before + text + after)
        body.focus()

    def action_close(self) -> None:
        """Cancel a running AI request; otherwise close without saving."""
        if self.ai_worker is not None:
            self.action_cancel_ai()
            return
        self.dismiss(None)

    # AI: the run happens in a thread worker; its results arrive through
    # call_from_thread and are dropped when the run was cancelled meanwhile.

    def _start_ai(self, label: str, total: int, job: Callable[[Worker[None]], None]) -> None:
        if self.ai_worker is not None:
            self.notify("an AI request is already running (escape cancels it)",
                        severity="warning")
            return
        self.query_one("#ai-status", Static).update(label)
        self.query_one("#ai-bar", ProgressBar).update(total=total, progress=0)
        self.query_one("#ai-progress").display = True

        def run() -> None:
            job(get_current_worker())

        self.ai_worker = self.run_worker(run, thread=True, group="ai", exit_on_error=False)

    def _ai_over(self, worker: Worker[None]) -> bool:
        """Hide the progress if ``worker`` is still the current run; False if it is not."""
        if worker is not self.ai_worker:
            return False
        self.ai_worker = None
        if self.is_mounted:
            self.query_one("#ai-progress").display = False
        return True

    def _ai_failed(self, worker: Worker[None], exc: BaseException) -> None:
        if self._ai_over(worker):
            self.hub_app.report(exc)

    def action_generate(self) -> None:
        """Write every target's text from the body with the AI (offline without a key)."""
        tabs = {tab.ref: tab for tab in self.query(TargetTab)}
        body = self.query_one("#body", TextArea).text
        if not tabs:
            self.notify("pick at least one target account to generate for", severity="warning")
            return
        app = self.hub_app

        def arrived(worker: Worker[None], s: Suggestion) -> None:
            if worker is self.ai_worker and s.target in tabs:
                tabs[s.target].query_one(TextArea).text = s.text
                self.query_one("#ai-bar", ProgressBar).advance(1)

        def done(worker: Worker[None], found: list[Suggestion]) -> None:
            if self._ai_over(worker):
                provider = found[0].provider if found else "AI"
                self.notify(f"{len(found)} variant(s) written by {provider}; edit or save them")

        def job(worker: Worker[None]) -> None:
            try:
                found = suggest_variants(
                    app.hub, body, list(tabs),
                    on_suggestion=lambda s: app.call_from_thread(arrived, worker, s),
                    cancelled=lambda: worker.is_cancelled,
                    notify=lambda m: app.call_from_thread(app.notify, m))
            except GenerationCancelled:
                return
            except Exception as exc:
                app.call_from_thread(self._ai_failed, worker, exc)
                return
            app.call_from_thread(done, worker, found)

        self._start_ai(f"Writing {len(tabs)} variant(s)…", len(tabs), job)

    def action_rewrite(self) -> None:
        """Rewrite the shown target's text by the instruction next to the button."""
        tabs = self.query_one(TabbedContent)
        pane = tabs.active_pane
        found = list(pane.query(TargetTab)) if pane is not None else []
        if not found:
            self.notify("pick a target account first: rewrite works on its tab",
                        severity="warning")
            return
        tab = found[0]
        text = tab.own_text or self.query_one("#body", TextArea).text
        instruction = self.query_one("#instruction", Input).value
        app = self.hub_app

        def done(worker: Worker[None], s: Suggestion) -> None:
            if self._ai_over(worker):
                tab.query_one(TextArea).text = s.text
                self.notify(f"rewritten for {tab.ref} by {s.provider}"
                            + (f" ({'; '.join(s.notes)})" if s.notes else ""))

        def job(worker: Worker[None]) -> None:
            try:
                s = suggest_rewrite(app.hub, text, tab.ref, instruction,
                                    notify=lambda m: app.call_from_thread(app.notify, m))
            except Exception as exc:
                app.call_from_thread(self._ai_failed, worker, exc)
                return
            if not worker.is_cancelled:
                app.call_from_thread(done, worker, s)

        self._start_ai(f"Rewriting for {tab.ref}…", 1, job)

    def action_cancel_ai(self) -> None:
        """Stop the running AI request; what it wrote so far stays, nothing more arrives."""
        worker = self.ai_worker
        if worker is None:
            return
        worker.cancel()
        self._ai_over(worker)
        self.notify("AI request cancelled")
