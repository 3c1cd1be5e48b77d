"""What the forms share: a titled dialog, inline validation, a background request that keeps the form open and
filled on failure and shows the server's message; the new-box forms are one kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label, Static
from textual.worker import Worker, WorkerState

from boxdeck.service.actions.actions import ActionError, Actions, AnswerLost
from boxdeck.service.boxes import Box
from boxdeck.tui.messages import ActionFailed
from boxdeck.tui.modals.base import BoxdeckModal

T = TypeVar("T")


@dataclass
class Created(Message, bubble=False):
    """The server accepted the new box."""

    box: Box


class FormModal(BoxdeckModal[T | None], Generic[T]):
    """A form whose submit runs one request in the background (`submit`); dismissed with what it made, or
    None when cancelled. While the request is out a second submit does nothing."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="boxdeck.form.cancel"),
        Binding("ctrl+s", "submit", "Create", id="boxdeck.form.submit"),
    ]
    TITLE_TEXT = "New box"
    SUBMIT_LABEL = "Create"
    BUSY_LABEL = "Creating…"

    def __init__(self, actions: Actions) -> None:
        super().__init__(classes="modal form")
        self.actions = actions
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.TITLE_TEXT, markup=False, id="title")
            with VerticalScroll(id="fields", classes="body"):
                yield from self.compose_fields()
            with Vertical(id="foot"):
                yield Static("", markup=False, id="form-error")
                with Horizontal(id="buttons"):
                    yield Button(f"{self.SUBMIT_LABEL} (ctrl+s)", variant="primary", id="create")
                    yield Button("Cancel (esc)", id="cancel")

    def compose_fields(self) -> ComposeResult:
        raise NotImplementedError

    def values(self) -> dict[str, Any]:
        raise NotImplementedError

    def validate_form(self) -> str | None:
        """A message for the first invalid field, or None."""
        return None

    def submit(self, values: dict[str, Any]) -> None:
        """Send the request (in a worker); it ends in `ActionFailed` (the form stays) or dismisses."""
        raise NotImplementedError

    @staticmethod
    def field(label: str, widget: Input | Any, hint: str = "") -> ComposeResult:
        with Vertical(classes="field"):
            yield Label(label)
            yield widget
            if hint:
                yield Static(hint, markup=False, classes="hint")

    def on_mount(self) -> None:
        self.show_error("")
        self.query(Input).first().focus()

    def show_error(self, message: str) -> None:
        error = self.query_one("#form-error", Static)
        error.update(message)
        error.display = bool(message)

    @on(Button.Pressed, "#create")
    def _create_pressed(self) -> None:
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
        problem = self.validate_form()
        if problem:
            self.show_error(problem)
            return
        self.show_error("")
        self.busy = True
        self.query_one("#create", Button).disabled = True
        self.query_one("#create", Button).label = self.BUSY_LABEL
        self.submit(self.values())

    def _ready_again(self) -> None:
        self.busy = False
        button = self.query_one("#create", Button)
        button.disabled = False
        button.label = f"{self.SUBMIT_LABEL} (ctrl+s)"

    @on(ActionFailed)
    def _failed(self, message: ActionFailed) -> None:
        self._ready_again()
        self.show_error(message.message)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)
        if event.state is WorkerState.ERROR:
            self._ready_again()
            self.show_error(f"Could not {self.SUBMIT_LABEL.lower()}: {event.worker.error}")


class NewBoxModal(FormModal[Box]):
    """A new-box form: `create` sends it; a create whose answer was lost but which the server has is shown as
    created."""

    async def create(self, values: dict[str, Any]) -> Box:
        raise NotImplementedError

    def submit(self, values: dict[str, Any]) -> None:
        self._create(values)

    @work(exclusive=True, exit_on_error=False, group="create")
    async def _create(self, values: dict[str, Any]) -> None:
        try:
            box = await self.create(values)
        except AnswerLost as lost:
            if lost.box is None:  # it may still appear: the form stays filled, and a retry looks first
                self.post_message(ActionFailed(str(lost), severity="warning"))
                return
            self.app.notify(str(lost), severity="warning", markup=False, timeout=10)
            box = lost.box  # it was created: selected like any new box
        except ActionError as error:
            self.post_message(ActionFailed(str(error)))
            return
        self.post_message(Created(box))

    def on_created(self, message: Created) -> None:
        self.dismiss(message.box)
