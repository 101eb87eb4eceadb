"""The inbox: every account's comments, mentions, replies and messages, and one conversation.

The list is on the left (newest first, `•` unread), the highlighted item's conversation on
the right. `j`/`k` move, `r` replies (the platform's live counter, then the delivery
queue), `e` archives, `a` assigns, `u` shows unread only. While the screen is shown it
asks the database for the newest item id every few seconds and re-reads the list when it
changed, so what the daemon syncs appears without a restart.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Header, Static

from socialhub.services.inbox.items import archive_item, assign_item, latest_item_id, show_item
from socialhub.services.inbox.reply import reply_to_item
from socialhub.services.inbox.screen import screen_rows
from socialhub.services.terminal_text import printable
from socialhub.services.when import load_zone
from socialhub.tui.background import run_service
from socialhub.tui.screens.assign_modal import AssignModal
from socialhub.tui.screens.reply_modal import ReplyModal
from socialhub.tui.widgets.fit_columns import Column, fill_table, refit, table_room
from socialhub.tui.widgets.footer import compact_footer

if TYPE_CHECKING:
    from socialhub.tui.host import HubApp

MOOD = {"positive": "green3", "negative": "red1", "neutral": "grey62"}
#: The sender's handle, the id, the time and the kind stay whole; the text (shown whole in
#: the conversation beside the table) is cut first, then leaves on a narrow terminal.
COLUMNS = (Column("id", least=3), Column("when", least=11), Column("kind", least=7),
           Column("from"), Column("text", shrink=10, widest=80, drop=1))


class InboxScreen(Screen[None]):
    """Items newest first with the highlighted one's conversation beside them."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "move(1)", "Down", show=False),
        Binding("k", "move(-1)", "Up", show=False),
        Binding("r", "reply", "Reply"),
        Binding("e", "archive", "Archive"),
        Binding("a", "assign", "Assign"),
        Binding("u", "toggle_unread", "Unread", tooltip="Only unread items / every item"),
        Binding("g", "reload", "Refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] = []
        self.latest = -1
        self.unread_only = False
        self.ticker: Timer | None = None
        self.reading = False
        self.shown_id: int | None = None
        self.fitted_to = -1  # the table width the columns were last fitted to

    @property
    def hub_app(self) -> HubApp:
        """The running app, typed."""
        return cast("HubApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="inbox-title")
        with Horizontal(id="inbox-body"):
            yield DataTable(id="inbox-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="inbox-conversation"):
                yield Static("", id="inbox-thread")
        yield compact_footer()

    # -- reading ---------------------------------------------------------------------------
    def on_screen_resume(self) -> None:
        self.action_reload()
        every = self.hub_app.refresh_every
        if every and self.ticker is None:
            self.ticker = self.set_interval(every, self._tick)

    def on_screen_suspend(self) -> None:
        if self.ticker is not None:
            self.ticker.stop()
            self.ticker = None

    def _tick(self) -> None:
        if self.reading or self.app.screen.is_modal:
            return

        def changed(latest: int) -> None:
            if latest != self.latest:
                self.action_reload()

        run_service(self, latest_item_id, then=changed)

    def action_reload(self) -> None:
        """Re-read the items."""
        self.reading = True

        def failed() -> None:
            self.reading = False

        run_service(self, screen_rows, unread_only=self.unread_only, then=self._show,
                    failed=failed)

    def _when(self, value: datetime | None) -> str:
        if value is None:
            return "-"
        return value.astimezone(load_zone(self.hub_app.zone)).strftime("%m-%d %H:%M")

    def _show(self, data: dict[str, Any]) -> None:
        self.reading = False
        rows: list[dict[str, Any]] = data["rows"]
        self.latest = data["latest"]
        unread = sum(1 for r in rows if not r["read"])
        what = "unread items" if self.unread_only else "items"
        self.query_one("#inbox-title", Static).update(
            f"Inbox: {data['total']} {what}, {unread} unread shown · times in "
            f"{self.hub_app.zone}")
        table = self.query_one(DataTable)
        if self.screen.focused is not table:
            table.focus()
        if rows == self.rows and table.row_count == len(rows) and \
                self.fitted_to == table_room(table):
            return
        keep = self._current_id()
        self.rows = rows
        self._fill(table)
        ids = [r["id"] for r in rows]
        if keep in ids:
            table.move_cursor(row=ids.index(keep), animate=False)
        self._load_conversation()

    def _fill(self, table: DataTable[Any]) -> None:
        """The rows in columns fitted to the table's width."""
        rows = []
        for r in self.rows:
            ident = Text(f"{r['id']}{'•' if not r['read'] else ''}",
                         style="bold" if not r["read"] else "")
            text = Text(" ".join(r["text"].split())[:80],
                        style=MOOD.get(r["sentiment"] or "", "") +
                        (" reverse" if r["flags"] else ""))
            rows.append([ident, self._when(r["received_at"]), r["kind"], "@" + r["author"],
                         text])
        self.fitted_to = fill_table(table, COLUMNS, rows, keys=[str(r["id"]) for r in self.rows])

    def on_resize(self) -> None:
        self.call_after_refresh(self._refit)  # once the table has its new size

    def _refit(self) -> None:
        if self.rows:
            refit(self.query_one(DataTable), self.fitted_to, self._fill)

    def _current_id(self) -> int | None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row is None or not 0 <= table.cursor_row < len(
                self.rows):
            return None
        return int(self.rows[table.cursor_row]["id"])

    def _current(self) -> dict[str, Any] | None:
        item_id = self._current_id()
        if item_id is None:
            self.notify("no item selected", severity="warning")
            return None
        return next(r for r in self.rows if r["id"] == item_id)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._load_conversation()

    def _load_conversation(self) -> None:
        item_id = self._current_id()
        if item_id is None:
            self.query_one("#inbox-thread", Static).update(
                "Nothing here yet: `socialhub inbox sync`, or let the daemon fetch.")
            self.shown_id = None
            return
        run_service(self, show_item, item_id, then=self._show_conversation)

    def _show_conversation(self, data: dict[str, Any]) -> None:
        item = data["item"]
        if item["id"] != self._current_id():
            return  # the cursor moved on meanwhile
        self.shown_id = item["id"]
        head = Text(f"#{item['id']} {item['kind']} on {item['account']}\n", style="bold")
        facts = [f"sentiment {item['sentiment'] or '-'}", f"language {item['language'] or '-'}"]
        if item["flags"]:
            facts.append("flags " + ", ".join(item["flags"]))
        if item["assignee"]:
            facts.append(f"assigned to {item['assignee']}")
        head.append(" · ".join(facts) + "\n", style="italic")
        for entry in data["conversation"]:
            us = entry["role"] == "us"
            who = "you" + (f" [{entry['status']}]" if us else "") if us else f"@{entry['author']}"
            here = " ←" if not us and entry.get("id") == item["id"] else ""
            head.append(f"\n{self._when(entry['at'])}  {printable(who)}{here}\n",
                        style="bold dodger_blue1" if us else "bold")
            head.append(printable(entry["text"]) + "\n")
        self.query_one("#inbox-thread", Static).update(head)

    # -- actions ---------------------------------------------------------------------------
    def action_move(self, step: int) -> None:
        """Move the cursor down (1) or up (-1)."""
        table = self.query_one(DataTable)
        if step > 0:
            table.action_cursor_down()
        else:
            table.action_cursor_up()

    def action_toggle_unread(self) -> None:
        """Show only unread items, or every item."""
        self.unread_only = not self.unread_only
        self.action_reload()

    def action_reply(self) -> None:
        """Write a reply with the platform's counter; it goes out through the queue."""
        row = self._current()
        if row is None:
            return
        item_id = row["id"]

        def written(text: str | None) -> None:
            if text:
                run_service(self, reply_to_item, item_id, text, then=self._replied)

        self.app.push_screen(ReplyModal(row["account"], row["platform"], row["text"],
                                        blink=self.hub_app.blink), written)

    def _replied(self, data: dict[str, Any]) -> None:
        verb = "queued" if data["created"] else "already queued"
        self.notify(f"reply {verb} as delivery {data['delivery_id']} ({data['status']})")
        self.action_reload()

    def action_archive(self) -> None:
        """Archive the selected item (it leaves the list)."""
        row = self._current()
        if row is not None:
            run_service(self, archive_item, row["id"], then=self._done("archived"))

    def action_assign(self) -> None:
        """Assign the selected item to a login (empty: unassign)."""
        row = self._current()
        if row is None:
            return
        item_id = row["id"]

        def chosen(login: str | None) -> None:
            if login is not None:
                run_service(self, assign_item, item_id, login or None,
                            then=self._done("assigned" if login else "unassigned"))

        self.app.push_screen(AssignModal(row["assignee"]), chosen)

    def _done(self, verb: str) -> Any:
        def then(row: dict[str, Any]) -> None:
            self.notify(f"item {row['id']} {verb}")
            self.action_reload()
        return then
