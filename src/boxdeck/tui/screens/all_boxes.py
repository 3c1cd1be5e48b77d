"""Screen 0: every box in one table — Amika sandboxes and Latitude devboxes, of every watched profile.

It is a `BoxesScreen` whose rows come from several sources: the main service's two backends, plus each
extra profile's (``app.extra_services``, polled by the app). Filter, sort, spinner, ages and the actions are
the base screen's; what differs is where a row comes from:

- row key: the box's own key for the main profile, ``"<profile>/<box key>"`` for an extra profile, so the same
  box seen through two profiles is two rows;
- actions (`s`, `x`, `d`, `c`) go to the service of the profile the box belongs to.

The default sort is "attention first" (the ``!`` column): failed, then provisioning slower than usual, then
anything changing or pending; then by name. Its cells are recomputed every second for boxes in motion, as ETAs
turn into "slower than usual".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from rich.console import Group, RenderableType
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Static

from boxdeck.service.boxes import Backend, Box, StateKind
from boxdeck.service.monitoring.freshness import Freshness, summarize
from boxdeck.service.monitoring.snapshot import DevboxDetail, Snapshot
from boxdeck.tui.format import Cell, clean, field_lines, text_cell, timestamp
from boxdeck.tui.messages import BoxesChanged
from boxdeck.tui.polling import ProfileBoxesChanged, ProfilePollFinished
from boxdeck.tui.screens.base import BoxesScreen
from boxdeck.tui.screens.box_keys import BoxKeys
from boxdeck.tui.screens.devboxes import DevboxesScreen, progress, repositories, stepper
from boxdeck.tui.screens.sandboxes import SandboxesScreen, describe, repo_label
from boxdeck.tui.widgets.box_table import ColumnSpec
from boxdeck.tui.widgets.health_bar import HealthBar

if TYPE_CHECKING:
    from boxdeck.service.actions.actions import Actions
    from boxdeck.service.configuration.config import Service

MAIN = ""  # the main service's key (see boxdeck.tui.watching)
PROVIDER = {Backend.AMIKA: "Amika", Backend.DEVBOX: "Devbox"}

# Attention ranks: lower sorts first.
FAILED, SLOW, CHANGING, STEADY = 0, 1, 2, 9


@dataclass(frozen=True, slots=True)
class Source:
    """One profile's service; `profile` is MAIN for the app's own."""

    profile: str
    label: str  # shown in the provider column when several profiles are watched ("" otherwise)
    service: Service


def row_key(profile: str, box: Box) -> str:
    return box.key if profile == MAIN else f"{profile}/{box.key}"


def detail_label(box: Box) -> str:
    """Amika: repo@branch; Devbox: the access URL."""
    if box.sandbox is not None:
        repo = repo_label(box)
        branch = clean(getattr(box.sandbox, "branch", None))
        return f"{repo}@{branch}" if repo and branch else repo or branch
    return clean(getattr(box.devbox, "access_url", None))


def columns(several_profiles: bool) -> tuple[ColumnSpec, ...]:
    return (
        ColumnSpec("attention", "!", 1),
        ColumnSpec("provider", "provider", 16 if several_profiles else 8),
        ColumnSpec("name", "name", 18),
        ColumnSpec("state", "state", 14),
        ColumnSpec("progress", "step", 20),
        ColumnSpec("eta", "ETA", 17),
        ColumnSpec("age", "age", 4),
        ColumnSpec("detail", "repo / access", 24),
    )


class AllBoxesScreen(BoxKeys, BoxesScreen):  # BoxKeys: issue 6 connect/renew/bulk keys
    BACKEND = None  # type: ignore[assignment]  # several: see `sources`
    MODE = "all"
    NOUN = "box"
    COLUMNS = columns(False)
    WATCHES_PROFILES: ClassVar[bool] = True  # the app forwards extra profiles' diffs here

    def __init__(self, service: Service, extra_services: Mapping[str, Service] | None = None) -> None:
        super().__init__(service)
        if extra_services is None:
            extra_services = getattr(self.app, "extra_services", None) or {}
        several = bool(extra_services)
        main_label = str(getattr(self.app, "profile_label", None) or "default") if several else ""
        self.sources: dict[str, Source] = {MAIN: Source(MAIN, main_label, service)}
        for name, extra in extra_services.items():
            self.sources[name] = Source(name, name, extra)
        self.COLUMNS = columns(several)  # type: ignore[misc]
        self.configured = any(s.service.monitor.backends for s in self.sources.values())
        self._snapshots: dict[tuple[str, Backend], Snapshot] = {}
        self._rows: dict[str, Box] = {}
        self._origin: dict[str, str] = {}  # row key -> profile
        self._by_box: dict[int, str] = {}  # id(Box) -> profile (actions get a Box, not a row key)

    # ----------------------------------------------------------------- where rows come from
    @property
    def key(self) -> str:
        return "0"

    @property
    def boxes(self) -> Mapping[str, Box]:
        return self._rows

    def profile_of(self, box: Box) -> str:
        return self._by_box.get(id(box), MAIN)

    def profile_of_row(self, key: str) -> str:
        return self._origin.get(key, MAIN)

    def _rebuild(self) -> None:
        rows: dict[str, Box] = {}
        origin: dict[str, str] = {}
        by_box: dict[int, str] = {}
        for (profile, _backend), snapshot in self._snapshots.items():
            for box in snapshot.boxes.values():
                key = row_key(profile, box)
                rows[key] = box
                origin[key] = profile
                by_box[id(box)] = profile
        self._rows, self._origin, self._by_box = rows, origin, by_box

    def initial_snapshot(self) -> Snapshot | None:
        first: Snapshot | None = None
        for source in self.sources.values():
            for backend in source.service.monitor.backends:
                snapshot = source.service.monitor.snapshot(backend)
                if snapshot is not None:
                    self._snapshots[(source.profile, backend)] = snapshot
                    first = first or snapshot
        self._rebuild()
        return first  # not None once anything arrived: "Loading…" until then

    def _apply(self, profile: str, diff: Any) -> None:
        if not self.configured or not self.is_mounted or profile not in self.sources:
            return
        self._snapshots[(profile, diff.backend)] = diff.snapshot
        self._rebuild()
        self.snapshot = diff.snapshot
        self._refresh_rows()
        selected = self.selected_key
        if selected is not None and self.profile_of_row(selected) == profile:
            box_key = self._rows[selected].key if selected in self._rows else None
            if box_key is not None and (
                any(c.key == box_key for c in diff.changed) or box_key in diff.details_changed
            ):
                self._refresh_detail()
        self._refresh_bindings_if_changed()

    @on(BoxesChanged)
    def _main_boxes_changed(self, message: BoxesChanged) -> None:
        self._apply(MAIN, message.diff)

    @on(ProfileBoxesChanged)
    def _profile_boxes_changed(self, message: ProfileBoxesChanged) -> None:
        self._apply(message.profile, message.diff)

    @on(ProfilePollFinished)
    def _profile_poll_finished(self, _message: ProfilePollFinished) -> None:
        if self.configured and self.is_mounted:
            self._tick_freshness()

    def detail_of(self, key: str) -> DevboxDetail | None:
        box = self._rows.get(key)
        if box is None or box.backend is not Backend.DEVBOX:
            return None
        snapshot = self._snapshots.get((self.profile_of_row(key), Backend.DEVBOX))
        return snapshot.details.get(box.key) if snapshot is not None else None

    # ----------------------------------------------------------------- composition
    def compose(self) -> ComposeResult:
        if self.configured:
            yield from super().compose()
            return
        demo = self.boxdeck.demo is not None
        yield HealthBar(self.boxdeck.tabs, self.key, read_only=self.read_only, demo=demo)
        with Vertical(id="body"):
            yield Static(
                "No backend is configured. Press 1 or 2 to see how to configure Amika or Latitude Devbox.",
                classes="not-configured", markup=False,
            )
        yield Footer()

    # ----------------------------------------------------------------- rows
    def provider_label(self, profile: str, backend: Backend) -> str:
        label = self.sources[profile].label if profile in self.sources else profile
        return f"{PROVIDER[backend]} · {label}" if label else PROVIDER[backend]

    def attention(self, key: str, box: Box) -> tuple[int, str]:
        kind = box.kind
        if kind is StateKind.FAILED:
            return FAILED, "!"
        if kind is StateKind.TRANSITIONAL:
            _text, slow = self.boxdeck.eta_of(box, self.profile_of_row(key))
            return (SLOW, "!") if slow else (CHANGING, "›")
        return STEADY, ""

    def _attention_cell(self, key: str, box: Box) -> Cell:
        rank, mark = self.attention(key, box)
        colour = {FAILED: f"bold {self.palette.error}", SLOW: f"bold {self.palette.warning}",
                  CHANGING: self.palette.warning}.get(rank, "")
        return Cell(mark, style=colour, sort_key=(rank,))

    def _eta_cell(self, key: str, box: Box) -> Cell:
        text, slow = self.boxdeck.eta_of(box, self.profile_of_row(key))
        style = f"bold {self.palette.warning}" if slow else self.palette.muted
        return Cell(text, style=style if text else "", sort_key=(0 if text else 1, not slow, text))

    def row_cells(self, box: Box) -> dict[str, Cell]:
        # The base asks by Box; `boxes` holds the snapshots' very Box objects, so identity finds the row.
        profile = self.profile_of(box)
        return self.row_cells_for(row_key(profile, box), box)

    def row_cells_for(self, key: str, box: Box) -> dict[str, Cell]:
        profile = self.profile_of_row(key)
        if box.backend is Backend.DEVBOX:
            label, kind = progress(self.detail_of(key))
            colour = {"failed": f"bold {self.palette.error}", "busy": self.palette.warning,
                      "done": self.palette.success}.get(kind, "")
            order = {"failed": 0, "busy": 1, "done": 2}.get(kind, 3)
            step = Cell(label or "-", style=colour, sort_key=(order, label))
        else:
            step = Cell("", sort_key=(4, ""))  # sandboxes have no steps
        provider = self.provider_label(profile, box.backend)
        return {
            "attention": self._attention_cell(key, box),
            "provider": Cell(provider, sort_key=(0, provider.casefold())),
            "name": text_cell(box.name),
            **self.common_cells(box),
            "progress": step,
            "eta": self._eta_cell(key, box),
            "detail": text_cell(detail_label(box)),
        }

    def search_text(self, box: Box) -> str:
        profile = self.profile_of(box)
        parts = [box.name, box.display_state, self.provider_label(profile, box.backend), detail_label(box)]
        if box.sandbox is not None:
            parts += [clean(getattr(box.sandbox, name, None)) for name in ("repo_url", "branch")]
        detail = self.detail_of(row_key(profile, box))
        if detail is not None:
            parts += [clean(r.full_name) for r in detail.repositories]
        return " ".join(clean(p) for p in parts if p)

    # ----------------------------------------------------------------- every second: ETAs and attention
    def _tick_freshness(self) -> None:
        super()._tick_freshness()
        if not self.configured or not self.is_current:
            return
        table = self.table
        resort = False
        with self.app.batch_update():
            for key in table.keys:
                box = self._rows.get(key)
                if box is None or box.kind is not StateKind.TRANSITIONAL:
                    continue
                attention = self._attention_cell(key, box)
                old = table._cells.get(key, {}).get("attention")
                if table.sort_column == "attention" and not attention.same_as(old):
                    resort = True
                table.update_cells(key, {"eta": self._eta_cell(key, box), "attention": attention})
            if resort:
                table.set_sort(table.sort_column, table.sort_reverse)

    def freshness(self) -> Freshness:
        several = len(self.sources) > 1
        items = []
        for source in self.sources.values():
            monitor = source.service.monitor
            for backend in monitor.backends:
                label = PROVIDER[backend] + (f" ({source.label})" if several else "")
                items.append((label, monitor.health(backend)))
        return summarize(items, self.now())

    # ----------------------------------------------------------------- actions: the box's own profile
    def actions_for(self, box: Box) -> Actions:
        source = self.sources.get(self.profile_of(box))
        return source.service.actions if source is not None else self.actions

    def poll_after_action(self, box: Box) -> None:
        self.boxdeck.poll_profile_soon(self.profile_of(box), box.backend)

    def eta_for(self, box: Box) -> tuple[str, bool]:
        return self.boxdeck.eta_of(box, self.profile_of(box))

    def can(self, action: str, box: Box) -> bool | None:
        screen = SandboxesScreen if box.backend is Backend.AMIKA else DevboxesScreen
        return screen.can(self, action, box)  # type: ignore[arg-type]  # pure rules on the box

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "new_box":
            return None  # which backend, which profile? Create from screen 1 or 2.
        return super().check_action(action, parameters)

    def action_refresh(self) -> None:
        super().action_refresh()
        self.boxdeck.extra_polling.refresh_now()

    # ----------------------------------------------------------------- detail
    def render_detail(self, box: Box | None) -> RenderableType:
        if box is None:
            return Text("Select a box to see its details.")
        now = self.now()
        key = row_key(self.profile_of(box), box)
        parts: list[RenderableType] = []
        detail = self.detail_of(key)
        error = clean(box.error_message) or (clean(detail.failed_message) if detail and detail.failed_message
                                             else "")
        if box.kind is StateKind.FAILED or error:
            banner = Text()
            banner.append(" failed " if box.kind is StateKind.FAILED else " error ",
                          style=f"bold reverse {self.palette.error}")
            banner.append(" ")
            banner.append(error or "failed", style=f"bold {self.palette.error}")
            parts += [banner, Text("")]
        pairs: list[tuple[str, str | Text]] = [
            ("provider", self.provider_label(self.profile_of(box), box.backend)),
            ("state", Text(clean(box.display_state), style=self.palette.for_kind(box.kind))),
        ]
        eta = self.eta_line(box)
        if eta is not None:
            pairs.append(("eta", eta))
        pairs.append(("created", timestamp(box.created_at, now)))
        model = box.sandbox if box.sandbox is not None else box.devbox
        shown = {"name", "state", "created_at", "error_message"}
        if model is not None:
            data = model.model_dump()
            for name in data:
                if name in shown:
                    continue
                value = getattr(model, name, data[name])
                text = describe(value, now) if not isinstance(value, datetime) else timestamp(value, now)
                if text != "-":
                    pairs.append((name, text))
        parts.append(field_lines(pairs))
        if box.devbox is not None:
            parts.append(Text("\nprovisioning", style="bold underline"))
            if detail is None:
                parts.append(Text("  not fetched yet (screen 2 shows every step)", style=self.palette.muted))
            else:
                parts.append(stepper(detail, now, self.palette, self.frame))
                parts.append(Text("\nrepositories", style="bold underline"))
                parts.append(repositories(detail, self.palette))
        hint = "1" if box.backend is Backend.AMIKA else "2"
        more = f"\nPress {hint} for the {PROVIDER[box.backend]} screen."
        parts.append(Text(more, style=self.palette.muted))
        return Group(*parts)
