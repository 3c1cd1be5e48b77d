"""Screen 2: the main profile's Latitude devboxes, with provisioning shown step by step; `v` shows a devbox's
exec and access sessions."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from datetime import datetime
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult

from boxdeck.api.devbox_models import OPERATION_STEPS
from boxdeck.service.access.waits import quoted
from boxdeck.service.boxes import Backend, Box, StateKind
from boxdeck.service.monitoring.provisioning import ordered_operations, progress
from boxdeck.service.monitoring.snapshot import DevboxDetail
from boxdeck.service.text.details import devbox_fields
from boxdeck.tui.commands import bindings_for
from boxdeck.tui.context import MAIN, Deck
from boxdeck.tui.format import SPINNER, Cell, Palette, clean, duration, field_lines, text_cell
from boxdeck.tui.modals.new_devbox_full import NewDevboxFullModal
from boxdeck.tui.screens.boxes import BoxesScreen, Entry, Source
from boxdeck.tui.widgets.not_configured import NotConfigured
from boxdeck.tui.widgets.rows import Column

__all__ = ["DevboxesScreen", "devbox_can", "progress_cell", "repositories", "stepper"]


def devbox_can(action: str, box: Box) -> bool | None:
    """Which box actions apply to a devbox in its state (None: dimmed).

    The Devbox API has no start or stop.
    """
    if action in ("start", "stop"):
        return None
    if action == "copy_ssh":
        return True if box.kind is StateKind.READY else None
    if action == "delete":
        return True if box.kind is not StateKind.GONE else None
    return True


def progress_cell(detail: DevboxDetail | None, palette: Palette) -> Cell:
    """The provisioning step as a cell: failed first, then busy, then done, when sorted."""
    label, kind = progress(detail)
    colours = {"failed": f"bold {palette.error}", "busy": palette.warning, "done": palette.success}
    colour = colours.get(kind, "")
    order = {"failed": 0, "busy": 1, "done": 2}.get(kind, 3)
    return Cell(label or "-", style=colour, sort_key=(order, label))


def stepper(detail: DevboxDetail | None, now: datetime, palette: Palette, frame: int) -> Table:
    """Each provisioning step: status icon, name, how long it took (until the next step began, or until now
    while it runs) and its message."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True, justify="right")
    grid.add_column(overflow="fold")
    ops = ordered_operations(detail)
    by_step = {op.step: op for op in ops}
    steps = list(OPERATION_STEPS) + [op.step for op in ops if op.step not in OPERATION_STEPS]
    for step in steps:
        op = by_step.get(step)
        if op is None:
            grid.add_row(Text(" ·", style=palette.muted), Text(clean(step), style=palette.muted), Text(""),
                         Text("waiting", style=palette.muted))
            continue
        icon, colour = {
            "success": ("✓", palette.success),
            "failed": ("✗", palette.error),
            "deleted": ("·", palette.muted),
        }.get(op.status, (SPINNER[frame % len(SPINNER)], palette.warning))
        later = [o.created_at for o in ops[ops.index(op) + 1 :] if o.created_at is not None]
        took = ""
        if op.created_at is not None:
            if later:
                took = duration((later[0] - op.created_at).total_seconds())
            elif op.status not in ("success", "failed", "deleted"):
                took = duration((now - op.created_at).total_seconds())
        grid.add_row(
            Text(f" {icon}", style=f"bold {colour}"),
            Text(clean(step), style="bold" if op.status != "success" else ""),
            Text(took),
            Text(clean(op.message) or clean(op.status), style=colour if op.status == "failed" else ""),
        )
    return grid


def repositories(detail: DevboxDetail | None, palette: Palette) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    if detail is None or not detail.repositories:
        grid.add_row(Text(""), Text("none", style=palette.muted))
        return grid
    for repo in detail.repositories:
        status = clean(repo.clone_status) or "unknown"
        failed = "fail" in status.lower() or bool(repo.clone_error)
        ok = status.lower() in ("success", "cloned", "done", "complete", "completed")
        if failed:
            icon, colour = "✗", palette.error
        else:
            icon, colour = ("✓", palette.success) if ok else ("…", palette.warning)
        line = Text()
        line.append(clean(repo.full_name), style="bold")
        ref = clean(repo.ref)
        if ref:
            line.append(f"@{ref}")
        target = clean(repo.target_path)
        if target:
            line.append(f" → {target}")
        line.append(f"  {status}", style=colour)
        if repo.clone_error:
            line.append(f"\n{clean(repo.clone_error)}", style=f"bold {palette.error}")
        grid.add_row(Text(f" {icon}", style=f"bold {colour}"), line)
    return grid



class DevboxesScreen(BoxesScreen):
    BINDINGS = bindings_for("devboxes")
    COMMAND_SCOPE = "devboxes"
    TAB_KEY = "2"
    MODE = "devboxes"
    NOUN = "devbox"
    CREATES = True
    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("name", "name", 12, flex=True),
        Column("state", "state", 10),
        Column("progress", "step", 10, max_width=26),
        Column("age", "age", 4),
        Column("access_url", "access URL", 10, flex=True),
    )

    def sources_of(self, deck: Deck) -> tuple[Source, ...]:
        return ((MAIN, Backend.DEVBOX),) if Backend.DEVBOX in deck.main.monitor.backends else ()

    def not_configured(self) -> ComposeResult:
        yield NotConfigured(Backend.DEVBOX.value)

    def detail_of(self, entry: Entry) -> DevboxDetail | None:
        snapshot = self.snapshots.get((entry.profile, Backend.DEVBOX))
        return snapshot.details.get(entry.box.key) if snapshot is not None else None

    def cells(self, entry: Entry) -> Mapping[str, Cell]:
        devbox = entry.box.devbox
        return {
            "name": text_cell(entry.box.name),
            "progress": progress_cell(self.detail_of(entry), self.palette),
            "access_url": text_cell(devbox.access_url if devbox else None),
        }

    def search_text(self, entry: Entry) -> str:
        detail = self.detail_of(entry)
        repos = " ".join(clean(r.full_name) for r in detail.repositories) if detail else ""
        return f"{clean(entry.box.name)} {entry.box.display_state} {repos}"

    def can(self, action: str, box: Box) -> bool | None:
        return devbox_can(action, box)

    def new_box_modal(self) -> NewDevboxFullModal:
        return NewDevboxFullModal(self.deck.main.actions, self.deck.main.account)

    def view_refusal(self, action: str, entry: Entry | None) -> str | None:
        if action != "devbox_sessions":
            return None
        box = entry.box if entry is not None else None
        if box is None or box.devbox is None:
            return "No devbox selected."
        if box.kind is StateKind.READY:
            return None
        return f"Sessions open on a ready devbox: {quoted(box.name)} is {self._state_of(box)}."

    def action_devbox_sessions(self) -> None:
        from boxdeck.tui.screens.devbox_sessions import DevboxSessionsScreen

        box = self.selected_box
        if box is not None:
            self.app.push_screen(DevboxSessionsScreen(self.deck, box.ref, box.name))

    # ----------------------------------------------------------------- the steps of the boxes in view
    def after_rows_changed(self) -> None:
        """The steps and repositories of the devboxes on screen (and the selected one) are fetched with each
        poll; only theirs, so 10,000 devboxes cost what a screenful does."""
        if not self.configured or not self.is_mounted or not self.is_current:
            return
        keys = {self.entries[k].box.key for k in self.table.visible_keys() if k in self.entries}
        entry = self.selected
        if entry is not None:
            keys.add(entry.box.key)
        if keys == self._watching:
            return
        new = keys - self._watching
        self._watching = frozenset(keys)
        self.deck.main.monitor.watch(keys)
        snapshot = self.snapshots.get((MAIN, Backend.DEVBOX))
        if snapshot is not None and any(key not in snapshot.details for key in new):
            self.deck.poller.poll_now(MAIN, Backend.DEVBOX)  # the new rows' steps now, not in 5 s

    def unwatch(self) -> None:
        if self._watching:
            self._watching = frozenset()
            self.deck.main.monitor.watch(())

    # ----------------------------------------------------------------- detail
    def detail_key(self, entry: Entry) -> Hashable:
        return super().detail_key(entry)

    def render_detail(self, entry: Entry | None) -> RenderableType:
        box = entry.box if entry is not None else None
        if entry is None or box is None or box.devbox is None:
            return Text("Select a devbox to see its details.")
        now = self.now()
        devbox = box.devbox
        detail = self.detail_of(entry)
        parts: list[RenderableType] = []
        if box.kind is StateKind.FAILED:
            message = clean(detail.failed_message) if detail is not None and detail.failed_message else ""
            banner = Text()
            banner.append(" failed ", style=f"bold reverse {self.palette.error}")
            banner.append(" ")
            banner.append(message or "provisioning failed", style=f"bold {self.palette.error}")
            parts += [banner, Text("")]
        parts.append(field_lines(self.detail_pairs(entry, devbox_fields(devbox), devbox)))
        parts.append(Text("\nProvisioning", style="bold underline"))
        if detail is None:
            parts.append(Text("  loading…", style=self.palette.muted))
        else:
            parts.append(stepper(detail, now, self.palette, self.frame))
        parts.append(Text("\nRepositories", style="bold underline"))
        parts.append(repositories(detail, self.palette))
        return Group(*parts)
