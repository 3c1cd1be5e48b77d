"""Follow one box until it is ready, failed or gone: the loop behind `boxdeck watch` and `boxdeck ssh --wait`.

It is the dashboard's `Monitor`, not a loop of its own: polls of the box's backend only, at the monitor's
cadence (busy while the box moves, exponential backoff with Retry-After on failures), with devbox details
limited to the one box (`watch([key])`, one detail fetch per cycle) — so each cycle costs one list request,
plus the box's operations and repositories for a devbox. Waiting goes through the injectable `Timing`, which
is how the tests run it against the simulator's manual clock.

What changed between two polls becomes events: lines on stderr (and JSON lines on stdout for `--json`), plus
a live status line with the elapsed time and, when boxdeck has history for this kind of box, an ETA.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TextIO

from pydantic import BaseModel
from rich.text import Text

from boxdeck.api.devbox_models import OPERATION_STEPS
from boxdeck.cli._common import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_TIMEOUT,
    FATAL_STATUSES,
    CliError,
    Timing,
    backend_error,
    backend_error_status,
)
from boxdeck.cli.models import ErrorEvent, OutcomeEvent, RepoEvent, StateEvent, StepEvent, dump
from boxdeck.cli.output import write_out
from boxdeck.cli.progress import Progress
from boxdeck.service.boxes import Backend, Box, StateKind
from boxdeck.service.configuration.config import Service
from boxdeck.service.history.eta import EtaHistory, TransitionTracker
from boxdeck.service.monitoring.snapshot import DevboxDetail, Diff
from boxdeck.service.text.sanitize import single_line
from boxdeck.service.text.timefmt import duration

__all__ = ["Follower", "Outcome", "Result", "attach_eta", "step_progress"]

_DONE_STEP = frozenset({"success", "succeeded", "done", "completed"})
_TERMINAL_STEP = _DONE_STEP | {"failed", "error", "deleted", "cancelled"}


class Outcome(StrEnum):
    READY = "ready"
    FAILED = "failed"
    GONE = "gone"
    STOPPED = "stopped"
    TIMEOUT = "timeout"

    @property
    def exit_code(self) -> int:
        if self is Outcome.READY:
            return EXIT_OK
        return EXIT_TIMEOUT if self is Outcome.TIMEOUT else EXIT_FAILURE


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    box: Box | None
    message: str
    """One sanitized line saying how it ended (the server's failure reason for a failed box)."""


@dataclass(frozen=True)
class StepView:
    id: str
    step: str
    status: str
    message: str
    started: datetime | None
    duration: float | None


@dataclass(frozen=True)
class BoxView:
    state: str
    steps: tuple[StepView, ...]
    repos: tuple[tuple[str, str, str | None], ...]


def attach_eta(service: Service, timing: Timing) -> TransitionTracker | None:
    """Feed every diff of the monitor to an ETA tracker, from the very first poll (so a box already
    provisioning counts from its creation). The history is shared with the dashboard, so the CLI both uses
    and adds to what boxdeck has learned. A broken history costs the ETA, never the command."""
    try:
        tracker = TransitionTracker(EtaHistory(), clock=lambda: timing.now().timestamp())
    except Exception:
        return None

    def feed(diff: Diff) -> None:
        tracker.observe_diff(diff)

    service.monitor.subscribe(feed)
    return tracker


def step_progress(detail: DevboxDetail | None) -> str | None:
    """`2/4 inject_credentials` for the step a devbox is on, as the dashboard shows it."""
    if detail is None or not detail.operations:
        return None
    op = detail.operations[-1]
    step = single_line(op.step or "step", limit=40)
    total = len(OPERATION_STEPS)
    index = OPERATION_STEPS.index(op.step) + 1 if op.step in OPERATION_STEPS else len(detail.operations)
    return f"{index}/{max(total, index)} {step}"


def outcome_of(box: Box) -> Outcome | None:
    kind = box.state_kind
    return {
        StateKind.READY: Outcome.READY,
        StateKind.FAILED: Outcome.FAILED,
        StateKind.GONE: Outcome.GONE,
        StateKind.STOPPED: Outcome.STOPPED,
    }.get(kind)


def failure_reason(box: Box, detail: DevboxDetail | None) -> str:
    """The server's own reason, else the SDKs' default wording."""
    if box.backend is Backend.AMIKA:
        return single_line(box.error_message or "sandbox provisioning failed")
    if detail is not None:
        if detail.failed_message:
            return single_line(detail.failed_message)
        for repo in detail.repositories:
            if repo.clone_error:
                return single_line(f"cloning {repo.full_name} failed: {repo.clone_error}")
    return "devbox provisioning failed"


def _seconds(value: float) -> str:
    return f"{value:.1f}s" if value < 60 else duration(value)


class Follower:
    """Follows one box; `run()` returns how it ended. See the module docstring for the why."""

    def __init__(
        self,
        service: Service,
        box: Box,
        *,
        timing: Timing,
        progress: Progress,
        timeout: float | None = None,
        json_out: TextIO | None = None,
        tracker: TransitionTracker | None = None,
    ) -> None:
        self.service = service
        self.monitor = service.monitor
        self.key = box.key
        self.backend = box.backend
        self.box = box
        self.timing = timing
        self.progress = progress
        self.timeout = timeout
        self.json_out = json_out
        self.tracker = tracker
        self._started = timing.monotonic()
        self._fetched: DevboxDetail | None = None
        self._finished_at: dict[str, datetime] = {}
        self._seen_running: set[str] = set()
        self._view: BoxView | None = None
        self._failing: str | None = None
        self._phase_start: float | None = None

    # -- the loop --------------------------------------------------------------------------------------------

    async def run(self) -> Result:
        try:
            return await self._run()
        finally:
            self.progress.close()  # also on Ctrl-C: never leave a half-drawn status line behind

    async def _run(self) -> Result:
        self.monitor.watch([self.key])
        self.monitor.max_detail_fetches = 1  # only the followed devbox's details, whatever else is moving
        if self.backend is Backend.DEVBOX:
            await self._fetch_detail()  # the steps so far, before the first poll brings them
        while True:
            self._check_health()
            self._note_phase()
            box = self.monitor.box(self.key)
            if box is None:
                return self._end(Outcome.GONE, self.box, f"{self._name} is gone: it was deleted")
            self.box = box
            detail = self._detail()
            outcome = outcome_of(box)
            if outcome is Outcome.FAILED and box.backend is Backend.DEVBOX and not (
                detail is not None and detail.failed_message
            ):
                detail = await self._fetch_detail() or detail
            self._report(box, detail)
            if outcome is not None:
                return self._end(outcome, box, self._message(outcome, box, detail))
            elapsed = self.timing.monotonic() - self._started
            if self.timeout is not None and elapsed >= self.timeout:
                return self._end(
                    Outcome.TIMEOUT,
                    box,
                    f"gave up on {self._name} after {_seconds(self.timeout)}: still {single_line(box.state)}",
                )
            self._draw(box, detail)
            delay = self.monitor.next_delay(self.backend)
            if self.timeout is not None:
                delay = min(delay, self.timeout - elapsed)
            await self.timing.sleep(max(0.0, delay))
            await self.monitor.poll(self.backend)

    # -- state -----------------------------------------------------------------------------------------------

    @property
    def _name(self) -> str:
        return repr(single_line(self.box.name, limit=80))

    def _detail(self) -> DevboxDetail | None:
        if self.backend is not Backend.DEVBOX:
            return None
        return self.monitor.detail(self.key) or self._fetched

    async def _fetch_detail(self) -> DevboxDetail | None:
        """One devbox's operations and repositories straight from the API: for the first view (the monitor
        has not fetched them yet) and for a devbox already failed, whose reason is in its operations."""
        client = self.monitor.devbox
        if client is None:
            return None
        try:
            ops = await client.devboxes.list_operations(self.box.ref)
            repos = await client.devboxes.list_repositories(self.box.ref)
        except Exception:  # the details are a nicety; the state from the list is what decides
            return None
        self._fetched = DevboxDetail(tuple(ops), tuple(repos), self.timing.now())
        return self._fetched

    def _check_health(self) -> None:
        error = backend_error(self.service, self.backend)
        if error is None:
            if self._failing is not None:
                self.progress.event(f"{self.backend}: reachable again")
            self._failing = None
            return
        if backend_error_status(self.service, self.backend) in FATAL_STATUSES:
            raise CliError(f"{self.backend}: {error}")
        if self._failing is None:
            self.progress.event(f"{self.backend}: {error} (retrying)")
            self._emit(ErrorEvent, event="error", message=error)
        self._failing = error

    def _steps(self, detail: DevboxDetail | None) -> tuple[StepView, ...]:
        if detail is None:
            return ()
        ops = detail.operations
        now = self.timing.now()
        out: list[StepView] = []
        for i, op in enumerate(ops):
            status = (op.status or "").lower()
            ident = op.id or f"{i}:{op.step}"
            took: float | None = None
            next_start = ops[i + 1].created_at if i + 1 < len(ops) else None
            if status not in _TERMINAL_STEP:
                self._seen_running.add(ident)
            elif next_start is not None and op.created_at is not None:
                took = (next_start - op.created_at).total_seconds()
            elif ident in self._seen_running and op.created_at:
                finished = self._finished_at.setdefault(ident, now)
                took = (finished - op.created_at).total_seconds()
            out.append(
                StepView(ident, single_line(op.step or "step", limit=40), status,
                         single_line(op.message or "", limit=200), op.created_at, took)
            )
        return tuple(out)

    def _make_view(self, box: Box, detail: DevboxDetail | None) -> BoxView:
        repos = tuple(
            (single_line(r.full_name, limit=100), single_line(r.clone_status or "?", limit=30),
             single_line(r.clone_error, limit=200) if r.clone_error else None)
            for r in (detail.repositories if detail is not None else ())
        )
        return BoxView(box.state, self._steps(detail), repos)

    # -- output ----------------------------------------------------------------------------------------------

    def _report(self, box: Box, detail: DevboxDetail | None) -> None:
        """Turn what changed since the last view into event lines (and JSON lines)."""
        view = self._make_view(box, detail)
        old = self._view
        self._view = view
        p = self.progress
        state = p.paint(single_line(box.state, limit=40), box.state_kind)
        if old is None:
            ident = single_line(box.ref if box.backend is Backend.DEVBOX else (
                getattr(box.sandbox, "id", "") or box.ref), limit=60)
            p.event(Text.assemble(f"{single_line(box.name, limit=80)} ({box.backend}, id {ident}): ", state))
            self._emit(StateEvent, event="state", state=box.state, previous=None)
        elif old.state != view.state:
            was = single_line(old.state, limit=40)
            p.event(Text.assemble(f"{single_line(box.name, limit=80)}: {was} {p.arrow()} ", state))
            self._emit(StateEvent, event="state", state=box.state, previous=old.state)
        old_steps = {s.id: s for s in old.steps} if old is not None else {}
        for step in view.steps:
            before = old_steps.get(step.id)
            news = before is None or before.status != step.status or (
                step.status not in _TERMINAL_STEP and before.message != step.message  # e.g. setup command 2/3
            )
            if not news:
                continue
            p.event(self._step_line(step))
            self._emit(StepEvent, event="step", step=step.step, status=step.status, message=step.message,
                       duration_s=round(step.duration, 3) if step.duration is not None else None)
        old_repos = {r[0]: r for r in old.repos} if old is not None else {}
        for repo in view.repos:
            if old_repos.get(repo[0]) == repo:
                continue
            name, status, error = repo
            kind = StateKind.FAILED if error or status == "failed" else (
                StateKind.READY if status in ("cloned", "success") else StateKind.TRANSITIONAL
            )
            tail = f" ({error})" if error else ""
            p.event(Text.assemble(f"    repo {name}: ", p.paint(status, kind), tail))
            self._emit(RepoEvent, event="repo", repo=name, clone_status=status, clone_error=error)

    def _step_line(self, step: StepView) -> Text:
        p = self.progress
        if step.status in _DONE_STEP:
            mark, kind = p.mark("ok"), StateKind.READY
        elif step.status in _TERMINAL_STEP:
            mark, kind = p.mark("failed"), StateKind.FAILED
        else:
            mark, kind = p.mark("running"), StateKind.TRANSITIONAL
        took = f" {_seconds(step.duration)}" if step.duration is not None else ""
        message = f" - {step.message}" if step.message else ""
        status = p.paint(step.status, kind)
        return Text.assemble("  ", p.paint(mark, kind), f" {step.step} ", status, took, message)

    def _note_phase(self) -> None:
        """Remember when the box began its phase: reaching ready closes the phase in the tracker, and the
        final "ready after …" still needs its start."""
        if self.tracker is not None:
            phase = self.tracker.phase_of(self.key)
            if phase is not None:
                self._phase_start = phase[1]

    def _elapsed(self) -> float:
        """Since the box began this phase (its creation, for a fresh box) when the tracker knows, else since
        we started following."""
        self._note_phase()
        if self._phase_start is not None:
            return max(0.0, self.timing.now().timestamp() - self._phase_start)
        return self.timing.monotonic() - self._started

    def _draw(self, box: Box, detail: DevboxDetail | None) -> None:
        p = self.progress
        if not p.live:
            return
        parts: list[str | Text] = [p.paint(single_line(box.display_state, limit=40), box.kind)]
        step = step_progress(detail)
        if step:
            parts.append(step)
        parts.append(duration(self._elapsed()))
        eta = self.tracker.describe(self.key, self.timing.now()) if self.tracker is not None else ""
        if eta:
            parts.append(eta)
        dot = " · " if p.unicode else " | "
        head = f"{p.spinner()} {single_line(box.name, limit=60)} ({box.backend}) "
        body = Text(dot).join(Text(x) if isinstance(x, str) else x for x in parts)
        lines: list[str | Text] = [Text.assemble(head, body)]
        if detail is not None and detail.operations:
            op = detail.operations[-1]
            if (op.status or "").lower() not in _TERMINAL_STEP and op.message:
                running = ""
                if op.created_at is not None:
                    running = f" ({duration((self.timing.now() - op.created_at).total_seconds())})"
                step_name = single_line(op.step, limit=40)
                lines.append(f"  {step_name}: {single_line(op.message, limit=200)}{running}")
        if self._failing:
            lines.append(Text.assemble("  ", p.paint("retrying", style="yellow"), f": {self._failing}"))
        p.status(lines)

    def _message(self, outcome: Outcome, box: Box, detail: DevboxDetail | None) -> str:
        name = self._name
        if outcome is Outcome.READY:
            state = "" if box.state == "ready" else f" ({single_line(box.state, limit=40)})"
            return f"{name} is ready{state} after {duration(self._elapsed())}"
        if outcome is Outcome.FAILED:
            return f"{name} failed: {failure_reason(box, detail)}"
        if outcome is Outcome.GONE:
            return f"{name} is {single_line(box.state, limit=40)}: it was deleted"
        hint = "devboxes cannot be restarted" if box.backend is Backend.DEVBOX else "start it first"
        return f"{name} is {single_line(box.state, limit=40)} ({hint})"

    def _end(self, outcome: Outcome, box: Box | None, message: str) -> Result:
        self.progress.close()
        self._emit(OutcomeEvent, event=outcome.value, message=message)
        return Result(outcome, box, message)

    def _emit(self, event_type: Callable[..., BaseModel], **fields: Any) -> None:
        """One JSON line per change on stdout (a `boxdeck.cli.models` event), flushed at once so a reading
        script sees it as it happens."""
        if self.json_out is None:
            return
        box = self.box
        model = box.sandbox if box.sandbox is not None else box.devbox
        record = event_type(
            **fields,
            backend=box.backend,
            id=getattr(model, "id", None) or box.ref,
            name=box.name,
            at=self.timing.now(),
            elapsed_s=round(self.timing.monotonic() - self._started, 3),
        )
        write_out(dump(record) + "\n", self.json_out)
