"""What every dialog of boxdeck is: a modal screen whose failed background job becomes a notification."""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen
from textual.worker import Worker

from boxdeck.tui.workers import report_worker_error

__all__ = ["BoxdeckModal"]

ResultType = TypeVar("ResultType")


class BoxdeckModal(ModalScreen[ResultType]):
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_error(self, event)
