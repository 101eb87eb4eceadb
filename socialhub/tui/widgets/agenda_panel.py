"""The side panel: the selected day's posts and free slots, in time order."""

from __future__ import annotations

from datetime import date
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from socialhub.services.authoring.board_labels import BADGES
from socialhub.tui.widgets.month_grid import status_class

STATUS_COLOURS = {"draft": "grey62", "scheduled": "dodger_blue1", "published": "green3",
                  "failed": "red1", "unconfirmed": "orange1", "free": "grey50"}


class AgendaPanel(Vertical):
    """A day's agenda; the highlighted post is the one moves and edits act on."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: dict[str, dict[str, Any]] = {}  # option id → entry
        self._shown = 0  # counts show() calls, so a late remainder of an old day is dropped

    def compose(self) -> ComposeResult:
        yield Static("", id="agenda-title")
        yield OptionList(id="agenda-list")

    def show(self, day: date, entries: list[dict[str, Any]]) -> None:
        """Show ``entries`` for ``day``, keeping the highlighted post when it is still there.

        Only the options that fit on screen are built at once; a busy day's rest
        (a month of 2,000 posts has ~70 a day) is added right after that paint,
        which keeps paging through months under 100 ms.
        """
        keep = self.current_post
        self._shown += 1
        self.query_one("#agenda-title", Static).update(f"{day:%a %d %b %Y}")
        options = self.query_one("#agenda-list", OptionList)
        options.clear_options()
        self.entries = {}
        if not entries:
            options.add_option(Option(Text("nothing planned", style="grey50"), disabled=True))
            return
        first = max(8, self.size.height // 2 + 2)
        self._add(entries[:first], 0, keep)
        if len(entries) > first:
            shown = self._shown

            def rest() -> None:
                if shown == self._shown:  # still the same day
                    self._add(entries[first:], first, keep)

            self.call_after_refresh(rest)

    def _add(self, entries: list[dict[str, Any]], offset: int, keep: str | None) -> None:
        options = self.query_one("#agenda-list", OptionList)
        before = options.highlighted
        new: list[Option] = []  # added at once: one refresh and one measuring pass, not ~70
        for i, e in enumerate(entries, offset):
            colour = STATUS_COLOURS[status_class(e["status"])]
            line = Text(f"{e['time']} ", style="bold")
            line.append(BADGES.get(e["platform"], e["platform"][:2]) + " ", style="reverse")
            line.append(f" {e['status']}", style=colour)
            if e["kind"] == "slot":
                line.append(f"\n  {e['account']}", style="grey50")
                new.append(Option(line, id=f"slot-{i}", disabled=True))
                continue
            line.append(f"\n  {e['post']}", style="italic")
            line.append(f"  {' '.join(e['text'].split())[:60]}")
            option_id = f"post-{i}:{e['post']}"
            self.entries[option_id] = e
            new.append(Option(line, id=option_id))
        options.add_options(new)
        posts = [o for o in range(options.option_count)
                 if not options.get_option_at_index(o).disabled]
        match = [o for o in posts if keep is not None and self._post_of(o) == keep]
        if match:
            options.highlighted = match[0]
        elif before is not None and offset:
            options.highlighted = before
        else:
            options.highlighted = posts[0] if posts else None

    def _post_of(self, index: int) -> str | None:
        option_id = self.query_one("#agenda-list", OptionList).get_option_at_index(index).id
        if option_id and option_id.startswith("post-"):
            return option_id.split(":", 1)[1]
        return None

    @property
    def current_post(self) -> str | None:
        """The name of the highlighted post, if any."""
        options = self.query_one("#agenda-list", OptionList)
        if options.highlighted is None or options.option_count == 0:
            return None
        return self._post_of(options.highlighted)

    @property
    def current_entry(self) -> dict[str, Any] | None:
        """The calendar entry of the highlighted post (its local time, target…), if any."""
        options = self.query_one("#agenda-list", OptionList)
        if options.highlighted is None or options.option_count == 0:
            return None
        option_id = options.get_option_at_index(options.highlighted).id
        return self.entries.get(option_id or "")
