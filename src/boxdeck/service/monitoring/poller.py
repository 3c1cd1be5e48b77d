"""The one poll scheduler: every (profile, backend) on its own cadence, never overlapping, woken on demand.

Each pair gets a loop that polls, reports, then waits `monitor.next_delay(backend)` — fast while something
is changing, slow when steady, backing off while the backend fails — or less when something wakes it: the
user pressed `r` (`poll_now`), or an action was just sent (the monitor's `poke`). A slow server stretches its
own cadence instead of piling requests up, and one failing profile or backend never holds up the others. The
dashboard runs `run()` in one worker; a script awaits it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from boxdeck.service.boxes import Backend
from boxdeck.service.monitoring.health import Health
from boxdeck.service.monitoring.monitor import Monitor

__all__ = ["Polled", "Poller"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Polled:
    """One poll finished (well or not)."""

    profile: str
    backend: Backend
    health: Health


class Poller:
    """`add` each profile's monitor, then `run()` until cancelled."""

    def __init__(self, on_polled: Callable[[Polled], None] | None = None) -> None:
        self.on_polled = on_polled
        """Told about every finished poll (the dashboard turns it into a message)."""
        self._monitors: dict[str, Monitor] = {}
        self._tasks: dict[tuple[str, Backend], asyncio.Task[None]] = {}
        self._running = False

    @property
    def profiles(self) -> tuple[str, ...]:
        return tuple(self._monitors)

    def add(self, profile: str, monitor: Monitor) -> None:
        """Poll `monitor`'s backends too (from now on, if `run()` is running)."""
        self._monitors[profile] = monitor
        if self._running:
            self._start(profile, monitor)

    async def remove(self, profile: str) -> None:
        """Stop polling `profile`; a poll it had in flight is cancelled and reports nothing."""
        self._monitors.pop(profile, None)
        tasks = [self._tasks.pop(key) for key in [k for k in self._tasks if k[0] == profile]]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def poll_now(self, profile: str | None = None, backend: Backend | None = None) -> None:
        """Poll now: everything, one profile, or one (profile, backend). A poll in flight is followed by
        another right after it."""
        for name, monitor in self._monitors.items():
            if profile is not None and name != profile:
                continue
            for which in monitor.backends:
                if backend is None or which is backend:
                    monitor.wake_event(which).set()

    async def run(self) -> None:
        """Poll until cancelled."""
        self._running = True
        try:
            for profile, monitor in self._monitors.items():
                self._start(profile, monitor)
            await asyncio.Event().wait()
        finally:
            self._running = False
            tasks = list(self._tasks.values())
            self._tasks.clear()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _start(self, profile: str, monitor: Monitor) -> None:
        for backend in monitor.backends:
            key = (profile, backend)
            if key not in self._tasks:
                self._tasks[key] = asyncio.create_task(
                    self._loop(profile, backend, monitor), name=f"poll {profile or 'main'} {backend.value}"
                )

    async def _loop(self, profile: str, backend: Backend, monitor: Monitor) -> None:
        wake = monitor.wake_event(backend)
        while True:
            wake.clear()
            try:
                await monitor.poll(backend)
            except Exception:  # the monitor records API errors itself; anything else must not stop polling
                log.exception("poll of %s/%s failed", profile or "main", backend.value)
            if self.on_polled is not None:
                self.on_polled(Polled(profile, backend, monitor.health(backend)))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=max(monitor.next_delay(backend), 0.0))
