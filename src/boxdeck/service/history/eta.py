"""ETAs learned from what boxdeck has seen: "ready in ~40 s", "slower than usual".

Provisioning times differ by provider, size and step, and no API states them, so boxdeck measures them: each
time a box goes from created (or from a start) to ready, or a devbox operation step finishes, the duration is
recorded under a key ``(backend, group, phase)``:

- ``backend``: ``"amika"`` or ``"devbox"``;
- ``group``: what makes durations comparable — the Amika provider and size (``"daytona/m"``), a devbox plan
  when the server says one, else ``"default"``;
- ``phase``: ``"provision"`` (created → ready), ``"start"`` (start → ready) or a devbox operation step name
  (``"clone_repositories"``).

The history is a small JSON file in the state dir, rewritten atomically, keeping the last 50 samples per key
(old samples age out as providers get faster or slower). An estimate needs at least 3 samples; below that
boxdeck says nothing rather than guess.

:class:`TransitionTracker` does the recording: feed it state changes — as plain ``observe(...)`` calls, or
the monitor's ``Diff`` objects through ``observe_diff`` — and it opens a phase when a box starts one and
records the duration when the box is ready. A box that fails, disappears or is stopped mid-phase records
nothing: a failure's duration says nothing about the next success.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from boxdeck.service.configuration.paths import atomic_write_text, history_file, read_state
from boxdeck.service.text.timefmt import rough_duration

if TYPE_CHECKING:
    from boxdeck.service.boxes import Box
    from boxdeck.service.monitoring.snapshot import Diff

__all__ = [
    "MAX_SAMPLES",
    "MIN_SAMPLES",
    "PHASE_PROVISION",
    "PHASE_START",
    "EtaHistory",
    "EtaKey",
    "Estimate",
    "TransitionTracker",
    "percentile",
]

MAX_SAMPLES = 50
MIN_SAMPLES = 3
PHASE_PROVISION = "provision"
PHASE_START = "start"
_MAX_SAMPLE_S = 7 * 24 * 3600.0  # anything longer is a clock jump or a box forgotten in a weird state
_FILE_VERSION = 1

Timestamp = float | datetime


def _ts(value: Timestamp) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


@dataclass(frozen=True, slots=True)
class EtaKey:
    backend: str
    group: str
    phase: str

    def encode(self) -> str:
        return "|".join((self.backend, self.group, self.phase))

    @classmethod
    def decode(cls, text: str) -> EtaKey | None:
        parts = text.split("|")
        if len(parts) != 3 or not all(parts):
            return None
        return cls(*parts)


@dataclass(frozen=True, slots=True)
class Estimate:
    """Percentiles of the observed durations, in seconds, over ``n`` samples."""

    p50: float
    p90: float
    n: int


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (``q`` in 0..1) of a non-empty list."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo = math.floor(pos)
    hi = math.ceil(pos)
    if lo == hi:
        return ordered[lo]
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


class EtaHistory:
    """Samples per :class:`EtaKey`, persisted to JSON. A corrupt or missing file means an empty history.

    ``autosave`` writes the file after each ``record`` (a handful of writes per provisioning, atomically);
    turn it off and call ``save()`` yourself to batch.
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        max_samples: int = MAX_SAMPLES,
        min_samples: int = MIN_SAMPLES,
        autosave: bool = True,
    ) -> None:
        self.path = Path(path) if path is not None else history_file()
        self.max_samples = max_samples
        self.min_samples = min_samples
        self.autosave = autosave
        self._samples: dict[EtaKey, list[float]] = {}
        self._lock = threading.Lock()
        self.load_error: str | None = None
        self._load()

    # -- persistence -------------------------------------------------------------------------------------

    def _load(self) -> None:
        keys, self.load_error = read_state(self.path, "samples", "ETA history")
        for text, values in keys.items():
            key = EtaKey.decode(text) if isinstance(text, str) else None
            if key is None or not isinstance(values, list):
                continue
            clean = [float(v) for v in values if _valid_sample(v)]
            if clean:
                self._samples[key] = clean[-self.max_samples :]

    def save(self) -> None:
        with self._lock:
            data: dict[str, Any] = {
                "version": _FILE_VERSION,
                "samples": {k.encode(): list(v) for k, v in self._samples.items()},
            }
        atomic_write_text(self.path, json.dumps(data, indent=1) + "\n")

    # -- samples ---------------------------------------------------------------------------------------------

    def record(self, key: EtaKey, seconds: float) -> bool:
        """Add one observed duration; nonsense (negative, NaN, over a week) is dropped. Returns if kept."""
        if not _valid_sample(seconds):
            return False
        with self._lock:
            samples = self._samples.setdefault(key, [])
            samples.append(float(seconds))
            del samples[: -self.max_samples]
        if self.autosave:
            # An unwritable state dir costs us the memory across runs, not the ETA now.
            with contextlib.suppress(OSError):
                self.save()
        return True

    def samples(self, key: EtaKey) -> list[float]:
        with self._lock:
            return list(self._samples.get(key, ()))

    def keys(self) -> list[EtaKey]:
        with self._lock:
            return list(self._samples)

    def estimate(self, key: EtaKey) -> Estimate | None:
        values = self.samples(key)
        if len(values) < self.min_samples:
            return None
        return Estimate(p50=percentile(values, 0.5), p90=percentile(values, 0.9), n=len(values))

    def is_slow(self, started_at: Timestamp, now: Timestamp, key: EtaKey) -> bool:
        """Whether a phase running since ``started_at`` is past its p90 ("needs attention" sorting)."""
        est = self.estimate(key)
        return est is not None and (_ts(now) - _ts(started_at)) > est.p90

    def describe(self, started_at: Timestamp, now: Timestamp, key: EtaKey) -> str:
        """``"ready in ~40 s"``, ``"ready any moment"``, ``"slower than usual"``, or ``""`` when unknown."""
        est = self.estimate(key)
        if est is None:
            return ""
        elapsed = _ts(now) - _ts(started_at)
        if elapsed > est.p90:
            return "slower than usual"
        remaining = est.p50 - elapsed
        if remaining >= 1:
            return f"ready in ~{rough_duration(remaining)}"
        return "ready any moment"


def _valid_sample(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 <= value <= _MAX_SAMPLE_S
    )


# -- tracking transitions ----------------------------------------------------------------------------------

READY_STATES: Mapping[str, frozenset[str]] = {
    "amika": frozenset({"active", "running", "started"}),
    "devbox": frozenset({"ready"}),
}
#: States in which a box is on its way up after a create.
PROVISIONING_STATES: Mapping[str, frozenset[str]] = {
    "amika": frozenset({"initializing", "creating"}),
    "devbox": frozenset({"requested", "provisioning"}),
}
STOPPED_STATES: Mapping[str, frozenset[str]] = {
    "amika": frozenset({"stopped"}),
    "devbox": frozenset({"stopped"}),
}
#: Reaching one of these ends an open phase without a sample.
ABANDON_STATES: Mapping[str, frozenset[str]] = {
    "amika": frozenset({"failed", "deleting", "deleted", "stopping", "stopped"}),
    "devbox": frozenset({"failed", "destroyed", "stopped"}),
}
_STEP_DONE = frozenset({"success", "succeeded", "done", "completed"})
_STEP_RUNNING = frozenset({"pending", "running", "in_progress"})
_STEP_ABANDON = frozenset({"failed", "deleted", "error", "cancelled"})


@dataclass(frozen=True, slots=True)
class _Open:
    key: EtaKey
    started_at: float


class TransitionTracker:
    """Turns observed state changes into ETA samples, and answers "how long until this box is ready?".

    ``observe(box_key, backend, group, old_state, new_state, at)`` is the whole core: ``old_state=None`` means
    the box was just seen for the first time (pass its ``created_at`` as ``at`` so a box already provisioning
    when boxdeck started counts from its creation). ``observe_diff`` adapts the service's ``Diff`` objects.
    """

    def __init__(
        self,
        history: EtaHistory,
        *,
        clock: Callable[[], float] | None = None,
        max_initial_age: float = 3600.0,
    ) -> None:
        self.history = history
        self.max_initial_age = max_initial_age
        self._clock = clock
        self._open: dict[str, _Open] = {}  # box key -> the phase it is in
        self._steps: dict[tuple[str, str], _Open] = {}  # (box key, operation id) -> running step
        self._steps_done: set[tuple[str, str]] = set()

    # -- the core ----------------------------------------------------------------------------------------

    def observe(
        self,
        box_key: str,
        backend: str,
        group: str,
        old_state: str | None,
        new_state: str | None,
        at: Timestamp,
        *,
        pending: str | None = None,
    ) -> float | None:
        """Feed one observation; returns the recorded duration when a phase just finished.

        ``pending`` is the optimistic action in flight (``"starting"`` opens a ``start`` phase at once, at the
        moment the user pressed the key rather than a poll later).
        """
        backend = str(backend)
        now = _ts(at)
        if new_state is None:
            self.forget(box_key)
            return None
        state = new_state.lower()
        old = old_state.lower() if old_state is not None else None
        current = self._open.get(box_key)

        if state in READY_STATES.get(backend, ()):
            self._open.pop(box_key, None)
            if current is None:
                return None
            duration = now - current.started_at
            return duration if self.history.record(current.key, duration) else None
        if pending == "starting":
            if current is None or current.key.phase != PHASE_START:
                self._open[box_key] = _Open(EtaKey(backend, group, PHASE_START), now)
            return None
        if state in ABANDON_STATES.get(backend, ()):
            self._open.pop(box_key, None)
            return None
        if current is not None:
            return None  # still on the way; the phase keeps its start time
        if old is not None and old in STOPPED_STATES.get(backend, ()) and state != old:
            self._open[box_key] = _Open(EtaKey(backend, group, PHASE_START), now)
        elif old is None and state in PROVISIONING_STATES.get(backend, ()):
            self._open[box_key] = _Open(EtaKey(backend, group, PHASE_PROVISION), now)
        return None

    def observe_step(
        self,
        box_key: str,
        backend: str,
        group: str,
        operation_id: str,
        step: str,
        status: str,
        at: Timestamp,
        *,
        created_at: Timestamp | None = None,
    ) -> float | None:
        """Feed one devbox operation's status; a step seen running and then done records its duration.

        A step that was already done the first time boxdeck saw it records nothing (we did not watch it run).
        Its start is the operation's ``created_at`` when the server gave one, else when boxdeck first saw it.
        """
        ident = (box_key, operation_id)
        status = (status or "").lower()
        if ident in self._steps_done:
            return None
        if status in _STEP_RUNNING:
            if ident not in self._steps:
                start = _ts(created_at) if created_at is not None else _ts(at)
                self._steps[ident] = _Open(EtaKey(backend, group, step), min(start, _ts(at)))
            return None
        opened = self._steps.pop(ident, None)
        self._steps_done.add(ident)
        if status in _STEP_DONE and opened is not None:
            duration = _ts(at) - opened.started_at
            return duration if self.history.record(opened.key, duration) else None
        return None

    def forget(self, box_key: str) -> None:
        """The box is gone: drop everything tracked for it."""
        self._open.pop(box_key, None)
        for ident in [i for i in self._steps if i[0] == box_key]:
            del self._steps[ident]
        self._steps_done = {i for i in self._steps_done if i[0] != box_key}

    # -- questions ---------------------------------------------------------------------------------------

    def phase_of(self, box_key: str) -> tuple[EtaKey, float] | None:
        """The phase a box is in and when it started (epoch seconds), if any."""
        current = self._open.get(box_key)
        return (current.key, current.started_at) if current else None

    def running_steps(self, box_key: str) -> list[tuple[EtaKey, float]]:
        return [(o.key, o.started_at) for (k, _), o in self._steps.items() if k == box_key]

    def describe(self, box_key: str, now: Timestamp | None = None) -> str:
        """ETA text for a box (the running step's when the box-level phase has no history yet)."""
        at = self._now(now)
        current = self._open.get(box_key)
        if current is not None:
            text = self.history.describe(current.started_at, at, current.key)
            if text:
                return text
        for key, started in self.running_steps(box_key):
            text = self.history.describe(started, at, key)
            if text:
                return text
        return ""

    def is_slow(self, box_key: str, now: Timestamp | None = None) -> bool:
        at = self._now(now)
        current = self._open.get(box_key)
        if current is not None and self.history.is_slow(current.started_at, at, current.key):
            return True
        return any(self.history.is_slow(s, at, k) for k, s in self.running_steps(box_key))

    def _now(self, now: Timestamp | None) -> float:
        if now is not None:
            return _ts(now)
        if self._clock is None:
            return datetime.now().timestamp()
        return self._clock()

    # -- the adapter for the monitor's diffs -------------------------------------------------------------

    def observe_diff(self, diff: Diff, at: Timestamp | None = None) -> list[float]:
        """Feed a poll's ``Diff``; returns the durations recorded.

        Added, changed and removed boxes drive the box-level phases; for devboxes, the operations of the
        boxes in ``diff.details_changed`` drive the step phases. ``at`` defaults to the snapshot's
        ``taken_at``.
        """
        snapshot = diff.snapshot
        when: Timestamp = at if at is not None else snapshot.taken_at
        recorded: list[float] = []

        def keep(value: float | None) -> None:
            if value is not None:
                recorded.append(value)

        for box in diff.added:
            created = box.created_at
            if created is not None and _ts(when) - _ts(created) > self.max_initial_age:
                continue  # first seen long after its creation: a restart or a resume, not a fresh provision
            keep(
                self.observe(
                    box.key, box.backend.value, box_group(box), None, box.state,
                    created if created is not None else when, pending=box.pending,
                )
            )
        for change in diff.changed:
            old, new = change.old, change.new
            keep(
                self.observe(
                    new.key, new.backend.value, box_group(new), old.state, new.state, when,
                    pending=new.pending,
                )
            )
        for box in diff.removed:
            self.forget(box.key)
        for key in diff.details_changed:
            detail = snapshot.details.get(key)
            owner = snapshot.boxes.get(key)
            if detail is None or owner is None:
                continue
            for op in detail.operations:
                keep(
                    self.observe_step(
                        key, owner.backend.value, box_group(owner), op.id or op.step, op.step or "step",
                        op.status, detail.fetched_at, created_at=op.created_at,
                    )
                )
        return recorded

    def observe_tuples(
        self, items: Iterable[tuple[str, str, str, str | None, str | None, Timestamp]]
    ) -> None:
        """``(box_key, backend, group, old_state, new_state, at)`` tuples, for callers without Diffs."""
        for item in items:
            self.observe(*item)


def box_group(box: Box) -> str:
    """The comparability group of a Box: Amika ``provider/size``, devbox ``plan/size``, or ``default``."""
    values: tuple[object, ...] = ()
    if box.sandbox is not None:
        values = (box.sandbox.provider, box.sandbox.sandbox_size)
    elif box.devbox is not None:
        # The Devbox API states no plan on a devbox; a server that sends one (an extra field) is heard.
        extra = box.devbox.model_extra or {}
        values = (extra.get("plan"), extra.get("size"))
    parts: list[str] = []
    for value in values:
        if isinstance(value, str) and value and value not in parts:
            parts.append(value.replace("|", "/"))
    return "/".join(parts) if parts else "default"
