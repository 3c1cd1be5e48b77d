"""Screen 1: Amika sandboxes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text
from textual import on, work
from textual.message import Message
from textual.timer import Timer

from boxdeck.service.boxes import Backend, Box, StateKind
from boxdeck.tui.commands import bindings_for
from boxdeck.tui.format import Cell, clean, clip, field_lines, text_cell, timestamp
from boxdeck.tui.modals.new_sandbox import NewSandboxModal
from boxdeck.tui.screens.base import BoxesScreen
from boxdeck.tui.screens.box_keys import BoxKeys
from boxdeck.tui.screens.box_views import SandboxViews
from boxdeck.tui.widgets.box_table import ColumnSpec

SETTLE_SECONDS = 0.3


def repo_label(box: Box) -> str:
    sandbox = box.sandbox
    if sandbox is None:
        return ""
    url = clean(getattr(sandbox, "repo_url", None))
    if url:
        base = url.rstrip("/").rsplit("/", 1)[-1]
        return base.removesuffix(".git")
    return clean(getattr(sandbox, "repo_name", None))


def creator_label(box: Box) -> str:
    created_by = getattr(box.sandbox, "created_by", None)
    if created_by is None:
        return ""
    return clean(getattr(created_by, "name", None) or getattr(created_by, "email", None))


def describe(value: Any, now: datetime) -> str:
    """A model field value as one literal line."""
    if value is None or (isinstance(value, str | list | tuple | dict) and not value):
        return "-"
    if isinstance(value, datetime):
        return timestamp(value, now)
    if hasattr(value, "model_dump"):
        value = value.model_dump(exclude_none=True)
    if isinstance(value, dict):
        return clip(", ".join(f"{clean(k, limit=200)}={describe(v, now)}" for k, v in value.items()))
    if isinstance(value, list | tuple):
        return clip("; ".join(describe(v, now) for v in value))
    return clean(value)


@dataclass
class LatestSessionFetched(Message, bubble=False):
    """The latest session of a sandbox (or why there is none to show)."""

    key: str
    session_id: str | None
    lines: list[tuple[str, str]]


class SandboxesScreen(SandboxViews, BoxKeys, BoxesScreen):  # BoxKeys: issue 6 connect/renew/bulk keys
    BINDINGS = bindings_for("sandboxes")  # a agent prompt, v sessions (issue 5; see screens/box_views.py)
    BACKEND = Backend.AMIKA
    MODE = "sandboxes"
    NOUN = "sandbox"
    COLUMNS = (
        ColumnSpec("name", "name", 18),
        ColumnSpec("state", "state", 15),
        ColumnSpec("provider", "provider", 8),
        ColumnSpec("repo", "repo", 12),
        ColumnSpec("branch", "branch", 9),
        ColumnSpec("age", "age", 4),
        ColumnSpec("creator", "creator", 8),
    )

    def __init__(self, service) -> None:  # type: ignore[no-untyped-def]
        super().__init__(service)
        self._sessions: dict[str, LatestSessionFetched] = {}
        self._settle: Timer | None = None

    def row_cells(self, box: Box) -> dict[str, Cell]:
        sandbox = box.sandbox
        return {
            "name": text_cell(box.name),
            **self.common_cells(box),
            "provider": text_cell(getattr(sandbox, "provider", None)),
            "repo": text_cell(repo_label(box)),
            "branch": text_cell(getattr(sandbox, "branch", None)),
            "creator": text_cell(creator_label(box)),
        }

    def search_text(self, box: Box) -> str:
        sandbox = box.sandbox
        return " ".join(
            clean(v)
            for v in (
                box.name,
                box.display_state,
                getattr(sandbox, "repo_url", None),
                getattr(sandbox, "repo_name", None),
                repo_label(box),
            )
            if v
        )

    def can(self, action: str, box: Box) -> bool | None:
        kind = box.kind
        if action == "start":
            return True if kind in (StateKind.STOPPED, StateKind.FAILED) else None
        if action == "stop":
            return True if kind in (StateKind.READY, StateKind.TRANSITIONAL) else None
        if action == "copy_ssh":
            return True if kind is StateKind.READY else None
        if action == "delete":
            return True if kind is not StateKind.GONE else None
        return True

    def new_box_modal(self) -> NewSandboxModal:
        return NewSandboxModal(self.actions)

    # ----------------------------------------------------------------- detail
    def render_detail(self, box: Box | None) -> RenderableType:
        if box is None or box.sandbox is None:
            return Text("Select a sandbox to see its details.")
        now = self.now()
        sandbox = box.sandbox
        parts: list[RenderableType] = []
        error = clean(getattr(sandbox, "error_message", None))
        if error:
            banner = Text()
            banner.append(" error ", style=f"bold reverse {self.palette.error}")
            banner.append(" ")
            banner.append(error, style=f"bold {self.palette.error}")
            parts += [banner, Text("")]
        data = sandbox.model_dump()
        pairs: list[tuple[str, str | Text]] = []
        empty = []
        for name in data:
            if name == "error_message" and error:
                continue
            value = describe(getattr(sandbox, name, data[name]), now)
            if value == "-":
                empty.append(name)
            else:
                pairs.append((name, value))
        if box.pending:
            pairs.insert(0, ("pending", Text(f"{box.pending}…", style=self.palette.warning)))
        eta = self.eta_line(box)  # issue 6: "ready in ~40 s" / "slower than usual"
        if eta is not None:
            pairs.insert(0, ("eta", eta))
        parts.append(field_lines(pairs))
        if empty:
            unset = ", ".join(clean(name, limit=200) for name in empty)  # extra wire fields' names too
            parts.append(Text(f"not set: {unset}", style=self.palette.muted))
        parts.append(Text("\nlatest session", style="bold underline"))
        fetched = self._sessions.get(box.key)
        if fetched is None:
            parts.append(Text("  loading…", style=self.palette.muted))
        else:
            parts.append(field_lines(fetched.lines, indent=2))
        return Group(*parts)

    def selection_settled(self, box: Box | None) -> None:
        if self._settle is not None:
            self._settle.stop()
        if box is None:
            return
        cached = self._sessions.get(box.key)
        current = getattr(box.sandbox, "current_session_id", None)
        if cached is not None and cached.session_id == current:
            return
        self._settle = self.set_timer(SETTLE_SECONDS, lambda: self._fetch_latest_session(box))

    @work(exclusive=True, exit_on_error=False, group="latest-session")
    async def _fetch_latest_session(self, box: Box) -> None:
        current = getattr(box.sandbox, "current_session_id", None)
        client = self.monitor.amika
        try:
            session = await client.get_latest_session(box.ref)
        except Exception as error:  # the API's errors: 404 means "none yet"
            status = getattr(error, "status_code", None)
            words = "none yet" if status == 404 else f"unavailable: {clean(error)}"
            self.post_message(LatestSessionFetched(box.key, current, [("session", words)]))
            return
        if session is None:
            self.post_message(LatestSessionFetched(box.key, current, [("session", "none yet")]))
            return
        now = self.now()
        lines = [
            (name, describe(getattr(session, name, None), now))
            for name in ("id", "agent_name", "status", "started_at", "ended_at", "metadata")
        ]
        self.post_message(LatestSessionFetched(box.key, current, lines))

    @on(LatestSessionFetched)
    def _latest_session_fetched(self, message: LatestSessionFetched) -> None:
        self._sessions[message.key] = message
        if message.key == self.selected_key:
            self._refresh_detail()
