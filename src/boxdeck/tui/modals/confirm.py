"""A yes/no question that names what it is about. Enter/y confirms, Escape/n cancels."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from boxdeck.tui.modals.base import BoxdeckModal


class ConfirmModal(BoxdeckModal[bool]):
    BINDINGS = [
        Binding("y", "confirm", "Yes", id="boxdeck.confirm.yes"),
        Binding("n,escape", "cancel", "No", id="boxdeck.confirm.no"),
    ]

    def __init__(self, title: str, body: str, *, confirm_label: str = "OK") -> None:
        super().__init__(classes="modal confirm")
        self._title = title
        self._body = body
        self._confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self._title, markup=False, id="title")
            with VerticalScroll(classes="body"):
                yield Static(self._body, markup=False, id="body")
            with Vertical(id="foot"), Horizontal(id="buttons"):
                yield Button(f"{self._confirm_label} (y)", variant="error", id="confirm")
                yield Button("Cancel (n)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
