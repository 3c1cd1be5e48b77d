"""What the box screens (0 All boxes, 1 Sandboxes, 2 Devboxes) share: the table of boxes with its filter,
sort, marks and pins, the detail pane, the freshness line, and every key that acts on a box.

A screen shows the boxes of some (profile, backend) sources: the main profile's Amika sandboxes, its Devbox
devboxes, or every source of every watched profile. Rows are keyed by the box's key (prefixed with the
profile's name for a watched profile, so one box seen through two profiles is two rows). A subclass says
which sources, its columns, how an entry becomes cells and detail, which actions apply to a box and which
form creates one. Diffs arrive only as `BoxesChanged` messages (forwarded by the App); the handlers below are
the only code that changes the widgets, and a poll's diff touches only the rows it names.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel
from rich.console import RenderableType
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Static

from boxdeck.service.access.ssh_trust import ProxyTrustRequired
from boxdeck.service.access.waits import PIN_MARK, coming_up, quoted, startable
from boxdeck.service.actions.actions import ActionError, AlreadyInFlight
from boxdeck.service.actions.bulk import SELECT_MARK, BulkPlan, plan
from boxdeck.service.actions.confirmation import titled
from boxdeck.service.boxes import Backend, Box, StateKind
from boxdeck.service.monitoring.advice import advice_for
from boxdeck.service.monitoring.freshness import Freshness, freshness, summarize
from boxdeck.service.monitoring.snapshot import Diff, Snapshot
from boxdeck.service.text.details import Field, raw_fields
from boxdeck.service.text.sanitize import sanitize, shown, single_line
from boxdeck.service.text.timefmt import rough_duration
from boxdeck.tui.commands import BY_ACTION, bindings_for
from boxdeck.tui.connect import PinsChanged, ProxyTrustAsked
from boxdeck.tui.context import MAIN, Deck, Profile
from boxdeck.tui.format import Cell, age_cell, clean, field_pairs, raw_pairs, state_cell
from boxdeck.tui.messages import (
    ActionFailed,
    BoxesChanged,
    ConnectRequested,
    OpenInEditorRequested,
    RenewRequested,
    SshCommandFetched,
    StopWaiting,
)
from boxdeck.tui.modals.confirm import ConfirmModal
from boxdeck.tui.modals.delete_confirm import DeleteConfirmModal
from boxdeck.tui.screens.base import DeckScreen
from boxdeck.tui.widgets.box_table import BoxTable, Column, Row
from boxdeck.tui.widgets.detail_pane import DetailPane
from boxdeck.tui.widgets.health_bar import HealthBar, Tab
from boxdeck.tui.widgets.watch_strip import WatchStrip

__all__ = ["BoxesScreen", "Entry", "row_key"]

# Screen action -> the name `Actions.refusal` knows it by.
def sentence(text: str | None) -> str | None:
    """A refusal from the service ("the Devbox API has no start") as a line for the user."""
    if not text:
        return None
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


SERVICE_ACTION = {
    "start": "start", "stop": "stop", "delete": "delete", "copy_ssh": "ssh", "new_box": "create",
}
#: Actions of the box keys that look at the selected box beyond the service's refusal.
BOX_KEYS = frozenset({"connect", "renew", "toggle_mark", "mark_all"})
PROVIDER = {Backend.AMIKA: "Amika", Backend.DEVBOX: "Devbox"}

Source = tuple[str, Backend]


def row_key(profile: str, box: Box) -> str:
    return box.key if profile == MAIN else f"{profile}/{box.key}"


@dataclass(frozen=True, slots=True)
class Entry:
    """One row: a box and the profile it belongs to."""

    profile: str
    box: Box


@dataclass
class BulkFinished(Message, bubble=False):
    """Every action of a bulk stop/delete has answered; `failed` holds (box name, message)."""

    verb: str
    done: list[str]
    failed: list[tuple[str, str]]


class BoxesScreen(DeckScreen):
    MODE: ClassVar[str]
    NOUN: ClassVar[str] = "box"  # "sandbox", "devbox"
    BINDINGS = bindings_for("boxes")
    COLUMNS: ClassVar[tuple[Column, ...]]
    #: The column rows are sorted by at first.
    SORT: ClassVar[str] = "name"
    #: Does `n` create a box here?
    CREATES: ClassVar[bool] = False
    AGE_TICK = 5.0
    FRESHNESS_TICK = 1.0
    HEALTH_TICKS = False  # `_tick_freshness` drives the header

    def __init__(self, deck: Deck, tabs: tuple[Tab, ...]) -> None:
        super().__init__(deck, tabs, id=f"{self.MODE}-screen", classes="boxes-screen")
        self.sources: tuple[Source, ...] = self.sources_of(deck)
        self.configured = bool(self.sources)
        self.snapshots: dict[Source, Snapshot] = {}
        #: The detail pane shows every raw field as the server named it, not the person's view.
        self.raw = False
        self.entries: dict[str, Entry] = {}
        self.marks: set[str] = set()
        self.filter_text = ""
        self.frame = 0
        #: Is the spinner running (a moving box on screen)? Idle screens have no timer firing for it.
        self.spinning = False
        self._select_when_present: str | None = None
        self._settled: Timer | None = None
        self._spinner: Timer | None = None  # runs only while a moving box is on screen
        self._freshness_shown: tuple[str, tuple[str, ...]] | None = None
        self._borders: dict[tuple[int, str], tuple[str, tuple[Any, ...], str]] = {}
        self._bindings_shown: tuple[bool | None, ...] | None = None
        self._watching: frozenset[str] = frozenset()
        self._table = BoxTable(self.COLUMNS, sort_column=self.SORT, id="boxes")

    # ----------------------------------------------------------------- subclass hooks
    def sources_of(self, deck: Deck) -> tuple[Source, ...]:
        """The (profile, backend) pairs whose boxes this screen shows."""
        raise NotImplementedError

    def cells(self, entry: Entry) -> Mapping[str, Cell]:
        """The row's cells by column key (the state and age columns come from `common_cells`)."""
        raise NotImplementedError

    def search_text(self, entry: Entry) -> str:
        return f"{entry.box.name} {entry.box.display_state}"

    def render_detail(self, entry: Entry | None) -> RenderableType:
        raise NotImplementedError

    def can(self, action: str, box: Box) -> bool | None:
        """Does `action` apply to `box`? None dims it."""
        return True

    def new_box_modal(self) -> ModalScreen[Box | None] | None:
        return None

    def after_rows_changed(self) -> None:
        """The rows on screen, or the selection, may have changed."""

    def selection_settled(self, entry: Entry | None) -> None:
        """The cursor moved to another row."""

    # ----------------------------------------------------------------- reading
    @property
    def table(self) -> BoxTable:
        return self._table

    @property
    def plural(self) -> str:
        return f"{self.NOUN}es" if self.NOUN.endswith("x") else f"{self.NOUN}s"

    def profile(self, entry: Entry) -> Profile:
        return self.deck.profile_of_key(entry.profile)

    @property
    def boxes(self) -> dict[str, Box]:
        """Every row's box, by row key."""
        return {key: entry.box for key, entry in self.entries.items()}

    @property
    def selected_key(self) -> str | None:
        return self.table.cursor_key if self.configured else None

    @property
    def selected(self) -> Entry | None:
        key = self.selected_key
        return self.entries.get(key) if key is not None else None

    @property
    def selected_box(self) -> Box | None:
        entry = self.selected
        return entry.box if entry is not None else None

    def entry_of(self, box: Box) -> Entry | None:
        for profile, _backend in self.sources:
            entry = self.entries.get(row_key(profile, box))
            if entry is not None and entry.box.key == box.key:
                return entry
        return None

    def pinned(self, entry: Entry) -> bool:
        return entry.box.key in self.profile(entry).waits

    # ----------------------------------------------------------------- composition
    def compose(self) -> ComposeResult:
        yield from self.header()
        if self.configured:
            with Horizontal(id="body"):
                # "updated 3 s ago" on its own line, docked above the table and the detail: in the table's
                # border its every change would repaint the whole table.
                yield Static("", id="freshness", markup=False)
                with Vertical(id="list"):
                    yield Input(placeholder="filter: name, state, repo   (Esc clears)", id="filter")
                    yield self._table
                    yield Static("", id="empty", markup=False)
                yield DetailPane(id="detail")
        else:
            with Vertical(id="body"):
                yield from self.not_configured()
        yield WatchStrip(self.deck, id="watch-strip")
        yield from self.keys()

    def not_configured(self) -> ComposeResult:
        """What shows instead of the table when no source is configured."""
        raise NotImplementedError

    def on_mount(self) -> None:
        super().on_mount()
        self.every(self.FRESHNESS_TICK, self._tick_freshness)
        if not self.configured:
            return
        if self.deck.spinner_interval:
            self._spinner = self.set_interval(self.deck.spinner_interval, self._spin, pause=True)
        self._restore_prefs()
        for source in self.sources:
            profile, backend = source
            snapshot = self.deck.profile_of_key(profile).monitor.snapshot(backend)
            if snapshot is not None:
                self.snapshots[source] = snapshot
        self._refresh_rows()
        self.every(self.AGE_TICK, self._tick_ages)
        self.table.focus()

    def theme_changed(self) -> None:
        if self.configured:
            self._refresh_rows()
            self._refresh_detail(force=True)

    def on_screen_resume(self) -> None:
        """Shown again: its timers run again (`every`); what went stale while hidden is redrawn now."""
        self._tick_freshness()
        if self.configured and self.is_mounted:
            self._tick_ages()
            self.after_rows_changed()
            self._spin_if_moving()

    def on_screen_suspend(self) -> None:
        """Hidden: what it asked to be fetched for the rows it showed is no longer needed, and nothing on it
        ticks."""
        self.unwatch()
        self._stop_spinner()

    def unwatch(self) -> None:
        """Drop the details this screen asked to be fetched (devboxes' steps and repositories)."""

    # ----------------------------------------------------------------- data in
    @on(BoxesChanged)
    def _boxes_changed(self, message: BoxesChanged) -> None:
        source = (message.profile, message.diff.backend)
        if source not in self.sources or not self.is_mounted:
            return
        diff = message.diff
        previous = self.snapshots.get(source)
        self.snapshots[source] = diff.snapshot
        if self._continues(previous, diff):
            self._patch(message.profile, diff)
        else:
            self._refresh_rows()  # first load, or a diff not made against what this screen shows
        entry = self.selected
        if entry is not None and entry.profile == message.profile and (
            any(c.key == entry.box.key for c in diff.changed) or entry.box.key in diff.details_changed
        ):
            self._refresh_detail()
        self._refresh_bindings_if_changed()

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

    def _patch(self, profile: str, diff: Diff) -> None:
        """Apply a diff to the rows it names only (the cost follows the diff, not the table)."""
        removed = [row_key(profile, box) for box in diff.removed]
        for key in removed:
            self.entries.pop(key, None)
        touched = [c.new for c in diff.changed] + list(diff.added)
        touched += [b for k in diff.details_changed if (b := diff.snapshot.boxes.get(k)) is not None]
        rows = {}
        for box in touched:
            key = row_key(profile, box)
            entry = self.entries[key] = Entry(profile, box)
            rows[key] = self.row(key, entry)
        self.table.patch(rows, removed)
        self._rows_updated()

    def _refresh_rows(self) -> None:
        entries: dict[str, Entry] = {}
        for (profile, _backend), snapshot in self.snapshots.items():
            for box in snapshot.boxes.values():
                entries[row_key(profile, box)] = Entry(profile, box)
        self.entries = entries
        self.table.replace({key: self.row(key, entry) for key, entry in entries.items()})
        self._rows_updated()

    def row(self, key: str, entry: Entry) -> Row:
        """A row of the table: the cells, the words a filter looks in, and whether it goes first (pinned)."""
        cells = {**self.common_cells(entry), **self.cells(entry)}
        pinned = self.pinned(entry)
        lead = (SELECT_MARK if key in self.marks else "") + (PIN_MARK if pinned else "")
        if lead:
            name = cells["name"]
            cells["name"] = Cell(name.text, name.style, name.sort_key, lead=lead,
                                 lead_style=f"bold {self.palette.accent}")
        return Row(tuple(cells[c.key] for c in self.COLUMNS), self.search_text(entry).casefold(), pinned)

    def common_cells(self, entry: Entry) -> dict[str, Cell]:
        return {
            "state": state_cell(entry.box, self.palette, self.frame),
            "age": age_cell(entry.box.created_at, self.now()),
        }

    def _rows_updated(self) -> None:
        self._spin_if_moving()
        table = self.table
        if self._select_when_present is not None and table.rows.shows(self._select_when_present):
            table.select_key(self._select_when_present)
            self._select_when_present = None
        empty = self.query_one("#empty", Static)
        if table.row_count:
            empty.display = False
        else:
            empty.display = True
            if not self.snapshots:
                empty.update(self._why_empty())
            elif self.entries:
                empty.update(f"No {self.NOUN} matches the filter “{self.filter_text}”. Esc clears it.")
            else:
                empty.update(f"No {self.plural} yet." + (" Press n to create one." if self.CREATES else ""))
        self._refresh_title()
        self._refresh_detail()
        self.after_rows_changed()

    def _why_empty(self) -> Text:
        """Before the first list: loading, or why it failed and what to check (a wrong token must not look
        like a slow start)."""
        out = Text()
        for profile_key, backend in self.sources:
            profile = self.deck.profile_of_key(profile_key)
            settings = profile.service.settings
            backend_settings = settings.amika if backend is Backend.AMIKA else settings.devbox
            health = profile.monitor.health(backend)
            advice = advice_for(backend, health, url=backend_settings.url if backend_settings else "?",
                                profile=settings.profile)
            if advice is None:
                continue
            if out:
                out.append("\n\n")
            out.append(advice.headline + "\n", style=f"bold {self.palette.error}")
            out.append(advice.said + "\n")
            out.append(advice.check + "\n")
            delay = profile.monitor.next_delay(backend)
            again = f"Trying again in about {rough_duration(delay)}; press r to try now."
            out.append(again, style=self.palette.muted)
        return out or Text(f"Loading {self.plural}…")

    def _refresh_title(self) -> None:
        table = self.table
        shown_rows, total = table.row_count, len(self.entries)
        title = Text(f" {self.plural} ", style="bold")
        title.append(f"{shown_rows} " if shown_rows == total else f"{shown_rows} of {total} ")
        sub = Text(f" {self.filter_hint()} ")
        if self.filter_text:
            sub = Text(f" filter: {self.filter_text} ")
        self._set_border(table, "border_title", title)
        self._set_border(table, "border_subtitle", sub)
        self._show_freshness()

    def _set_border(self, widget: Widget, which: str, text: Text) -> None:
        """Set a border's words (`which` is "border_title" or "border_subtitle") only when they changed:
        Textual repaints the whole widget on every set, and reads a title back as markup, never equal to the
        Text that was set (so comparing with it would repaint the table and the detail on every poll)."""
        key = (id(widget), which)
        drawn = (text.plain, tuple(text.spans), str(text.style))
        if self._borders.get(key) != drawn:
            self._borders[key] = drawn
            setattr(widget, which, text)

    def filter_hint(self) -> str:
        return "/ filter · o sort"

    # ----------------------------------------------------------------- what changes with time
    def _spin(self) -> None:
        self.frame += 1
        table = self.table
        moving = False
        for key in table.visible_keys():
            entry = self.entries.get(key)
            if entry is not None and entry.box.kind is StateKind.TRANSITIONAL:
                moving = True
                table.set_cells(key, {"state": state_cell(entry.box, self.palette, self.frame)})
        if not moving or not self.is_current:
            self._stop_spinner()

    def _stop_spinner(self) -> None:
        self.spinning = False
        if self._spinner is not None:
            self._spinner.pause()

    def _spin_if_moving(self) -> None:
        """Start the spinner when a box on its way somewhere is on screen (it stops itself when none is)."""
        timer = self._spinner
        if timer is None or self.spinning or not self.is_current:
            return
        entries, kind = self.entries, StateKind.TRANSITIONAL
        if any((e := entries.get(k)) is not None and e.box.kind is kind for k in self.table.visible_keys()):
            self.spinning = True
            timer.resume()

    def _tick_ages(self) -> None:
        """The age column of the rows on screen: only cells whose words changed are written (and only their
        rows repainted); rows scrolled into view are aged when they come (`ViewMoved`)."""
        if not self.configured or not self.is_mounted:
            return
        now = self.now()
        table = self.table
        for key in table.visible_keys():
            entry = self.entries.get(key)
            if entry is not None:
                table.set_cells(key, {"age": age_cell(entry.box.created_at, now)})

    @on(BoxTable.ViewMoved)
    def _view_moved(self, _message: BoxTable.ViewMoved) -> None:
        self._tick_ages()
        self.after_rows_changed()
        self._spin_if_moving()

    def freshness(self) -> Freshness:
        items = []
        on_time = 0.0
        for profile_key, backend in self.sources:
            profile = self.deck.profile_of_key(profile_key)
            label = PROVIDER[backend] + (f" ({profile.label})" if self.deck.several and not profile.is_main
                                         else "")
            items.append((label, profile.monitor.health(backend)))
            on_time = max(on_time, profile.monitor.on_schedule)
        if len(items) == 1:
            return freshness(items[0][1], self.now(), on_time=on_time)
        return summarize(items, self.now(), on_time=on_time)

    def freshness_label(self) -> Text:
        """The words of the `#freshness` line; `$error` bold when the last poll failed."""
        fresh = self.freshness()
        if fresh.status in ("unconfigured", ""):
            return Text()
        return Text.assemble((fresh.text, f"bold {self.palette.error}" if fresh.failing else ""))

    def _show_freshness(self) -> None:
        """Write the freshness words into their line, and only when they changed; the header says the same."""
        self.query_one(HealthBar).sync()
        label = self.freshness_label()
        shown_now = (label.plain, tuple(str(span.style) for span in label.spans))
        if shown_now != self._freshness_shown:
            self._freshness_shown = shown_now
            # A line of fixed size (height 1): repainted without laying the screen out again.
            self.query_one("#freshness", Static).update(label, layout=False)

    def health_changed(self, backend: Backend) -> None:
        if self.configured and not self.snapshots:
            self._rows_updated()  # the empty table says why nothing came
        if self.configured and self.is_current:
            self._show_freshness()  # a poll that failed or recovered shows now, not at the next tick

    def _tick_freshness(self) -> None:
        """Every second while shown: the header's and the freshness line's words and the watch strip (one
        frame for all), and the detail of a box on its way up (its ETA counts)."""
        if not self.is_current:
            return
        self.query_one(WatchStrip).update_strip()
        if not self.configured:
            self.query_one(HealthBar).tick()
            return
        self._show_freshness()
        box = self.selected_box
        if box is not None and box.kind is StateKind.TRANSITIONAL:
            self._refresh_detail()

    # ----------------------------------------------------------------- selection and detail
    @on(BoxTable.CursorMoved)
    def _cursor_moved(self, _message: BoxTable.CursorMoved) -> None:
        self._refresh_detail()
        self._refresh_bindings_if_changed()
        self.after_rows_changed()
        self.selection_settled(self.selected)

    @on(BoxTable.Selected)
    def _row_selected(self, _message: BoxTable.Selected) -> None:
        if self.check_action("connect", ()):
            self.action_connect()
            return
        box = self.selected_box
        if box is not None:
            self.notify(f"Nothing to connect to: {quoted(box.name)} is {shown(box.display_state)}.",
                        markup=False, severity="warning", timeout=5)

    @on(BoxTable.HeaderClicked)
    def _header_clicked(self, message: BoxTable.HeaderClicked) -> None:
        table = self.table
        reverse = not table.sort_reverse if message.column == table.sort_column else False
        self._sort(message.column, reverse)

    def detail_key(self, entry: Entry) -> Hashable:
        """What the detail depends on besides the box itself: the same key means the same picture."""
        transitional = entry.box.kind is StateKind.TRANSITIONAL
        return (int(self.now().timestamp() // self.AGE_TICK), self.frame if transitional else 0)

    def _refresh_detail(self, *, force: bool = False) -> None:
        if not self.configured:
            return
        entry = self.selected
        pane = self.query_one(DetailPane)
        key = None if force else (
            ("none",) if entry is None else (id(entry.box), id(self.detail_of(entry)), self.detail_key(entry),
                                             self.palette, self.raw)
        )
        if key is None or key != pane.key:
            pane.show(self.render_detail(entry), key, subject=self.selected_key)
        title = Text(f" {shown(entry.box.name)[:200]} " if entry else " detail ")
        self._set_border(pane, "border_title", title)

    def detail_pairs(self, entry: Entry, fields: Iterable[Field], model: BaseModel,
                     *, skip: Collection[str] = ()) -> list[tuple[str, str | Text]]:
        """The labelled lines of the detail pane: the person's view, or every raw field (`I` toggles); an
        action in flight and the ETA of a box on its way up come first in both."""
        box, now = entry.box, self.now()
        first: list[tuple[str, str | Text]] = []
        eta = self.eta_line(entry)
        if eta is not None:
            first.append(("ETA", eta))
        if box.pending:
            first.append(("Pending", Text(f"{box.pending}…", style=self.palette.warning)))
        if self.raw:
            raw = raw_pairs(((name, value) for name, value in raw_fields(model) if name not in skip), now)
            return first + raw
        state = Text(clean(box.display_state), style=self.palette.for_kind(box.kind))
        return [*first, ("State", state), *field_pairs(fields, now)]

    def action_toggle_raw(self) -> None:
        self.raw = not self.raw
        self._refresh_detail(force=True)

    def detail_of(self, entry: Entry) -> object:
        """The extra data the detail shows (a devbox's steps), for `detail_key`."""
        return None

    # ----------------------------------------------------------------- the keys
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
        """Tell the keys line only when what the keys allow changed since it last asked."""
        state = self._bindings_state()
        if state != self._bindings_shown:
            super().refresh_bindings()
            self._bindings_shown = state

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        command = BY_ACTION.get(action)
        if command is None or command.scope not in ("boxes", self.COMMAND_SCOPE):
            return True
        return None if self.why_not(action) is not None else True

    def why_not(self, action: str) -> str | None:
        """Why a box key does not apply now (it is dimmed, and says this when pressed); None when it does."""
        command = BY_ACTION.get(action)
        if command is None or command.scope not in ("boxes", self.COMMAND_SCOPE):
            return None
        if not self.configured:
            return f"{self.plural.capitalize()} are not configured: this screen says how."
        if command.mutating and self.read_only:
            return self.deck.read_only_reason()
        if action in ("stop", "delete") and self.live_marks():
            chosen = self.bulk_plan(action)
            return None if chosen.apply else f"None of the selected boxes can be: {chosen.summary()}."
        if action == "new_box":
            if not self.CREATES:
                return "Boxes are created on their own screens: 1 for a sandbox, 2 for a devbox."
            return sentence(self.deck.main.actions.refusal("create"))
        entry = self.selected
        if action in SERVICE_ACTION:
            if entry is None:
                return f"No {self.NOUN} selected."
            box = entry.box
            if box.pending:
                return f"{quoted(box.name)} is busy ({self._state_of(box)}); wait a moment."
            refusal = self.profile(entry).actions.refusal(SERVICE_ACTION[action], box)
            if refusal:
                return sentence(refusal)
            if self.can(action, box):
                return None
            return f"{command.label} does not apply to {quoted(box.name)} while it is {self._state_of(box)}."
        if action in ("toggle_mark", "mark_all"):
            return None if self.table.row_count else f"No {self.plural} to select."
        if action == "renew":
            if entry is None:
                return "SSH access is renewed for a ready box: select one."
            if entry.box.kind is not StateKind.READY:
                return f"{quoted(entry.box.name)} is {self._state_of(entry.box)}: no SSH access to renew."
            refusal = self.profile(entry).actions.refusal("ssh", entry.box)
            if refusal is not None:
                return sentence(refusal)
            return None if entry.profile == MAIN else "Renew works on the current profile's boxes."
        if action == "connect":
            if entry is None:
                return f"No {self.NOUN} selected."
            if self._can_connect(entry):
                return None
            return f"Nothing to connect to: {quoted(entry.box.name)} is {self._state_of(entry.box)}."
        if action == "open_editor":
            return self._why_not_open(entry)
        return self.view_refusal(action, entry)

    @staticmethod
    def _state_of(box: Box) -> str:
        return shown(single_line(box.display_state, limit=40))

    def view_refusal(self, action: str, entry: Entry | None) -> str | None:
        """Why one of the screen's own keys (agent prompt, sessions) does not apply now; None when it does."""
        return None

    def _can_connect(self, entry: Entry | None) -> bool | None:
        if entry is None:
            return None
        box = entry.box
        if self.pinned(entry) or box.kind is StateKind.READY or coming_up(box):
            return True
        if startable(box) and self.profile(entry).actions.refusal("start", box) is None:
            return True
        return None

    # ----------------------------------------------------------------- connect
    def action_connect(self) -> None:
        entry = self.selected
        if entry is None:
            return
        box = entry.box
        name = quoted(box.name)
        state = single_line(box.display_state, limit=40)
        if self.pinned(entry):
            self._offer_stop_waiting(entry)
        elif box.kind is StateKind.READY:
            self.post_message(ConnectRequested(box, entry.profile))
        elif entry.profile != MAIN:
            self.notify(f"{name} is {state}: connect when ready waits for the current profile's boxes only.",
                        severity="warning", markup=False)
        elif coming_up(box):
            self._ask(
                f"Connect to {self.NOUN} {single_line(box.name, limit=60)} when it is ready?",
                f"{name} is {state}. boxdeck pins it to the top, shows its progress, and the moment it is "
                "ready rings the bell and opens SSH here. Enter on it again (or Esc) stops waiting.",
                "Wait and connect",
                lambda: self.post_message(ConnectRequested(box, entry.profile, wait=True)),
            )
        elif startable(box):
            refusal = self.profile(entry).actions.refusal("start", box)
            if refusal:
                self.notify(f"Can't start {name}: {refusal}", severity="warning", markup=False)
                return
            self._ask(
                f"Start sandbox {single_line(box.name, limit=60)} and connect when ready?",
                f"{name} is stopped. boxdeck starts it, pins it to the top, and opens SSH here the moment it "
                "is ready (with a bell).",
                "Start and connect",
                lambda: self.post_message(ConnectRequested(box, entry.profile, wait=True, start=True)),
            )
        else:
            self.notify(f"Nothing to connect to: {name} is {state}.", severity="warning", markup=False)

    def _why_not_open(self, entry: Entry | None) -> str | None:
        if entry is None:
            return f"No {self.NOUN} selected."
        box = entry.box
        if box.kind is StateKind.READY:
            return None
        if entry.profile == MAIN and coming_up(box) and not self.pinned(entry):
            return None
        return f"Nothing to open in an editor: {quoted(box.name)} is {self._state_of(box)}."

    def action_open_editor(self, editor: str = "") -> None:
        """Open the box in an editor over SSH; on a box on its way up, offer to open it when it is ready."""
        entry = self.selected
        if entry is None:
            return
        box = entry.box
        if box.kind is StateKind.READY:
            self.post_message(OpenInEditorRequested(box, entry.profile, editor or None))
        elif entry.profile == MAIN and coming_up(box):
            self._ask(
                f"Open {self.NOUN} {single_line(box.name, limit=60)} in your editor when it is ready?",
                f"{quoted(box.name)} is {single_line(box.display_state, limit=40)}. boxdeck pins it to the "
                "top and opens it in your editor the moment it is ready. Esc on it stops waiting.",
                "Wait and open",
                lambda: self.post_message(
                    OpenInEditorRequested(box, entry.profile, editor or None, wait=True)
                ),
            )
        else:
            self.notify(f"Nothing to open: {quoted(box.name)} is not ready.", severity="warning",
                        markup=False)

    def _offer_stop_waiting(self, entry: Entry) -> None:
        box = entry.box
        self._ask(
            f"Stop waiting for {single_line(box.name, limit=60)}?",
            f"boxdeck will no longer connect to {quoted(box.name)} when it is ready. The box itself is not "
            "changed.",
            "Stop waiting",
            lambda: self.post_message(StopWaiting(box, entry.profile)),
        )

    def _ask(self, title: str, body: str, label: str, then: Callable[[], object]) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self.app.push_screen(ConfirmModal(title, body, confirm_label=label), answered)

    @on(PinsChanged)
    def _pins_changed(self, _message: PinsChanged) -> None:
        if self.configured and self.is_mounted:
            self._refresh_rows()
            self.refresh_bindings()

    def action_renew(self) -> None:
        entry = self.selected
        if entry is not None:
            self.post_message(RenewRequested(entry.box, entry.profile))

    # ----------------------------------------------------------------- start, stop, delete
    def action_start(self) -> None:
        self._act("start")

    def action_stop(self) -> None:
        if self.live_marks():
            self._bulk("stop")
        else:
            self._act("stop")

    def action_delete(self) -> None:
        if self.live_marks():
            self._bulk("delete")
            return
        entry = self.selected
        if entry is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._run_action("delete", entry)

        # Says what is lost (sessions, prompts, repo); a typed name when work would be lost.
        self.app.push_screen(DeleteConfirmModal([entry.box], self.deck, self.profile(entry), noun=self.NOUN),
                             confirmed)

    def _act(self, verb: str) -> None:
        entry = self.selected
        if entry is not None:
            self._run_action(verb, entry)

    @work(exclusive=False, exit_on_error=False, group="actions")
    async def _run_action(self, verb: str, entry: Entry) -> None:
        actions = self.profile(entry).actions
        action: Callable[[Box], Any] = {"start": actions.start, "stop": actions.stop,
                                        "delete": actions.delete}[verb]
        try:
            await action(entry.box)
        except AlreadyInFlight as busy:  # a second press while the first is out: nothing was sent
            self.post_message(ActionFailed(str(busy), severity="warning"))
            return
        except ActionError as error:
            self.post_message(ActionFailed(str(error)))
        self.deck.poller.poll_now(entry.profile, entry.box.backend)

    # ----------------------------------------------------------------- copy
    def action_copy_ssh(self) -> None:
        entry = self.selected
        if entry is not None:
            self._fetch_ssh_command(entry)

    @work(exclusive=True, exit_on_error=False, group="ssh-command")
    async def _fetch_ssh_command(self, entry: Entry) -> None:
        box = entry.box
        try:
            command = await self.profile(entry).actions.ssh_command(box)
        except ProxyTrustRequired as needed:  # copied only once the user trusts it, as connecting
            self.post_message(ProxyTrustAsked(
                needed, lambda trusted: self.post_message(SshCommandFetched(trusted, box)), verb="Copy"
            ))
            return
        except ActionError as error:
            self.post_message(ActionFailed(str(error)))
            return
        self.post_message(SshCommandFetched(command, box))

    @on(SshCommandFetched)
    def _ssh_command_fetched(self, message: SshCommandFetched) -> None:
        command = message.command
        where = self.deck.clipboard.copy(command.text, secret=bool(command.secrets))
        if message.box is not None:  # warned before it expires
            self.deck.remember_copied(message.box.key, message.box.name, command.expires_at)
        self.notify(f"{where}:\n{command.masked()}", title="SSH command", markup=False, timeout=8)

    # ----------------------------------------------------------------- create, refresh
    def action_new_box(self) -> None:
        modal = self.new_box_modal()
        if modal is not None:
            self.app.push_screen(modal, self.show_created)

    def show_created(self, box: Box | None) -> None:
        """A form made `box` (None: cancelled): select its row, now or once it is listed."""
        if box is None:
            return
        key = row_key(MAIN, box)
        self._select_when_present = key
        if self.table.rows.shows(key):
            self.table.select_key(key)
            self._select_when_present = None
        self.notify(f"Creating {self.NOUN} {shown(box.name)}…", markup=False)

    def action_refresh(self) -> None:
        for profile, backend in self.sources:
            self.deck.poller.poll_now(profile, backend)

    # ----------------------------------------------------------------- filter and sort
    def action_filter(self) -> None:
        filter_input = self.query_one("#filter", Input)
        filter_input.add_class("-active")
        filter_input.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._set_filter(sanitize(event.value).strip())

    def _set_filter(self, text: str) -> None:
        self.filter_text = text  # echoed in the subtitle and "No … matches"
        self.deck.remember(self.MODE, filter=text)
        self.table.set_filter(text)
        self._rows_updated()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, _event: Input.Submitted) -> None:
        if not self.filter_text:
            self.query_one("#filter", Input).remove_class("-active")
        self.table.focus()

    def show_box(self, key: str) -> None:
        """Put the cursor on a box (the palette's "go to"); a filter that hides it is cleared."""
        if key in self.entries and not self.table.rows.shows(key):
            filter_input = self.query_one("#filter", Input)
            with filter_input.prevent(Input.Changed):
                filter_input.value = ""
            filter_input.remove_class("-active")
            self._set_filter("")
        self._select_when_present = key
        if self.table.rows.shows(key):
            self.table.select_key(key)
            self._select_when_present = None
        self.table.focus()

    def action_back(self) -> None:
        if not self.configured:
            return
        filter_input = self.query_one("#filter", Input)
        if self.has_class("-detail"):
            self.remove_class("-detail")
            self.table.focus()
        elif self.live_marks():
            self.marks.clear()
            self._marks_changed()
        elif filter_input.has_class("-active") or self.filter_text:
            with filter_input.prevent(Input.Changed):
                filter_input.value = ""
            filter_input.remove_class("-active")
            self._set_filter("")
            self.table.focus()
        elif (entry := self.selected) is not None and self.pinned(entry):
            self._offer_stop_waiting(entry)

    def action_sort_next(self) -> None:
        keys = [c.key for c in self.COLUMNS]
        table = self.table
        self._sort(keys[(keys.index(table.sort_column) + 1) % len(keys)], False)

    def action_sort_reverse(self) -> None:
        self._sort(self.table.sort_column, not self.table.sort_reverse)

    def _sort(self, column: str, reverse: bool) -> None:
        self.table.set_sort(column, reverse)
        self._refresh_title()
        self.deck.remember(self.MODE, sort=(column, reverse))

    def _restore_prefs(self) -> None:
        """The filter and sort this screen had last time (per profile)."""
        prefs = self.deck.screen_prefs(self.MODE)
        if prefs is None:
            return
        if prefs.sort_column in {c.key for c in self.COLUMNS}:
            self.table.set_sort(prefs.sort_column, prefs.sort_reverse)
        if prefs.filter:
            self.filter_text = sanitize(prefs.filter).strip()
            self.table.set_filter(self.filter_text)
            filter_input = self.query_one("#filter", Input)
            with filter_input.prevent(Input.Changed):
                filter_input.value = prefs.filter
            filter_input.add_class("-active")

    def action_detail(self) -> None:
        if self.has_class("-detail"):
            self.remove_class("-detail")
            self.table.focus()
        else:
            self.add_class("-detail")
            self.query_one(DetailPane).focus()

    # ----------------------------------------------------------------- marks and bulk stop/delete
    def live_marks(self) -> set[str]:
        """The selection, minus rows that disappeared (the cost follows the selection: this is asked for
        the keys line on every cursor move)."""
        gone = [key for key in self.marks if key not in self.entries]
        self.marks.difference_update(gone)
        return self.marks

    def _marks_changed(self) -> None:
        if self.configured:
            self._refresh_rows()
            self.refresh_bindings()

    def action_toggle_mark(self) -> None:
        key = self.selected_key
        if key is not None:
            self.marks.symmetric_difference_update({key})
            self._marks_changed()

    def action_mark_all(self) -> None:
        shown_keys = set(self.table.ordered_keys())
        if shown_keys <= self.marks:
            self.marks -= shown_keys  # all shown already selected: `*` again unselects them
        else:
            self.marks |= shown_keys
        self._marks_changed()

    def bulk_plan(self, verb: str, keys: Iterable[str] | None = None) -> BulkPlan:
        chosen = self.marks if keys is None else set(keys)
        entries = sorted((self.entries[k] for k in chosen if k in self.entries),
                         key=lambda e: e.box.name.casefold())
        by_box = {id(e.box): e for e in entries}

        def applies(box: Box) -> bool:
            entry = by_box[id(box)]
            if box.pending is not None or self.profile(entry).actions.refusal(verb, box) is not None:
                return False
            return bool(self.can(verb, box))

        return plan(verb, [e.box for e in entries], applies)

    def _bulk(self, verb: str) -> None:
        chosen = self.bulk_plan(verb)
        summary = chosen.summary()
        if not chosen.apply:
            self.notify(f"Nothing to do: {summary}.", severity="warning", markup=False)
            return
        keys = {k for k in self.marks if self.entries[k].box in chosen.apply}
        skipped = ""
        if chosen.skip:
            skipped = "Skipped: " + ", ".join(
                f"{single_line(b.name, limit=40)} ({why})" for b, why in chosen.skip
            )

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            fresh = self.bulk_plan(verb, keys)  # only what still applies now: nothing twice
            self.marks.clear()  # used up (skipped ones too): the next key acts on the highlighted row
            self._marks_changed()
            if fresh.apply:
                self._run_bulk(verb, [self.entry_of(b) for b in fresh.apply])

        if verb == "delete":
            profile = self.deck.main
            self.app.push_screen(DeleteConfirmModal(chosen.apply, self.deck, profile, noun=self.NOUN,
                                                    skipped=skipped), confirmed)
            return
        names = "\n".join(f"  • {single_line(b.name, limit=60)}" for b in chosen.apply)
        body = f"{names}\n{skipped}".rstrip()
        title = titled(verb, self.NOUN, [b.name for b in chosen.apply])
        self.app.push_screen(ConfirmModal(title, body, confirm_label=verb.capitalize()), confirmed)

    @work(exclusive=False, exit_on_error=False, group="bulk")
    async def _run_bulk(self, verb: str, entries: list[Entry | None]) -> None:
        todo = [e for e in entries if e is not None]

        async def one(entry: Entry) -> str | None:
            actions = self.profile(entry).actions
            try:
                await (actions.stop if verb == "stop" else actions.delete)(entry.box)
            except AlreadyInFlight:
                return None  # already on its way: counts as done
            except ActionError as error:
                return str(error)
            return None

        results = await asyncio.gather(*(one(e) for e in todo))
        done = [e.box.name for e, error in zip(todo, results, strict=True) if error is None]
        failed = [(e.box.name, error) for e, error in zip(todo, results, strict=True) if error is not None]
        self.post_message(BulkFinished(verb, done, failed))
        for entry in todo:
            self.deck.poller.poll_now(entry.profile, entry.box.backend)

    @on(BulkFinished)
    def _bulk_finished(self, message: BulkFinished) -> None:
        for _name, error in message.failed:
            self.notify(error, title=f"Bulk {message.verb}", severity="error", markup=False, timeout=10)
        total = len(message.done) + len(message.failed)
        verb = {"stop": "Stopping", "delete": "Deleting"}.get(message.verb, message.verb)
        text = f"{verb} {len(message.done)} of {total} {self.plural}"
        if message.failed:
            text += f"; {len(message.failed)} failed"
        self.notify(text + ".", title=f"Bulk {message.verb}",
                    severity="warning" if message.failed else "information", markup=False, timeout=8)

    # ----------------------------------------------------------------- helpers for subclasses
    def eta_line(self, entry: Entry) -> Text | None:
        """The detail pane's ETA for a box on its way up; "slower than usual" in the warning colour."""
        text, slow = self.profile(entry).eta_of(entry.box, self.now())
        if not text:
            return None
        return Text(text, style=f"bold {self.palette.warning}" if slow else "")
