"""Connect when ready: boxes the user pinned, and what each new snapshot means for them.

Pressing enter on a box that is still coming up pins it; from then on every diff of its backend is checked:
ready means connect now, failed or gone means say why and stop waiting, still coming up means keep waiting.
The rule lives here, UI-free, so it is tested without a terminal; the dashboard rings the bell, notifies and
hands the terminal to ssh.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from boxdeck.service.boxes import PENDING_CREATING, PENDING_STARTING, Backend, Box, StateKind
from boxdeck.service.monitoring.snapshot import Diff, Snapshot
from boxdeck.service.text.sanitize import single_line

__all__ = ["PIN_MARK", "Wait", "WaitEnded", "Waits", "coming_up", "quoted", "startable"]

#: What marks a pinned box in its row and in the strip above the footer.
PIN_MARK = "⏵"

#: States (besides a pending create/start) in which a box is on its way up.
_COMING_UP = {
    Backend.AMIKA: frozenset(
        {"initializing", "starting", "creating", "pending", "provisioning", "restarting"}
    ),
    Backend.DEVBOX: frozenset({"requested", "provisioning"}),
}


def coming_up(box: Box) -> bool:
    """Is the box on its way to ready (so waiting for it makes sense)?"""
    if box.pending:
        return box.pending in (PENDING_CREATING, PENDING_STARTING)
    return box.state.strip().lower() in _COMING_UP.get(box.backend, frozenset())


def startable(box: Box) -> bool:
    """A stopped Amika sandbox: "start and connect when ready" applies."""
    return box.backend is Backend.AMIKA and box.pending is None and box.kind is StateKind.STOPPED


def quoted(name: str) -> str:
    return f"“{single_line(name, limit=60)}”"


@dataclass
class Wait:
    """A box pinned for "connect when ready"."""

    key: str
    backend: Backend
    name: str
    since: datetime
    start: bool = False
    moving: bool = True  # False until a start we asked for shows up (the box is still "stopped" before)
    #: The editor to open the box in when it is ready, instead of connecting.
    open_in: str | None = None


@dataclass(frozen=True, slots=True)
class WaitEnded:
    """A wait is over: `box` is ready (connect to it), or `message` says why not (and `box` is None)."""

    wait: Wait
    box: Box | None
    message: str

    @property
    def ready(self) -> bool:
        return self.box is not None


class Waits:
    """The pinned boxes of one profile, by box key."""

    def __init__(self) -> None:
        self._waits: dict[str, Wait] = {}

    def __contains__(self, key: object) -> bool:
        return key in self._waits

    def __iter__(self) -> Iterator[Wait]:
        return iter(list(self._waits.values()))

    def __len__(self) -> int:
        return len(self._waits)

    def pin(self, box: Box, now: datetime, *, start: bool = False, open_in: str | None = None) -> Wait:
        wait = self._waits[box.key] = Wait(box.key, box.backend, box.name, now, start=start, moving=not start,
                                           open_in=open_in)
        return wait

    def unpin(self, key: str) -> Wait | None:
        return self._waits.pop(key, None)

    def check_diff(self, diff: Diff) -> list[WaitEnded]:
        """What a diff of one backend means for the waits on it; ended waits are dropped."""
        ended = []
        for wait in [w for w in self._waits.values() if w.backend is diff.backend]:
            outcome = self.check(wait, diff.snapshot.boxes.get(wait.key), diff.snapshot)
            if outcome is not None:
                ended.append(outcome)
        return ended

    def check(self, wait: Wait, box: Box | None, snapshot: Snapshot | None) -> WaitEnded | None:
        """None while the box is still on its way (or a start we asked for has not shown up yet)."""
        name = quoted(wait.name)
        outcome: WaitEnded | None
        if box is None:
            outcome = WaitEnded(wait, None, f"{name} is gone; stopped waiting to connect.")
        elif box.kind is StateKind.READY:
            doing = "opening it in your editor" if wait.open_in else "connecting"
            outcome = WaitEnded(wait, box, f"{name} is ready — {doing}.")
        elif coming_up(box):
            wait.moving = True
            return None
        elif box.kind is StateKind.FAILED:
            reason = box.error_message
            detail = snapshot.details.get(box.key) if snapshot is not None else None
            if not reason and detail is not None:
                reason = detail.failed_message
            why = f": {single_line(reason, limit=300)}" if reason else ""
            outcome = WaitEnded(wait, None, f"{name} failed{why}")
        elif box.kind is StateKind.STOPPED and not wait.moving:
            return None
        else:
            state = single_line(box.display_state, limit=40)
            outcome = WaitEnded(wait, None, f"{name} is {state}, not coming up; stopped waiting to connect.")
        self._waits.pop(wait.key, None)
        return outcome
