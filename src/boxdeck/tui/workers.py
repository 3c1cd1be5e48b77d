"""One place that turns a worker's unexpected error into a notification instead of a crash."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from boxdeck.service.text.sanitize import shown


def report_worker_error(node: Widget | App[Any], event: Worker.StateChanged) -> None:
    """Every worker runs with exit_on_error=False: its failure becomes one notification, never a crash."""
    if event.state is WorkerState.ERROR:
        worker: Worker[object] = event.worker
        error = worker.error
        node.notify(
            shown(f"{worker.name or 'background task'} failed: {type(error).__name__}: {error}"),
            severity="error",
            markup=False,
            timeout=10,
        )
