"""Screen 1: the main profile's Amika sandboxes; `a` talks to a sandbox's agent, `v` shows its sessions, `t`
snapshots it and `T` lists the snapshots."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.timer import Timer

from boxdeck.api.amika_models import Sandbox, SandboxSnapshot
from boxdeck.service.access.waits import quoted
from boxdeck.service.actions.errors import error_status
from boxdeck.service.boxes import Backend, Box, StateKind
from boxdeck.service.text.details import sandbox_fields
from boxdeck.tui.commands import BY_NAME, bindings_for, key_for
from boxdeck.tui.context import MAIN, Deck
from boxdeck.tui.format import Cell, clean, describe, field_lines, text_cell
from boxdeck.tui.modals.new_sandbox import NewSandboxModal
from boxdeck.tui.screens.boxes import BoxesScreen, Entry, Source, sentence
from boxdeck.tui.widgets.not_configured import NotConfigured
from boxdeck.tui.widgets.rows import Column

__all__ = ["SandboxesScreen", "repo_label", "sandbox_can"]

#: How long the cursor rests on a sandbox before its latest session is fetched.
SETTLE_SECONDS = 0.3


def repo_label(sandbox: Sandbox | None) -> str:
    """The repository's short name: the last part of its URL, else its name."""
    if sandbox is None:
        return ""
    url = clean(sandbox.repo_url)
    if url:
        return url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    return clean(sandbox.repo_name)


def creator_label(sandbox: Sandbox | None) -> str:
    created_by = sandbox.created_by if sandbox is not None else None
    if created_by is None:
        return ""
    return clean(created_by.name or created_by.email)


def sandbox_can(action: str, box: Box) -> bool | None:
    """Which box actions apply to a sandbox in its state (None: dimmed)."""
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


@dataclass
class LatestSessionFetched(Message, bubble=False):
    """The latest session of a sandbox (or why there is none to show)."""

    key: str
    session_id: str | None
    lines: list[tuple[str, str]]


class SandboxesScreen(BoxesScreen):
    BINDINGS = bindings_for("sandboxes")
    COMMAND_SCOPE = "sandboxes"
    TAB_KEY = "1"
    MODE = "sandboxes"
    NOUN = "sandbox"
    CREATES = True
    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("name", "name", 12, flex=True),
        Column("state", "state", 10),
        Column("provider", "provider", 8),
        Column("repo", "repo", 8, flex=True),
        Column("branch", "branch", 6, max_width=24),
        Column("age", "age", 4),
        Column("creator", "creator", 7, flex=True),
    )

    def __init__(self, deck: Deck, tabs: Any) -> None:
        super().__init__(deck, tabs)
        self._sessions: dict[str, LatestSessionFetched] = {}
        self._settle: Timer | None = None

    def sources_of(self, deck: Deck) -> tuple[Source, ...]:
        return ((MAIN, Backend.AMIKA),) if Backend.AMIKA in deck.main.monitor.backends else ()

    def not_configured(self) -> ComposeResult:
        yield NotConfigured(Backend.AMIKA.value)

    def cells(self, entry: Entry) -> Mapping[str, Cell]:
        sandbox = entry.box.sandbox
        return {
            "name": text_cell(entry.box.name),
            "provider": text_cell(sandbox.provider if sandbox else None),
            "repo": text_cell(repo_label(sandbox)),
            "branch": text_cell(sandbox.branch if sandbox else None),
            "creator": text_cell(creator_label(sandbox)),
        }

    def search_text(self, entry: Entry) -> str:
        box, sandbox = entry.box, entry.box.sandbox
        words = [box.name, box.display_state]
        if sandbox is not None:
            words += [sandbox.repo_url or "", sandbox.repo_name or "", repo_label(sandbox)]
        return " ".join(clean(w) for w in words if w)

    def can(self, action: str, box: Box) -> bool | None:
        return sandbox_can(action, box)

    def new_box_modal(self) -> NewSandboxModal:
        return NewSandboxModal(self.deck.main.actions)

    # ----------------------------------------------------------------- agent prompt, sessions, snapshots
    def view_refusal(self, action: str, entry: Entry | None) -> str | None:
        if action == "snapshot_sandbox":
            if entry is None:
                return "No sandbox selected."
            if entry.box.pending:
                return f"{quoted(entry.box.name)} is busy ({self._state_of(entry.box)}); wait a moment."
            refusal = self.deck.main.actions.refusal("snapshot", entry.box)
            return sentence(refusal)
        if action not in ("agent_prompt", "sandbox_sessions"):
            return None
        if entry is None or entry.box.sandbox is None:
            return "No sandbox selected."
        box = entry.box
        if action == "agent_prompt":
            if box.kind is StateKind.READY:
                return None
            return f"The agent answers in a running sandbox: {quoted(box.name)} is {self._state_of(box)}."
        if box.kind is StateKind.GONE or box.pending == "creating":
            return f"{quoted(box.name)} is {self._state_of(box)}: it has no sessions to show."
        return None

    def action_agent_prompt(self) -> None:
        from boxdeck.tui.screens.agent_prompt import AgentPromptScreen

        box = self.selected_box
        if box is not None:
            self.app.push_screen(AgentPromptScreen(self.deck, box.ref))

    def action_sandbox_sessions(self) -> None:
        from boxdeck.tui.screens.sandbox_sessions import SandboxSessionsScreen

        box = self.selected_box
        if box is not None:
            self.app.push_screen(SandboxSessionsScreen(self.deck, box.ref))

    def action_snapshot_sandbox(self) -> None:
        from boxdeck.tui.modals.snapshot_form import SnapshotModal

        box = self.selected_box
        if box is None:
            return

        def taken(snapshot: SandboxSnapshot | None) -> None:
            if snapshot is None:
                return
            keys = key_for(self, BY_NAME["sandbox.snapshots"])
            self.notify(f"Capturing snapshot “{clean(snapshot.snapshot)}” of sandbox “{clean(box.name)}”… "
                        f"({keys}: snapshots)", markup=False, timeout=8)
            self.deck.poller.poll_now(MAIN, Backend.AMIKA)

        self.app.push_screen(SnapshotModal(self.deck, self.deck.main, box), taken)

    def action_show_snapshots(self) -> None:
        from boxdeck.tui.screens.snapshots import SnapshotsScreen

        self.app.push_screen(SnapshotsScreen(self.deck, created=self.show_created))

    # ----------------------------------------------------------------- detail
    def detail_key(self, entry: Entry) -> Hashable:
        return (super().detail_key(entry), id(self._sessions.get(entry.box.key)))

    def render_detail(self, entry: Entry | None) -> RenderableType:
        box = entry.box if entry is not None else None
        if entry is None or box is None or box.sandbox is None:
            return Text("Select a sandbox to see its details.")
        sandbox = box.sandbox
        parts: list[RenderableType] = []
        error = clean(sandbox.error_message)
        if error:
            banner = Text()
            banner.append(" error ", style=f"bold reverse {self.palette.error}")
            banner.append(" ")
            banner.append(error, style=f"bold {self.palette.error}")
            parts += [banner, Text("")]
        skip = {"error_message"} if error else set()
        parts.append(field_lines(self.detail_pairs(entry, sandbox_fields(sandbox), sandbox, skip=skip)))
        parts.append(Text("\nLatest session", style="bold underline"))
        fetched = self._sessions.get(box.key)
        if fetched is None:
            parts.append(Text("  loading…", style=self.palette.muted))
        else:
            parts.append(field_lines(fetched.lines, indent=2))
        return Group(*parts)

    def selection_settled(self, entry: Entry | None) -> None:
        if self._settle is not None:
            self._settle.stop()
        if entry is None or entry.box.sandbox is None:
            return
        box = entry.box
        cached = self._sessions.get(box.key)
        if cached is not None and cached.session_id == entry.box.sandbox.current_session_id:
            return
        self._settle = self.set_timer(SETTLE_SECONDS, lambda: self._fetch_latest_session(box))

    @work(exclusive=True, exit_on_error=False, group="latest-session")
    async def _fetch_latest_session(self, box: Box) -> None:
        current = box.sandbox.current_session_id if box.sandbox is not None else None
        client = self.deck.main.monitor.amika
        if client is None:
            return
        try:
            session = await client.get_latest_session(box.ref)
        except Exception as error:  # the API's errors: 404 means "none yet"
            words = "none yet" if error_status(error) == 404 else f"unavailable: {clean(error)}"
            self.post_message(LatestSessionFetched(box.key, current, [("Session", words)]))
            return
        if session is None:
            self.post_message(LatestSessionFetched(box.key, current, [("Session", "none yet")]))
            return
        now = self.now()
        lines = [
            ("ID", describe(session.id, now)),
            ("Agent", describe(session.agent_name, now)),
            ("Status", describe(session.status, now)),
            ("Started", describe(session.started_at, now)),
            ("Ended", describe(session.ended_at, now)),
            ("Metadata", describe(session.metadata, now)),
        ]
        self.post_message(LatestSessionFetched(box.key, current, lines))

    @on(LatestSessionFetched)
    def _latest_session_fetched(self, message: LatestSessionFetched) -> None:
        self._sessions[message.key] = message
        if self.selected_box is not None and self.selected_box.key == message.key:
            self._refresh_detail()
