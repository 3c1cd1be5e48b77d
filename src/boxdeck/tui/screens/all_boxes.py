"""Screen 0: every box in one table — Amika sandboxes and Latitude devboxes, of every watched profile.

Filter, sort, spinner, ages and the actions are the box screens'; rows come from every (profile, backend)
source of the deck, and an action goes to the service of the profile its box belongs to. The default sort is
"attention first" (the `!` column): failed, then provisioning slower than usual, then anything changing or
pending; then by name. Those cells are recomputed every second for boxes in motion, as ETAs turn into "slower
than usual".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from pydantic import BaseModel
from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from boxdeck.service.boxes import Backend, Box, StateKind
from boxdeck.service.monitoring.snapshot import DevboxDetail
from boxdeck.service.text.details import devbox_fields, sandbox_fields
from boxdeck.tui.context import Deck
from boxdeck.tui.format import Cell, clean, field_lines, text_cell
from boxdeck.tui.screens.boxes import PROVIDER, BoxesScreen, Entry, Source
from boxdeck.tui.screens.devboxes import devbox_can, progress_cell, repositories, stepper
from boxdeck.tui.screens.sandboxes import repo_label, sandbox_can
from boxdeck.tui.widgets.rows import Column

__all__ = ["AllBoxesScreen"]

# Attention ranks: lower sorts first.
FAILED, SLOW, CHANGING, STEADY = 0, 1, 2, 9


def detail_label(box: Box) -> str:
    """Amika: repo@branch; Devbox: the access URL."""
    if box.sandbox is not None:
        repo, branch = repo_label(box.sandbox), clean(box.sandbox.branch)
        return f"{repo}@{branch}" if repo and branch else repo or branch
    return clean(box.devbox.access_url if box.devbox is not None else None)


class AllBoxesScreen(BoxesScreen):
    TAB_KEY = "0"
    MODE = "all"
    NOUN = "box"
    SORT = "attention"
    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("attention", "!", 1),
        Column("provider", "provider", 8, max_width=30),
        Column("name", "name", 12, flex=True),
        Column("state", "state", 10),
        Column("progress", "step", 6, max_width=24),
        Column("eta", "ETA", 3, max_width=20),
        Column("age", "age", 4),
        Column("detail", "repo / access", 12, flex=True),
    )

    def sources_of(self, deck: Deck) -> tuple[Source, ...]:
        return tuple(
            (key, backend) for key, profile in deck.profiles.items() for backend in profile.monitor.backends
        )

    def not_configured(self) -> ComposeResult:
        yield Static(
            "No backend is configured. Press 1 or 2 to see how to configure Amika or Latitude Devbox.",
            classes="not-configured", markup=False,
        )

    def filter_hint(self) -> str:
        return "/ filter · o sort · ! attention first"

    # ----------------------------------------------------------------- rows
    def provider_label(self, entry: Entry) -> str:
        profile = self.profile(entry)
        name = PROVIDER[entry.box.backend]
        return f"{name} · {profile.label}" if self.deck.several else name

    def detail_of(self, entry: Entry) -> DevboxDetail | None:
        if entry.box.backend is not Backend.DEVBOX:
            return None
        snapshot = self.snapshots.get((entry.profile, Backend.DEVBOX))
        return snapshot.details.get(entry.box.key) if snapshot is not None else None

    def attention(self, entry: Entry) -> tuple[int, str]:
        kind = entry.box.kind
        if kind is StateKind.FAILED:
            return FAILED, "!"
        if kind is StateKind.TRANSITIONAL:
            _text, slow = self.profile(entry).eta_of(entry.box, self.now())
            return (SLOW, "!") if slow else (CHANGING, "›")
        return STEADY, ""

    def _attention_cell(self, entry: Entry) -> Cell:
        rank, mark = self.attention(entry)
        colour = {FAILED: f"bold {self.palette.error}", SLOW: f"bold {self.palette.warning}",
                  CHANGING: self.palette.warning}.get(rank, "")
        return Cell(mark, style=colour, sort_key=(rank,))

    def _eta_cell(self, entry: Entry) -> Cell:
        text, slow = self.profile(entry).eta_of(entry.box, self.now())
        style = f"bold {self.palette.warning}" if slow else self.palette.muted
        return Cell(text, style=style if text else "", sort_key=(0 if text else 1, not slow, text))

    def cells(self, entry: Entry) -> Mapping[str, Cell]:
        box = entry.box
        step = progress_cell(self.detail_of(entry), self.palette) if box.backend is Backend.DEVBOX else (
            Cell("", sort_key=(4, ""))  # sandboxes have no steps
        )
        provider = self.provider_label(entry)
        return {
            "attention": self._attention_cell(entry),
            "provider": Cell(provider, sort_key=(0, provider.casefold())),
            "name": text_cell(box.name),
            "progress": step,
            "eta": self._eta_cell(entry),
            "detail": text_cell(detail_label(box)),
        }

    def search_text(self, entry: Entry) -> str:
        box = entry.box
        parts = [box.name, box.display_state, self.provider_label(entry), detail_label(box)]
        if box.sandbox is not None:
            parts += [box.sandbox.repo_url or "", box.sandbox.branch or ""]
        detail = self.detail_of(entry)
        if detail is not None:
            parts += [r.full_name for r in detail.repositories]
        return " ".join(clean(p) for p in parts if p)

    def can(self, action: str, box: Box) -> bool | None:
        return sandbox_can(action, box) if box.backend is Backend.AMIKA else devbox_can(action, box)

    # ----------------------------------------------------------------- every second: ETAs and attention
    def _tick_freshness(self) -> None:
        super()._tick_freshness()
        if not self.configured or not self.is_current:
            return
        table = self.table
        for key in table.visible_keys():
            entry = self.entries.get(key)
            if entry is not None and entry.box.kind is StateKind.TRANSITIONAL:
                table.set_cells(key, {"eta": self._eta_cell(entry), "attention": self._attention_cell(entry)})

    # ----------------------------------------------------------------- detail
    def render_detail(self, entry: Entry | None) -> RenderableType:
        if entry is None:
            return Text("Select a box to see its details.")
        box = entry.box
        now = self.now()
        parts: list[RenderableType] = []
        detail = self.detail_of(entry)
        error = clean(box.error_message) or (clean(detail.failed_message) if detail and detail.failed_message
                                             else "")
        if box.kind is StateKind.FAILED or error:
            banner = Text()
            banner.append(" failed " if box.kind is StateKind.FAILED else " error ",
                          style=f"bold reverse {self.palette.error}")
            banner.append(" ")
            banner.append(error or "failed", style=f"bold {self.palette.error}")
            parts += [banner, Text("")]
        model: BaseModel
        if box.sandbox is not None:
            fields, model = sandbox_fields(box.sandbox), box.sandbox
        elif box.devbox is not None:
            fields, model = devbox_fields(box.devbox), box.devbox
        else:
            return Group(*parts)
        pairs = self.detail_pairs(entry, fields, model, skip={"error_message"})
        parts.append(field_lines([("Kind", self.provider_label(entry)), *pairs]))
        if box.devbox is not None:
            parts.append(Text("\nProvisioning", style="bold underline"))
            if detail is None:
                parts.append(Text("  not fetched yet (screen 2 shows every step)", style=self.palette.muted))
            else:
                parts.append(stepper(detail, now, self.palette, self.frame))
                parts.append(Text("\nRepositories", style="bold underline"))
                parts.append(repositories(detail, self.palette))
        hint = "1" if box.backend is Backend.AMIKA else "2"
        where = f"\nPress {hint} for the {PROVIDER[box.backend]} screen."
        parts.append(Text(where, style=self.palette.muted))
        return Group(*parts)
