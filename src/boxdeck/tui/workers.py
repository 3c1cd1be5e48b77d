"""One place that turns a worker's unexpected error into a notification instead of a crash."""

from __future__ import annotations

from textual.worker import Worker, WorkerState

from boxdeck.service.text.sanitize import shown


class ReportWorkerErrors:
    """Mixin for screens and modals: every worker runs with exit_on_error=False; this reports its failure."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_error(self, event)  # type: ignore[arg-type]


def report_worker_error(node, event: Worker.StateChanged) -> None:
    if event.state is WorkerState.ERROR:
        worker: Worker[object] = event.worker
        error = worker.error
        node.notify(
            shown(f"{worker.name or 'background task'} failed: {type(error).__name__}: {error}"),
            severity="error",
            markup=False,
            timeout=10,
        )
