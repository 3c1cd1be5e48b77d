"""Write-only forms: a generic secret (new, or a new value for one), and the shared dialog behind the provider
and SSH-key forms.

The dialog looks like the new-box forms (`modals/form.py`: same classes and ids, same keys) and works the same
way: the request runs in the background while the dialog stays open, a refused or failed request shows its
message inline and keeps the form filled. What differs is the value: it lives only in a masked input while the
dialog is open. It is handed to the service for the one request and the input is emptied as soon as that
request finished, whatever the outcome. No attribute, message or notification carries it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static, TextArea
from textual.worker import Worker, WorkerState

from boxdeck.service.actions.actions import ActionError
from boxdeck.service.actions.secret_store import (
    SCOPES,
    SecretStore,
    validate_secret_name,
    validate_secret_value,
)
from boxdeck.service.text.sanitize import shown
from boxdeck.tui.modals.base import BoxdeckModal

#: The request a form builds once its inputs are valid: sends it and returns a one-line summary for the user.
Request = Callable[[], Awaitable[str]]


class SecretInput(Input):
    """A masked input. A multi-line paste (an OAuth JSON file) is kept whole, its line breaks as spaces,
    instead of Textual's default of keeping only the first line."""

    def __init__(self, *, placeholder: str = "", id: str | None = None) -> None:
        super().__init__(placeholder=placeholder, password=True, id=id, classes="secret-input")

    def _on_paste(self, event: events.Paste) -> None:
        if event.text:
            text = " ".join(line for line in event.text.splitlines() if line.strip())
            selection = self.selection
            if selection.is_empty:
                self.insert_text_at_cursor(text)
            else:
                self.replace(text, *selection)
        event.prevent_default()
        event.stop()


@dataclass
class RequestSent(Message, bubble=False):
    """The server accepted the request; `summary` says what was done (never a value)."""

    summary: str


@dataclass
class RequestRefused(Message, bubble=False):
    """The request was refused (before sending, or by the server); `message` is user-facing and redacted,
    `field` names the input to fix when known."""

    message: str
    field: str | None = None


class WriteOnlyForm(BoxdeckModal[str | None]):
    """A dialog that sends one request and dismisses with its summary. Subclasses compose the fields, build
    the request from them (raising `ActionError` with `.field` for an invalid input: shown inline, nothing
    sent) and name the inputs that hold a secret (`VALUE_IDS`: emptied once the request finished)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="boxdeck.form.cancel"),
        Binding("ctrl+s", "submit", "Save", id="boxdeck.form.submit"),
    ]
    TITLE_TEXT: ClassVar[str] = "Form"
    SUBMIT_LABEL: ClassVar[str] = "Create"
    BUSY_LABEL: ClassVar[str] = "Creating…"
    VALUE_IDS: ClassVar[tuple[str, ...]] = ("value",)
    SUBMIT_ON_ENTER: ClassVar[bool] = True

    def __init__(self, *, classes: str = "") -> None:
        super().__init__(classes=f"modal form write-only {classes}".strip())
        self.busy = False

    # ----------------------------------------------------------------- subclass hooks
    def compose_fields(self) -> ComposeResult:
        raise NotImplementedError

    def build_request(self) -> Request:
        """Validate the inputs and return the request; raise `ActionError` (with `.field`) when invalid."""
        raise NotImplementedError

    # ----------------------------------------------------------------- composition
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

    @staticmethod
    def field(label: str, widget: Widget, hint: str = "", *, hint_id: str | None = None) -> ComposeResult:
        with Vertical(classes="field"):
            yield Label(label)
            yield widget
            if hint or hint_id:
                yield Static(hint, markup=False, classes="hint", id=hint_id)

    def on_mount(self) -> None:
        self.show_error("")
        self.first_focus().focus()

    def first_focus(self) -> Widget:
        return self.query(Input).first()

    def show_error(self, message: str) -> None:
        error = self.query_one("#form-error", Static)
        error.update(shown(message))
        error.display = bool(message)

    def clear_values(self) -> None:
        """Empty every input that holds a secret."""
        for value_id in self.VALUE_IDS:
            for widget in self.query(f"#{value_id}"):
                if isinstance(widget, Input):
                    widget.value = ""
                elif isinstance(widget, TextArea):
                    widget.clear()

    def focus_field(self, field: str | None) -> None:
        if not field:
            return
        for widget in self.query(f"#{field}"):
            if widget.focusable:
                widget.focus()
                return

    # ----------------------------------------------------------------- submit
    @on(Button.Pressed, "#create")
    def _create_pressed(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.SUBMIT_ON_ENTER:
            self.action_submit()

    def action_cancel(self) -> None:
        self.clear_values()
        self.dismiss(None)

    def action_submit(self) -> None:
        if self.busy:
            return
        try:
            request = self.build_request()
        except ActionError as error:  # SecretValidationError, AccountError("invalid-key"), ...
            self.show_error(str(error))
            self.focus_field(getattr(error, "field", None))
            return
        self.show_error("")
        self._set_busy(True)
        self._send(request)

    @work(exclusive=True, exit_on_error=False, group="form-send")
    async def _send(self, request: Request) -> None:
        try:
            summary = await request()
        except ActionError as error:
            self.post_message(RequestRefused(str(error), getattr(error, "field", None)))
            return
        self.post_message(RequestSent(summary))

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        button = self.query_one("#create", Button)
        button.disabled = busy
        button.label = self.BUSY_LABEL if busy else f"{self.SUBMIT_LABEL} (ctrl+s)"

    @on(RequestRefused)
    def _refused(self, message: RequestRefused) -> None:
        self.clear_values()  # the request finished: the value goes, the rest of the form stays
        self._set_busy(False)
        self.show_error(message.message)
        self.focus_field(message.field)

    @on(RequestSent)
    def _sent(self, message: RequestSent) -> None:
        self.clear_values()
        self.dismiss(message.summary)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)
        if event.state is WorkerState.ERROR and event.worker.group == "form-send":
            self.clear_values()
            self._set_busy(False)
            self.show_error("The request failed unexpectedly; see the notification.")


class NewSecretModal(WriteOnlyForm):
    """A new generic secret: name, scope (user/org) and the value in a masked input."""

    TITLE_TEXT = "New secret"

    def __init__(self, store: SecretStore) -> None:
        super().__init__(classes="secret-form")
        self.store = store

    def compose_fields(self) -> ComposeResult:
        yield from self.field("Name", Input(placeholder="e.g. MY_SERVICE_TOKEN", id="name"),
                              "One line, at most 255 characters.")
        scopes = Select([(s, s) for s in SCOPES], value="user", allow_blank=False, id="scope")
        yield from self.field("Scope", scopes, "user: only you · org: everyone in the organisation")
        yield from self.field("Value", SecretInput(placeholder="paste the value (hidden)", id="value"),
                              "Hidden as you type; never shown again, not even to you.")

    def build_request(self) -> Request:
        name = validate_secret_name(self.query_one("#name", Input).value)
        value = validate_secret_value(self.query_one("#value", SecretInput).value)
        scope = str(self.query_one("#scope", Select).value)
        store = self.store

        async def request() -> str:
            await store.create(name, value, scope)
            return f"Secret {name} created ({scope})."

        return request


class UpdateSecretModal(WriteOnlyForm):
    """A new value for an existing generic secret."""

    TITLE_TEXT = "Update secret"
    SUBMIT_LABEL = "Save"
    BUSY_LABEL = "Saving…"

    def __init__(self, store: SecretStore, secret_id: str, name: str, scope: str) -> None:
        super().__init__(classes="secret-form")
        self.store = store
        self.secret_id = secret_id
        self.secret_name = name
        self.scope = scope

    def compose_fields(self) -> ComposeResult:
        label = f"{shown(self.secret_name)}  ({shown(self.scope)})"
        yield Static(label, markup=False, id="secret-name")
        value = SecretInput(placeholder="paste the new value (hidden)", id="value")
        yield from self.field("New value", value, "Replaces the current value, which boxdeck never sees.")

    def build_request(self) -> Request:
        value = validate_secret_value(self.query_one("#value", SecretInput).value)
        store, secret_id, name = self.store, self.secret_id, self.secret_name

        async def request() -> str:
            await store.update(secret_id, value, name=name)
            return f"Secret {name}: value replaced."

        return request
