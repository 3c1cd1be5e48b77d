"""The Amika sandbox snapshots (`T` on the sandboxes screen): name, state, source sandbox, age.

While any snapshot is capturing, the list is read again at the busy poll pace, so a capture turns active or
failed on screen without a key. `d` deletes the highlighted snapshot after a confirmation; `n` opens the
new-sandbox form with it chosen, and the new sandbox is selected on the sandboxes screen.

Workers only post messages; the handlers below are the only code that changes widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from boxdeck.api.amika_models import SandboxSnapshot, SnapshotState
from boxdeck.service.actions.actions import ActionError, AlreadyInFlight
from boxdeck.service.actions.sandbox_snapshots import snapshot_row
from boxdeck.service.boxes import Box
from boxdeck.service.text.sanitize import single_line
from boxdeck.tui.commands import BY_ACTION, bindings_for
from boxdeck.tui.context import Deck
from boxdeck.tui.format import Palette, field_lines
from boxdeck.tui.modals.confirm import ConfirmModal
from boxdeck.tui.modals.new_sandbox import NewSandboxModal
from boxdeck.tui.screens.base import BoxdeckScreen
from boxdeck.tui.widgets.lists import NavTable

__all__ = ["SnapshotsScreen"]

#: (key, label, width): 70 cells with the table's padding, so the list fits 80 columns.
COLUMNS = (("name", "name", 24), ("state", "state", 9), ("source", "source", 20), ("created", "age", 9))


@dataclass
class SnapshotsLoaded(Message, bubble=False):
    snapshots: list[SandboxSnapshot]


@dataclass
class SnapshotsFailed(Message, bubble=False):
    message: str
    severity: str = "error"


@dataclass
class SnapshotDeleted(Message, bubble=False):
    name: str


class SnapshotsScreen(BoxdeckScreen):
    COMMAND_SCOPE = "snapshots"
    BINDINGS = bindings_for("snapshots")

    def __init__(self, deck: Deck, *, created: Callable[[Box | None], None] | None = None) -> None:
        """`created`: told about a sandbox made from a snapshot here (the sandboxes screen selects it)."""
        super().__init__(deck, classes="snapshots-screen")
        self.profile = deck.main
        self.created = created
        self.snapshots: dict[str, SandboxSnapshot] = {}
        self.loaded = False
        self._loading = False
        self.palette = Palette()

    def compose(self) -> ComposeResult:
        yield Static("", markup=False, id="snapshots-header")
        with Vertical(id="snapshots-list"):
            table: DataTable[Text] = NavTable(cursor_type="row", id="snapshots")
            yield table
            yield Static("Loading snapshots…", markup=False, id="snapshots-empty")
        yield Static("", markup=False, id="snapshot-detail")
        yield Static("", markup=False, id="snapshots-status")
        yield from self.keys()

    def on_mount(self) -> None:
        self.palette = Palette.from_variables(self.app.theme_variables)
        table = self.query_one("#snapshots", DataTable)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        table.border_title = Text(" snapshots ")
        self.query_one("#snapshot-detail").border_title = Text(" snapshot ")
        self._show_status("")
        self._refresh_header()
        self._refresh_detail()
        self.every(self.profile.service.settings.busy_interval, self._tick)
        table.focus()
        self._load()

    def on_screen_resume(self) -> None:
        if self.loaded:
            self._load()

    def _tick(self) -> None:
        if self.is_current and not self._loading and self.capturing:
            self._load()

    @property
    def capturing(self) -> bool:
        return any(s.state == SnapshotState.CAPTURING for s in self.snapshots.values())

    # ----------------------------------------------------------------- workers (post messages only)
    @work(exclusive=True, exit_on_error=False, group="snapshots-load")
    async def _load(self) -> None:
        self._loading = True
        try:
            snapshots = await self.profile.actions.snapshots.list()
        except ActionError as error:  # a SnapshotError is one
            self.post_message(SnapshotsFailed(str(error)))
            return
        finally:
            self._loading = False
        self.post_message(SnapshotsLoaded(snapshots))

    @work(exclusive=False, exit_on_error=False, group="snapshots-write")
    async def _delete(self, ref: str, name: str) -> None:
        try:
            await self.profile.actions.delete_snapshot(ref)
        except AlreadyInFlight as busy:
            self.post_message(SnapshotsFailed(str(busy), severity="warning"))
            return
        except ActionError as error:
            self.post_message(SnapshotsFailed(str(error)))
            return
        self.post_message(SnapshotDeleted(name))

    # ----------------------------------------------------------------- handlers (touch widgets)
    @on(SnapshotsLoaded)
    def _loaded(self, message: SnapshotsLoaded) -> None:
        self.loaded = True
        self.snapshots = {s.id: s for s in message.snapshots if s.id}
        self._show_status("")
        self._fill_table()
        self._refresh_header()
        self.refresh_bindings()

    @on(SnapshotsFailed)
    def _failed(self, message: SnapshotsFailed) -> None:
        if not self.loaded:
            self.query_one("#snapshots-empty", Static).update(Text(message.message))
        self._show_status(message.message)
        self.notify(message.message, severity="warning" if message.severity == "warning" else "error",
                    markup=False, timeout=8)

    @on(SnapshotDeleted)
    def _deleted(self, message: SnapshotDeleted) -> None:
        self.notify(f"Snapshot “{message.name}” deleted.", markup=False, timeout=5)
        self._load()

    @on(DataTable.RowHighlighted, "#snapshots")
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._refresh_detail()
        self.refresh_bindings()

    # ----------------------------------------------------------------- rendering
    def _show_status(self, message: str) -> None:
        status = self.query_one("#snapshots-status", Static)
        status.update(Text(message))
        status.display = bool(message)

    def _refresh_header(self) -> None:
        out = Text()
        out.append(" Snapshots ", style="bold reverse")
        out.append("  Amika sandbox snapshots")
        if self.loaded:
            count = len(self.snapshots)
            out.append(f"   {count} snapshot{'s' if count != 1 else ''}")
            if self.capturing:
                out.append(" · capturing…", style="italic")
        self.query_one("#snapshots-header", Static).update(out)

    @property
    def selected(self) -> SandboxSnapshot | None:
        table = self.query_one("#snapshots", DataTable)
        if not table.row_count:
            return None
        try:
            row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        except Exception:  # the cursor sits on no row (an emptied table)
            return None
        return self.snapshots.get(str(row_key.value))

    def state_text(self, state: str) -> Text:
        style = {
            SnapshotState.ACTIVE.value: f"bold {self.palette.success}",
            SnapshotState.CAPTURING.value: f"italic {self.palette.warning}",
            SnapshotState.FAILED.value: f"bold {self.palette.error}",
        }.get(state, "")
        return Text(state, style=style)

    def _fill_table(self) -> None:
        table = self.query_one("#snapshots", DataTable)
        keep = self.selected
        now = self.now()
        with self.app.batch_update():
            table.clear()
            for snapshot in self.snapshots.values():
                row = snapshot_row(snapshot, now)
                table.add_row(Text(row.name), self.state_text(row.state), Text(row.source), Text(row.created),
                              key=snapshot.id)
            if keep is not None and keep.id in self.snapshots:
                table.move_cursor(row=table.get_row_index(keep.id))
        empty = self.query_one("#snapshots-empty", Static)
        empty.display = not self.snapshots
        if not self.snapshots:
            empty.update(Text("No snapshots yet. On the sandboxes screen, t snapshots the selected sandbox."))
        self._refresh_detail()

    def _refresh_detail(self) -> None:
        body = self.query_one("#snapshot-detail", Static)
        snapshot = self.selected
        if snapshot is None:
            body.update(Text("Select a snapshot to see its details."))
            return
        row = snapshot_row(snapshot, self.now())
        pairs: list[tuple[str, str | Text]] = [("id", row.id or "-"), ("mode", row.mode),
                                               ("description", row.description)]
        if snapshot.state == SnapshotState.FAILED:
            pairs.append(("error", Text(row.error, style=f"bold {self.palette.error}")))
        body.update(Group(field_lines(pairs)))

    # ----------------------------------------------------------------- actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        command = BY_ACTION.get(action)
        if command is None or command.scope != "snapshots":
            return True
        if self.profile.monitor.amika is None:
            return None
        if command.mutating and self.read_only:
            return None
        snapshot = self.selected
        if action == "delete_snapshot":
            return True if snapshot is not None else None
        if action == "new_from_snapshot":
            return True if snapshot is not None and snapshot.state == SnapshotState.ACTIVE else None
        return True

    def write_access_changed(self) -> None:
        self.refresh_bindings()

    def action_reload_snapshots(self) -> None:
        self._load()

    def action_close_snapshots(self) -> None:
        self.dismiss(None)

    def action_delete_snapshot(self) -> None:
        snapshot = self.selected
        if snapshot is None:
            return
        name = single_line(snapshot.snapshot or snapshot.id, limit=60)
        ref = snapshot.snapshot or snapshot.id

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._delete(ref, name)

        self.app.push_screen(
            ConfirmModal(
                f"Delete snapshot {name}?",
                f"No new sandbox can boot from “{name}” afterwards; sandboxes already made from it keep "
                "their files. This cannot be undone.",
                confirm_label="Delete",
            ),
            confirmed,
        )

    def action_new_from_snapshot(self) -> None:
        snapshot = self.selected
        if snapshot is None:
            return

        def made(box: Box | None) -> None:
            if box is None:
                return
            if self.created is not None:
                self.created(box)
            self.dismiss(None)

        self.app.push_screen(
            NewSandboxModal(self.profile.actions, snapshots=list(self.snapshots.values()), snapshot=snapshot),
            made,
        )
