"""What the box screens share: health bar, filterable and sortable table, detail pane, actions on a box.

A subclass says which backend it shows, its columns, how a box becomes cells and detail text, which actions
apply
to a box, and which form creates one. Diffs arrive only as `BoxesChanged` messages (forwarded by the app); the
handlers below are the only code that changes the widgets.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.console import RenderableType
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Static

from boxdeck.service.actions.actions import ActionError, AlreadyInFlight, ProxyTrustRequired
from boxdeck.service.boxes import Backend, Box, StateKind
from boxdeck.service.monitoring.freshness import Freshness, freshness
from boxdeck.service.monitoring.snapshot import Diff, Snapshot
from boxdeck.service.text.sanitize import sanitize
from boxdeck.tui.clipboard import copy_secret
from boxdeck.tui.commands import BY_ACTION, bindings_for
from boxdeck.tui.connect import ProxyTrustAsked
from boxdeck.tui.format import Cell, Palette, age_cell, clean, state_cell
from boxdeck.tui.messages import ActionFailed, BoxesChanged, HealthChanged, SshCommandFetched
from boxdeck.tui.modals.delete_confirm import DeleteConfirmModal
from boxdeck.tui.widgets.box_table import BoxTable, ColumnSpec
from boxdeck.tui.widgets.health_bar import HealthBar
from boxdeck.tui.widgets.not_configured import NotConfigured
from boxdeck.tui.widgets.watch_strip import WatchStrip
from boxdeck.tui.workers import ReportWorkerErrors

if TYPE_CHECKING:
    from boxdeck.service.actions.actions import Actions
    from boxdeck.service.configuration.config import Service
    from boxdeck.tui.app import BoxdeckApp

# Screen action -> the name `Actions.refusal` knows it by.
SERVICE_ACTION = {
    "start": "start", "stop": "stop", "delete": "delete", "copy_ssh": "ssh", "new_box": "create",
}


class BoxesScreen(ReportWorkerErrors, Screen[None]):
    BACKEND: ClassVar[Backend]
    MODE: ClassVar[str]
    NOUN: ClassVar[str] = "box"  # "sandbox", "devbox"
    COLUMNS: ClassVar[tuple[ColumnSpec, ...]]
    BINDINGS = bindings_for("boxes")
    AGE_TICK = 5.0
    FRESHNESS_TICK = 1.0

    def __init__(self, service: Service) -> None:
        super().__init__(id=f"{self.MODE}-screen", classes="boxes-screen")
        self.service = service
        self.monitor = service.monitor
        self.actions = service.actions
        self.configured = self.BACKEND in self.monitor.backends
        self.snapshot: Snapshot | None = None
        self.palette = Palette()
        self.filter_text = ""
        self.frame = 0
        self._select_when_present: str | None = None
        self._spinner: Timer | None = None
        self._ages_timer: Timer | None = None
        self._freshness_shown: tuple[str, tuple[str, ...]] | None = None

    # ----------------------------------------------------------------- subclass hooks
    def row_cells(self, box: Box) -> dict[str, Cell]:
        raise NotImplementedError

    def search_text(self, box: Box) -> str:
        return f"{box.name} {box.display_state}"

    def render_detail(self, box: Box | None) -> RenderableType:
        raise NotImplementedError

    def can(self, action: str, box: Box) -> bool | None:
        """Does `action` apply to `box`? None dims it."""
        return True

    def new_box_modal(self) -> ModalScreen[Box | None]:
        raise NotImplementedError

    def after_rows_changed(self) -> None:
        """Called after the table changed or the selection moved."""

    def selection_settled(self, box: Box | None) -> None:
        """Called when the highlighted row changed."""

    # Issue 6 hooks: a screen showing boxes of several backends or profiles (All boxes) overrides these.
    def initial_snapshot(self) -> Snapshot | None:
        return self.monitor.snapshot(self.BACKEND)

    def actions_for(self, box: Box) -> Actions:
        """The service actions that act on `box` (the box's own profile on the All boxes screen)."""
        return self.actions

    def poll_after_action(self, box: Box) -> None:
        self.boxdeck.poll_soon(box.backend)

    def freshness(self) -> Freshness:
        return freshness(self.monitor.health(self.BACKEND), self.now())

    def eta_for(self, box: Box) -> tuple[str, bool]:
        """("ready in ~40 s" or "slower than usual" or "", slow?) for a transitional box."""
        return self.boxdeck.eta_of(box)

    @property
    def read_only(self) -> bool:
        """Read-only now: follows the app's write grant through `actions.read_only` (issue 6)."""
        return bool(self.actions.read_only)

    # ----------------------------------------------------------------- composition
    @property
    def boxdeck(self) -> BoxdeckApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        demo = self.boxdeck.demo is not None
        yield HealthBar(self.boxdeck.tabs, self.key, read_only=self.read_only, demo=demo)
        if self.configured:
            with Horizontal(id="body"):
                # Issue 7: "updated 3 s ago" on its own line (docked above list and detail), not in the
                # table's border, whose every change repainted the whole table.
                yield Static("", id="freshness", markup=False)
                with Vertical(id="list"):
                    yield Input(placeholder="filter: name, state, repo   (Esc clears)", id="filter")
                    yield BoxTable(self.COLUMNS, id="boxes")
                    yield Static("", id="empty", markup=False)
                with VerticalScroll(id="detail", can_focus=True):
                    yield Static("", id="detail-body", markup=False)
        else:
            with Vertical(id="body"):
                yield NotConfigured(self.BACKEND.value)
        yield WatchStrip(id="watch-strip")  # issue 6: connect-when-ready waits, credentials expiring
        yield Footer()

    @property
    def key(self) -> str:
        return next(t.key for t in self.boxdeck.tabs if t.backend is self.BACKEND)

    @property
    def table(self) -> BoxTable:
        return self.query_one(BoxTable)

    def on_mount(self) -> None:
        self.palette = Palette.from_variables(self.app.theme_variables)
        self.query_one(HealthBar).set_palette(self.palette)
        self._sync_health_bar()
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        if not self.configured:
            return
        self._restore_prefs()
        self.snapshot = self.initial_snapshot()
        self._refresh_rows()
        self._refresh_title()
        if self.boxdeck.spinner_interval:
            self._spinner = self.set_interval(self.boxdeck.spinner_interval, self._spin)
        self.set_interval(self.AGE_TICK, self._tick_ages)
        self.table.view_moved = self._ages_soon
        self.set_interval(self.FRESHNESS_TICK, self._tick_freshness)  # issue 6: "updated 2 s ago"
        self.table.focus()

    def _theme_changed(self, _theme: object) -> None:
        self.palette = Palette.from_variables(self.app.theme_variables)
        self.query_one(HealthBar).set_palette(self.palette)
        if self.configured:
            self._refresh_rows(force=True)

    def on_screen_resume(self) -> None:
        if self.configured and self.is_mounted:
            self._tick_ages()
            self.after_rows_changed()

    # ----------------------------------------------------------------- data in
    @on(BoxesChanged)
    def _boxes_changed(self, message: BoxesChanged) -> None:
        if message.diff.backend is not self.BACKEND or not self.configured:
            return
        previous, self.snapshot = self.snapshot, message.diff.snapshot
        if self._continues(previous, message.diff):
            self._patch_rows(message.diff)  # only the rows the diff names
        else:
            self._refresh_rows()  # first load, or a diff not made against what this screen shows
        selected = self.selected_key
        if selected is not None and (
            any(c.key == selected for c in message.diff.changed) or selected in message.diff.details_changed
        ):
            self._refresh_detail()
        self._refresh_bindings_if_changed()

    @on(HealthChanged)
    def _health_changed(self, message: HealthChanged) -> None:
        self.query_one(HealthBar).set_health(message.backend, message.health)
        if self.configured and self.is_current:
            self._show_freshness()  # a poll that failed or recovered shows now, not at the next tick

    @on(ActionFailed)
    def _action_failed(self, message: ActionFailed) -> None:
        self.notify(message.message, severity=message.severity, markup=False, timeout=8)

    def now(self) -> datetime:
        return self.boxdeck.now()

    @property
    def boxes(self) -> Mapping[str, Box]:
        return self.snapshot.boxes if self.snapshot is not None else {}

    def visible_boxes(self) -> dict[str, Box]:
        words = self.filter_text.casefold().split()
        if not words:
            return dict(self.boxes)
        out = {}
        for key, box in self.boxes.items():
            hay = self.search_text(box).casefold()
            if all(w in hay for w in words):
                out[key] = box
        return out

    @staticmethod
    def _continues(previous: Snapshot | None, diff: Diff) -> bool:
        """Was `diff` computed against `previous` (what the rows show now)? Then patching the rows it names
        is enough. Checked on the boxes the diff names, so the cost follows the diff."""
        if previous is None:
            return False
        old = previous.boxes
        return (
            all(old.get(c.key) is c.old for c in diff.changed)
            and all(old.get(b.key) is b for b in diff.removed)
            and all(b.key not in old for b in diff.added)
        )

    def _bindings_state(self) -> tuple[bool | None, ...]:
        return tuple(
            self.check_action(binding.action.partition("(")[0], ())
            for bindings in self._bindings.key_to_bindings.values()
            for binding in bindings
        )

    def refresh_bindings(self) -> None:
        self._bindings_shown = None  # asked from elsewhere (marks, pins, grants): compare afresh next time
        super().refresh_bindings()

    def _refresh_bindings_if_changed(self) -> None:
        """`refresh_bindings()` makes the Footer recompose (new FooterKey widgets, CSS applied: tens of ms),
        so call it only when what the keys allow has changed since the footer last asked."""
        state = self._bindings_state()
        if state != getattr(self, "_bindings_shown", None):
            super().refresh_bindings()
            self._bindings_shown = state

    def _patch_rows(self, diff: Diff) -> None:
        """Apply a poll's diff to the rows it names only (the cost follows the diff, not the table)."""
        table = self.table
        words = self.filter_text.casefold().split()
        rows: dict[str, dict[str, Cell]] = {}
        removed = [box.key for box in diff.removed]
        touched = [c.new for c in diff.changed] + list(diff.added)
        touched += [b for k in diff.details_changed if (b := self.boxes.get(k)) is not None]
        for box in touched:
            if not words or all(w in self.search_text(box).casefold() for w in words):
                rows[box.key] = self.row_cells(box)
            else:
                removed.append(box.key)
        with self.app.batch_update():
            table.patch(self.decorate_rows(rows), removed)
            if self._select_when_present and self._select_when_present in table._cells:
                table.select_key(self._select_when_present)
                self._select_when_present = None
        self._rows_updated(bool(table._cells))

    def _refresh_rows(self, *, force: bool = False) -> None:
        table = self.table
        with self.app.batch_update():
            if force:
                table.clear()
                table._cells.clear()
            rows = {key: self.row_cells(box) for key, box in self.visible_boxes().items()}
            rows = self.decorate_rows(rows)  # issue 6: selection and pin marks (screens/box_keys.py)
            table.sync(rows)
            if self._select_when_present and self._select_when_present in rows:
                table.select_key(self._select_when_present)
                self._select_when_present = None
        self._rows_updated(bool(rows))

    def _rows_updated(self, any_rows: bool) -> None:
        empty = self.query_one("#empty", Static)
        if any_rows:
            empty.display = False
        else:
            empty.display = True
            if self.snapshot is None:
                empty.update(f"Loading {self.plural}…")
            elif self.boxes:
                empty.update(f"No {self.NOUN} matches the filter “{self.filter_text}”. Esc clears it.")
            else:
                empty.update(f"No {self.plural} yet. Press n to create one.")
        self._refresh_title()
        self._refresh_detail()
        self.after_rows_changed()

    @property
    def plural(self) -> str:
        return f"{self.NOUN}es" if self.NOUN.endswith("x") else f"{self.NOUN}s"

    def _refresh_title(self) -> None:
        table = self.table
        shown, total = len(table.keys), len(self.boxes)
        title = Text(f" {self.plural} ", style="bold")
        count = f"{shown}" if shown == total else f"{shown} of {total}"
        title.append(f"{count} ")
        arrow = "▼" if table.sort_reverse else "▲"
        label = next(s.label for s in self.COLUMNS if s.key == table.sort_column)
        sub = Text(f" sort: {label} {arrow} ")
        self._show_freshness()
        if self.filter_text:
            sub.append(f"· filter: {self.filter_text} ")
        table.border_title = title
        table.border_subtitle = sub

    def _spin(self) -> None:
        if not self.is_current:
            return
        self.frame += 1
        table = self.table
        # Only the rows in view: a spinner frame written to a row out of view would still make the table
        # re-render every visible line (DataTable invalidates all its line caches on any cell update). A row
        # scrolled into view gets its frame on the next tick.
        with self.app.batch_update():
            for key in table.visible_keys():
                box = self.boxes.get(key)
                if box is not None and box.kind is StateKind.TRANSITIONAL:
                    table.update_cells(key, {"state": state_cell(box, self.palette, self.frame)})

    def _ages_soon(self) -> None:
        """Other rows came into view: age them shortly after, once, not on every cursor key that scrolls."""
        if self._ages_timer is None and self.is_mounted:
            self._ages_timer = self.set_timer(0.25, self._ages_due)

    def _ages_due(self) -> None:
        self._ages_timer = None
        self._tick_ages()

    def _tick_ages(self) -> None:
        """The age column of the rows in view (and the selected one); other rows' ages are brought up to date
        when they come into view (`BoxTable.view_moved`: scrolled or re-sorted), so a 5,000-row table costs
        the same as a 40-row one. Only cells whose words changed are written."""
        if not self.configured or not self.is_mounted:
            return
        now = self.now()
        table = self.table
        keys = table.visible_keys()
        selected = table.cursor_key
        if selected is not None and selected not in keys:
            keys.append(selected)
        with self.app.batch_update():
            for key in keys:
                box = self.boxes.get(key)
                if box is not None:
                    table.update_cells(key, {"age": age_cell(box.created_at, now)})

    # ----------------------------------------------------------------- selection and detail
    @property
    def selected_key(self) -> str | None:
        if not self.configured:
            return None
        return self.table.cursor_key

    @property
    def selected_box(self) -> Box | None:
        key = self.selected_key
        return self.boxes.get(key) if key else None

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._refresh_detail()
        self._refresh_bindings_if_changed()
        self.after_rows_changed()
        self.selection_settled(self.selected_box)

    @on(DataTable.RowSelected)
    def _row_selected(self, _event: DataTable.RowSelected) -> None:
        # Issue 6: enter connects (screens/box_keys.py); `i` shows the detail pane.
        connect = getattr(self, "action_connect", None)
        if connect is None:
            self.action_detail()
        elif self.check_action("connect", ()):
            connect()
        else:
            box = self.selected_box
            if box is not None:
                self.notify(f"Nothing to connect to: {box.name} is {box.display_state}.", markup=False,
                            severity="warning", timeout=5)

    @on(DataTable.HeaderSelected)
    def _header_selected(self, event: DataTable.HeaderSelected) -> None:
        column = str(event.column_key.value)
        table = self.table
        reverse = not table.sort_reverse if column == table.sort_column else False
        self._sort(column, reverse)

    def _refresh_detail(self) -> None:
        if not self.configured:
            return
        box = self.selected_box
        self.query_one("#detail-body", Static).update(self.render_detail(box))
        detail = self.query_one("#detail")
        detail.border_title = Text(f" {clean(box.name, limit=200)} " if box else " detail ")

    # ----------------------------------------------------------------- actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        command = BY_ACTION.get(action)
        if command is None or command.scope != "boxes":
            return True
        if not self.configured:
            return None
        if command.mutating and self.read_only:
            return None
        if action == "new_box":
            return None if self.actions.refusal("create") else True
        if action in SERVICE_ACTION:
            box = self.selected_box
            if box is None or box.pending or self.actions_for(box).refusal(SERVICE_ACTION[action], box):
                return None
            return self.can(action, box)
        return True

    def action_start(self) -> None:
        self._act("start")

    def action_stop(self) -> None:
        self._act("stop")

    def action_delete(self) -> None:
        box = self.selected_box
        if box is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._act("delete", box)

        # Issue 6: says what is lost (sessions, prompts, repo); typed name when work would be lost.
        self.app.push_screen(DeleteConfirmModal([box], noun=self.NOUN), confirmed)

    def _act(self, verb: str, box: Box | None = None) -> None:
        box = box or self.selected_box
        if box is None:
            return
        self._run_action(verb, box)

    @work(exclusive=False, exit_on_error=False, group="actions")
    async def _run_action(self, verb: str, box: Box) -> None:
        try:
            await getattr(self.actions_for(box), verb)(box)
        except AlreadyInFlight as busy:  # a second press while the first is out: nothing was sent
            self.post_message(ActionFailed(str(busy), severity="warning"))
            return
        except ActionError as error:
            self.post_message(ActionFailed(str(error)))
        self.poll_after_action(box)

    def action_copy_ssh(self) -> None:
        box = self.selected_box
        if box is not None:
            self._fetch_ssh_command(box)

    @work(exclusive=True, exit_on_error=False, group="ssh-command")
    async def _fetch_ssh_command(self, box: Box) -> None:
        try:
            command = await self.actions_for(box).ssh_command(box)
        except ProxyTrustRequired as needed:  # copied only once the user trusts it, as connecting
            self.app.post_message(ProxyTrustAsked(
                needed, lambda trusted: self.post_message(SshCommandFetched(trusted, box)), verb="Copy"
            ))
            return
        except ActionError as error:
            self.post_message(ActionFailed(str(error)))
            return
        self.post_message(SshCommandFetched(command, box))

    def on_ssh_command_fetched(self, message: SshCommandFetched) -> None:
        command = message.command
        where = copy_secret(self.app, command.text, bool(command.secrets))  # a token: cleared in 60 s
        box = message.box
        remember = getattr(self.app, "remember_copied", None)  # issue 6: warned before it expires
        if box is not None and remember is not None:
            remember(box.key, box.name, command)
        self.notify(f"{where}:\n{command.masked()}", title="SSH command", markup=False, timeout=8)

    def action_new_box(self) -> None:
        def created(box: Box | None) -> None:
            if box is not None:
                self._select_when_present = box.key
                if box.key in self.table.keys:
                    self.table.select_key(box.key)
                    self._select_when_present = None
                self.notify(f"Creating {self.NOUN} {box.name}…", markup=False)

        self.app.push_screen(self.new_box_modal(), created)

    def action_refresh(self) -> None:
        self.boxdeck.refresh_now()

    def action_filter(self) -> None:
        filter_input = self.query_one("#filter", Input)
        filter_input.add_class("-active")
        filter_input.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = sanitize(event.value).strip()  # echoed in the subtitle and "No … matches"
        self._remember(filter=self.filter_text)
        self._refresh_rows()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, _event: Input.Submitted) -> None:
        if not self.filter_text:
            self.query_one("#filter", Input).remove_class("-active")
        self.table.focus()

    def action_back(self) -> None:
        if not self.configured:
            return
        if self.has_class("-detail"):
            self.remove_class("-detail")
            self.table.focus()
            return
        filter_input = self.query_one("#filter", Input)
        if filter_input.has_class("-active") or self.filter_text:
            filter_input.value = ""
            filter_input.remove_class("-active")
            self.filter_text = ""
            self._refresh_rows()
            self.table.focus()

    def action_sort_next(self) -> None:
        keys = [s.key for s in self.COLUMNS]
        table = self.table
        nxt = keys[(keys.index(table.sort_column) + 1) % len(keys)]
        self._sort(nxt, False)

    def action_sort_reverse(self) -> None:
        self._sort(self.table.sort_column, not self.table.sort_reverse)

    def _sort(self, column: str, reverse: bool) -> None:
        with self.app.batch_update():
            self.table.set_sort(column, reverse)
            self._refresh_title()
        self._remember(sort=(column, reverse))

    # ----------------------------------------------------------------- issue 6: remembered filter and sort
    def _restore_prefs(self) -> None:
        """The filter and sort this screen had last time (per profile), if the app remembers them."""
        prefs_for = getattr(self.app, "prefs_for", None)
        prefs = prefs_for(self.MODE) if prefs_for is not None else None
        if prefs is None:
            return
        if prefs.sort_column in {s.key for s in self.COLUMNS}:
            self.table.set_sort(prefs.sort_column, prefs.sort_reverse)
        if prefs.filter:
            self.filter_text = sanitize(prefs.filter).strip()
            filter_input = self.query_one("#filter", Input)
            with filter_input.prevent(Input.Changed):
                filter_input.value = prefs.filter
            filter_input.add_class("-active")

    def _remember(self, **changes: object) -> None:
        remember = getattr(self.app, "remember", None)
        if remember is not None:
            remember(self.MODE, **changes)

    def action_detail(self) -> None:
        if self.has_class("-detail"):
            self.remove_class("-detail")
            self.table.focus()
        else:
            self.add_class("-detail")
            self.query_one("#detail").focus()

    # ----------------------------------------------------------------- issue 6: freshness and ETA
    def freshness_label(self) -> Text:
        """The words of the `#freshness` line above the table; `$error` bold when the last poll failed."""
        fresh = self.freshness()
        if fresh.status in ("unconfigured", ""):
            return Text()
        style = f"bold {self.palette.error}" if fresh.failing else ""
        return Text.assemble((fresh.text, style))

    def _show_freshness(self) -> None:
        """Write the freshness words into their own line (not the table's border: changing that repaints
        the whole table), and only when they changed."""
        self._sync_health_bar()
        label = self.freshness_label()
        shown = (label.plain, tuple(str(span.style) for span in label.spans))
        if shown != self._freshness_shown:
            self._freshness_shown = shown
            # A line of fixed size (`#freshness`: height 1): repaint it without re-laying-out the screen.
            self.query_one("#freshness", Static).update(label, layout=False)

    def _sync_health_bar(self) -> None:
        """Give the header the monitor's health and the time as they are now, so it never lags the freshness
        line below it (which reads the monitor directly) while a HealthChanged message is still queued or its
        own tick is due."""
        bar = self.query_one(HealthBar)
        for tab in self.boxdeck.tabs:
            if tab.backend is not None:
                bar.set_health(tab.backend, self.monitor.health(tab.backend))
        bar.tick()

    def _tick_freshness(self) -> None:
        """Every second: only the freshness words change."""
        if not self.configured or not self.is_current:
            return
        self._show_freshness()
        box = self.selected_box
        if box is not None and box.kind is StateKind.TRANSITIONAL:
            self._refresh_detail()  # its ETA counts down

    def eta_line(self, box: Box | None) -> Text | None:
        """The detail pane's ETA for a transitional box; "slower than usual" in the warning colour."""
        if box is None or box.kind is not StateKind.TRANSITIONAL:
            return None
        text, slow = self.eta_for(box)
        if not text:
            return None
        return Text(text, style=f"bold {self.palette.warning}" if slow else "")

    def decorate_rows(self, rows: dict[str, dict[str, Cell]]) -> dict[str, dict[str, Cell]]:
        """Issue 6 hook: marks in the name cell (selected ●, pinned ⏵); see screens/box_keys.py."""
        return rows

    # ----------------------------------------------------------------- helpers for subclasses
    def common_cells(self, box: Box) -> dict[str, Cell]:
        return {
            "state": state_cell(box, self.palette, self.frame),
            "age": age_cell(box.created_at, self.now()),
        }
