"""One target's tab in the editor: its own text, a live counter, problems, a preview."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static, TextArea

from socialhub.services.authoring.editor import EditorPolicies, check_text, policy_lines
from socialhub.services.authoring.text_rules import DISPLAY_NAMES


class TargetTab(VerticalScroll):
    """The variant for one account, checked by that platform's own counting as you type."""

    body: reactive[str] = reactive("", init=False)

    def __init__(self, ref: str, platform: str, text: str = "", *, blink: bool = True,
                 id: str | None = None, hint: str = "leave empty to use the body") -> None:
        super().__init__(id=id)
        self.ref = ref
        self.platform = platform
        self.initial = text
        self.blink = blink
        self.hint = hint
        #: The policies the post is held to (the editor sets them once loaded).
        self.policies = EditorPolicies()

    def compose(self) -> ComposeResult:
        name = DISPLAY_NAMES.get(self.platform, self.platform)
        yield Static(f"{self.ref} ({name}) — {self.hint}", classes="hint", markup=False)
        area = TextArea(self.initial, classes="variant-text", soft_wrap=True)
        area.cursor_blink = self.blink
        yield area
        yield Static("", classes="counter")
        yield Static("", classes="problems", markup=False)
        yield Static("", classes="policy")
        yield Static("Preview", classes="hint")
        yield Static("", classes="preview", markup=False)

    @property
    def own_text(self) -> str:
        """The target's own text ("" when it follows the body)."""
        return self.query_one(TextArea).text

    @property
    def valid(self) -> bool:
        """Whether the text (own or body) can be posted on this platform."""
        return check_text(self.own_text or self.body, self.platform).valid

    def on_mount(self) -> None:
        # The tab is mounted inside a pane that is still being added; count once it is laid out.
        self.call_after_refresh(self.refresh_check)

    def watch_body(self) -> None:
        self.refresh_check()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()  # the editor listens for body changes only
        self.refresh_check()

    def refresh_check(self) -> None:
        """Recount the text and redraw counter, problems and preview."""
        if not self.is_mounted:
            return
        check = check_text(self.own_text or self.body, self.platform)
        counter = self.query_one(".counter", Static)
        counter.update(check.counter + ("  ok" if check.valid else "  too long" if
                                        "over the" in " ".join(check.problems) else "  invalid"))
        counter.set_class(not check.valid, "invalid")
        self.query_one(".problems", Static).update("\n".join(f"• {p}" for p in check.problems))
        findings = policy_lines(self.policies, self.own_text or self.body, self.platform)
        panel = self.query_one(".policy", Static)
        panel.update("\n".join(line for _blocks, line in findings))
        panel.display = bool(findings)  # no policies: no empty line under the counter
        panel.set_class(any(blocks for blocks, _line in findings), "blocking")
        parts = check.parts
        if len(parts) > 1:
            preview = "\n\n".join(f"[{i}/{len(parts)}] {p}" for i, p in enumerate(parts, 1))
        else:
            preview = parts[0] if parts else "(empty)"
        self.query_one(".preview", Static).update(preview)
