"""The activity log: state transitions and the user's actions (from the monitor), oldest first; the cursor
follows the newest."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from boxdeck.service.monitoring.monitor import Monitor
from boxdeck.service.monitoring.notices import ActivityEntry
from boxdeck.tui.format import clean, local_time
from boxdeck.tui.messages import ActivityLogged
from boxdeck.tui.widgets.lists import NavTable

COLUMNS = (("time", "time"), ("backend", "backend"), ("name", "name"), ("change", "change"))


class ActivityScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,l,q", "close", "Close", id="boxdeck.activity.close")]

    def __init__(self, monitor: Monitor) -> None:
        super().__init__(classes="modal activity")
        self._monitor = monitor
        self._last: ActivityEntry | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("Activity: state transitions and actions", markup=False, id="title")
            yield NavTable(cursor_type="row", id="activity")
            yield Static("no state changes yet", markup=False, id="activity-empty")
            with Vertical(id="foot"):
                yield Static("Esc closes", markup=False, classes="hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        self._append_new()
        table.focus()

    def _append_new(self) -> None:
        entries = self._monitor.activity
        if self._last is not None:
            for i in range(len(entries) - 1, -1, -1):
                if entries[i] is self._last:
                    entries = entries[i + 1 :]
                    break
        table = self.query_one(DataTable)
        for entry in entries:
            change = f"{entry.action} requested" if entry.action else (
                f"{clean(entry.old) or '(new)'} → {clean(entry.new) or '(gone)'}"
            )
            table.add_row(Text(local_time(entry.time)), Text(entry.backend.value), Text(clean(entry.name)),
                          Text(change))
            self._last = entry
        self.query_one("#activity-empty").display = table.row_count == 0
        if table.row_count:
            table.move_cursor(row=table.row_count - 1)

    def on_activity_logged(self, _message: ActivityLogged) -> None:
        self._append_new()

    def action_close(self) -> None:
        self.dismiss(None)
