"""Screen 2: Latitude devboxes, with provisioning shown step by step."""

from __future__ import annotations

import math
from datetime import datetime

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from boxdeck.api.devbox_models import OPERATION_STEPS, Operation
from boxdeck.service.boxes import Backend, Box, StateKind
from boxdeck.service.monitoring.snapshot import DevboxDetail
from boxdeck.tui.commands import bindings_for
from boxdeck.tui.format import SPINNER, Cell, Palette, clean, duration, field_lines, text_cell, timestamp
from boxdeck.tui.modals.new_devbox import NewDevboxModal
from boxdeck.tui.modals.new_devbox_full import NewDevboxFullModal
from boxdeck.tui.screens.base import BoxesScreen
from boxdeck.tui.screens.box_keys import BoxKeys
from boxdeck.tui.screens.box_views import DevboxViews
from boxdeck.tui.state import app_state
from boxdeck.tui.widgets.box_table import ColumnSpec


def ordered_operations(detail: DevboxDetail | None) -> list[Operation]:
    if detail is None:
        return []
    order = {step: i for i, step in enumerate(OPERATION_STEPS)}

    def key(op: Operation) -> tuple[int, float]:
        at = op.created_at
        return (order.get(op.step, len(order)), at.timestamp() if at else math.inf)

    return sorted(detail.operations, key=key)


def progress(detail: DevboxDetail | None) -> tuple[str, str]:
    """('2/4 inject_credentials', kind) where kind is 'busy', 'done', 'failed' or ''."""
    if detail is None:
        return "", ""
    ops = ordered_operations(detail)
    total = max(len(OPERATION_STEPS), len(ops))
    failed = next((op for op in ops if op.status == "failed"), None)
    if failed is not None:
        return f"✗ {clean(failed.step)}", "failed"
    done = sum(1 for op in ops if op.status == "success")
    current = next((op for op in ops if op.status != "success"), None)
    if current is not None:
        return f"{min(done + 1, total)}/{total} {clean(current.step)}", "busy"
    if done >= total:
        return f"{total}/{total}", "done"
    present = {op.step for op in ops}
    upcoming = next((step for step in OPERATION_STEPS if step not in present), "")
    return f"{done + 1}/{total} {upcoming}".rstrip(), "busy"


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


class DevboxesScreen(DevboxViews, BoxKeys, BoxesScreen):  # BoxKeys: issue 6 connect/renew/bulk keys
    BINDINGS = bindings_for("devboxes")  # v sessions (issue 5; see screens/box_views.py)
    BACKEND = Backend.DEVBOX
    MODE = "devboxes"
    NOUN = "devbox"
    COLUMNS = (
        ColumnSpec("name", "name", 18),
        ColumnSpec("state", "state", 15),
        ColumnSpec("progress", "step", 22),
        ColumnSpec("age", "age", 4),
        ColumnSpec("access_url", "access URL", 19),
    )

    _watching: frozenset[str] = frozenset()

    def detail_of(self, key: str) -> DevboxDetail | None:
        return self.snapshot.details.get(key) if self.snapshot is not None else None

    def row_cells(self, box: Box) -> dict[str, Cell]:
        label, kind = progress(self.detail_of(box.key))
        colour = {
            "failed": f"bold {self.palette.error}",
            "busy": self.palette.warning,
            "done": self.palette.success,
        }.get(kind, "")
        order = {"failed": 0, "busy": 1, "done": 2}.get(kind, 3)
        return {
            "name": text_cell(box.name),
            **self.common_cells(box),
            "progress": Cell(label or "-", style=colour, sort_key=(order, label)),
            "access_url": text_cell(getattr(box.devbox, "access_url", None)),
        }

    def search_text(self, box: Box) -> str:
        detail = self.detail_of(box.key)
        repos = " ".join(clean(r.full_name) for r in detail.repositories) if detail else ""
        return f"{clean(box.name)} {box.display_state} {repos}"

    def can(self, action: str, box: Box) -> bool | None:
        if action in ("start", "stop"):
            return None  # the Devbox API has no start or stop
        if action == "copy_ssh":
            return True if box.kind is StateKind.READY else None
        if action == "delete":
            return True if box.kind is not StateKind.GONE else None
        return True

    def new_box_modal(self) -> NewDevboxModal | NewDevboxFullModal:
        return NewDevboxFullModal(self.actions, app_state(self.app).account)  # issue 5: the full form

    def after_rows_changed(self) -> None:
        if not self.configured or not self.is_mounted:
            return
        keys = set(self.table.visible_keys())
        if self.selected_key:
            keys.add(self.selected_key)
        if keys == self._watching:
            return
        new = keys - self._watching
        self._watching = frozenset(keys)
        self.monitor.watch(keys)
        if any(self.detail_of(key) is None for key in new):
            self.boxdeck.poll_soon(self.BACKEND)  # fetch the newly visible rows' steps now, not in 5 s

    def _spin(self) -> None:
        super()._spin()
        box = self.selected_box
        if self.is_current and box is not None and box.kind is StateKind.TRANSITIONAL:
            self._refresh_detail()

    def render_detail(self, box: Box | None) -> RenderableType:
        if box is None or box.devbox is None:
            return Text("Select a devbox to see its details.")
        now = self.now()
        devbox = box.devbox
        detail = self.detail_of(box.key)
        parts: list[RenderableType] = []
        if box.kind is StateKind.FAILED:
            message = clean(detail.failed_message) if detail is not None and detail.failed_message else ""
            banner = Text()
            banner.append(" failed ", style=f"bold reverse {self.palette.error}")
            banner.append(" ")
            banner.append(message or "provisioning failed", style=f"bold {self.palette.error}")
            parts += [banner, Text("")]
        pairs: list[tuple[str, str | Text]] = []
        data = devbox.model_dump()
        for name in data:
            value = getattr(devbox, name, data[name])
            shown = timestamp(value, now) if isinstance(value, datetime) else clean(value) or "-"
            pairs.append((name, shown))
        if box.pending:
            pairs.insert(0, ("pending", Text(f"{box.pending}…", style=self.palette.warning)))
        eta = self.eta_line(box)  # issue 6: "ready in ~40 s" / "slower than usual"
        if eta is not None:
            pairs.insert(0, ("eta", eta))
        parts.append(field_lines(pairs))
        parts.append(Text("\nprovisioning", style="bold underline"))
        if detail is None:
            parts.append(Text("  loading…", style=self.palette.muted))
        else:
            parts.append(stepper(detail, now, self.palette, self.frame))
        parts.append(Text("\nrepositories", style="bold underline"))
        parts.append(repositories(detail, self.palette))
        return Group(*parts)
