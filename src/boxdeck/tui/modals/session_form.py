"""Create an Amika session (agent name + metadata JSON) or edit a session's metadata.

The JSON is checked before anything is sent: a syntax error (with its line and column) or a non-object shows
inline and the form stays as typed. A failed request also keeps the form and shows the server's message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label, Static, TextArea
from textual.worker import Worker, WorkerState

from boxdeck.service.actions.actions import ActionError
from boxdeck.service.actions.sandbox_sessions import MetadataError, parse_metadata_text
from boxdeck.service.text.sanitize import shown
from boxdeck.tui.modals.base import BoxdeckModal

Save = Callable[[str, dict[str, Any]], Awaitable[Any]]


@dataclass
class Saved(Message, bubble=False):
    """The server accepted the session (or its new metadata)."""

    session: Any


@dataclass
class SaveFailed(Message, bubble=False):
    """The request failed; `message` is user-facing, sanitized and redacted."""

    message: str


class SessionFormModal(BoxdeckModal[Any]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="boxdeck.session_form.cancel"),
        Binding("ctrl+s", "submit", "Save", id="boxdeck.session_form.submit"),
    ]

    def __init__(
        self,
        title: str,
        save: Save,
        *,
        agent_name: str | None = "claude",
        metadata_text: str = "",
        hint: str = "",
    ) -> None:
        super().__init__(classes="modal form session-form")
        self._title = title
        self._save = save
        self._agent_name = agent_name  # None: not editable (metadata only)
        self._metadata_text = metadata_text
        self._hint = hint
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self._title, markup=False, id="title")
            with VerticalScroll(id="fields", classes="body"):
                if self._agent_name is not None:
                    with Vertical(classes="field"):
                        yield Label("Agent name")
                        yield Input(value=self._agent_name, placeholder="claude or codex", id="agent-name")
                with Vertical(classes="field"):
                    yield Label("Metadata (a JSON object; blank means {})")
                    yield TextArea(self._metadata_text, id="metadata", soft_wrap=True)
                    if self._hint:
                        yield Static(self._hint, markup=False, classes="hint")
            with Vertical(id="foot"):
                yield Static("", markup=False, id="form-error")
                with Horizontal(id="buttons"):
                    yield Button("Save (ctrl+s)", variant="primary", id="save")
                    yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.show_error("")
        if self._agent_name is not None:
            self.query_one("#agent-name", Input).focus()
        else:
            self.query_one("#metadata", TextArea).focus()

    def show_error(self, message: str) -> None:
        error = self.query_one("#form-error", Static)
        error.update(Text(shown(message)))
        error.display = bool(message)

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Input.Submitted)
    def _input_submitted(self) -> None:
        self.action_submit()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_submit(self) -> None:
        if self.busy:
            return
        agent = ""
        if self._agent_name is not None:
            agent = self.query_one("#agent-name", Input).value.strip()
            if not agent:
                self.show_error("Agent name: required (for example claude or codex).")
                self.query_one("#agent-name", Input).focus()
                return
        try:
            metadata = parse_metadata_text(self.query_one("#metadata", TextArea).text)
        except MetadataError as error:
            self.show_error(str(error))
            self.query_one("#metadata", TextArea).focus()
            return
        self.show_error("")
        self._busy(True)
        self._run_save(agent, metadata)

    def _busy(self, busy: bool) -> None:
        self.busy = busy
        button = self.query_one("#save", Button)
        button.disabled = busy
        button.label = "Saving…" if busy else "Save (ctrl+s)"

    @work(exclusive=True, exit_on_error=False, group="session-save")
    async def _run_save(self, agent: str, metadata: dict[str, Any]) -> None:
        try:
            session = await self._save(agent, metadata)
        except (ActionError, MetadataError) as error:
            self.post_message(SaveFailed(str(error)))
            return
        self.post_message(Saved(session))

    @on(SaveFailed)
    def _failed(self, message: SaveFailed) -> None:
        self._busy(False)
        self.show_error(message.message)

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        self.dismiss(message.session)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)
        if event.state is WorkerState.ERROR:
            self._busy(False)
            self.show_error(f"Could not save: {event.worker.error}")
