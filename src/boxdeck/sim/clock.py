"""Clocks for the simulated world.

Every duration in the simulator is expressed in "service seconds" (how long the real service takes) and
divided by the world's speed before it is scheduled, so timestamps stay close to the wall clock even at high
speed and the dashboard's "3s ago" arithmetic against the real time stays sensible.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    manual: bool

    def now(self) -> float: ...

    def advance(self, seconds: float) -> None: ...


class RealClock:
    """Wall time plus an offset, so `/_sim/advance` can jump a running demo forward without restarting it."""

    manual = False

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += max(0.0, seconds)


class ManualClock:
    """Time that moves only when told to, so tests can step state machines exactly and never sleep."""

    manual = True

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += max(0.0, seconds)
