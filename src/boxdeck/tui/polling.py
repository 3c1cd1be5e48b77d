"""Polling the extra profiles watched at once (the All boxes screen), the same way the app polls its own.

The app polls the main service itself (``BoxdeckApp.poll``). Each extra profile's service gets the same
treatment here: per (profile, backend) a worker awaits ``monitor.poll(backend)``, then posts
``ProfilePollFinished``; the app's handler for it calls :meth:`ExtraPolling.finished`, which re-arms the next
poll with ``set_timer(monitor.next_delay(backend))``. Polls never overlap and a failing profile or backend
never stalls the others. Every diff an extra monitor publishes reaches the app as ``ProfileBoxesChanged``.

Nothing here touches a widget: it posts messages to the app and runs workers and timers on it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.timer import Timer
from textual.worker import WorkerState

from boxdeck.service.boxes import Backend
from boxdeck.service.monitoring.health import Health
from boxdeck.service.monitoring.snapshot import Diff

if TYPE_CHECKING:
    from textual.app import App

    from boxdeck.service.configuration.config import Service

log = logging.getLogger(__name__)


@dataclass
class ProfileBoxesChanged(Message, bubble=False):
    """An extra profile's monitor published a diff."""

    profile: str
    diff: Diff


@dataclass
class ProfilePollFinished(Message, bubble=False):
    """One poll of an extra profile's backend finished (successfully or not)."""

    profile: str
    backend: Backend
    health: Health


class ExtraPolling:
    """Polls every configured backend of each extra profile's service, on the app's workers and timers."""

    def __init__(self, app: App[Any], services: Mapping[str, Service]) -> None:
        self.app = app
        self.services: dict[str, Service] = dict(services)
        self._timers: dict[tuple[str, Backend], Timer] = {}
        self._again: set[tuple[str, Backend]] = set()
        self._unsubscribe: list[Callable[[], None]] = []
        self._running = False

    def pairs(self) -> list[tuple[str, Backend]]:
        return [(name, b) for name, service in self.services.items() for b in service.monitor.backends]

    def start(self) -> None:
        if self._running:
            return
        self._running = True
        for name, service in self.services.items():
            self._unsubscribe.append(service.monitor.subscribe(self._publisher(name)))
        for name, backend in self.pairs():
            self.poll(name, backend)

    def stop(self) -> None:
        self._running = False
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        for timer in self._timers.values():
            timer.stop()
        self._timers.clear()
        self._again.clear()

    def _publisher(self, name: str) -> Callable[[Diff], None]:
        def published(diff: Diff) -> None:
            self.app.post_message(ProfileBoxesChanged(name, diff))

        return published

    @staticmethod
    def group(name: str, backend: Backend) -> str:
        # Not "poll-…": the app's own worker handler reads that prefix as one of its backends.
        return f"extra-poll:{name}:{backend.value}"

    def _polling(self, name: str, backend: Backend) -> bool:
        group = self.group(name, backend)
        live = (WorkerState.PENDING, WorkerState.RUNNING)
        return any(w.group == group and w.state in live for w in self.app.workers)

    def poll(self, name: str, backend: Backend) -> None:
        """Poll one profile's backend now (or right after the poll in flight)."""
        if not self._running or name not in self.services:
            return
        timer = self._timers.pop((name, backend), None)
        if timer is not None:
            timer.stop()
        if self._polling(name, backend):
            self._again.add((name, backend))
            return
        self.app.run_worker(
            partial(self._poll_once, name, backend),  # a partial: cancelled before it starts, nothing dangles
            name=f"poll {name} {backend.value}",
            group=self.group(name, backend),
            exclusive=True,
            exit_on_error=False,
        )

    async def _poll_once(self, name: str, backend: Backend) -> None:
        monitor = self.services[name].monitor
        try:
            await monitor.poll(backend)
        except Exception:  # the monitor records API errors itself; anything else must not stop the cadence
            log.exception("poll of %s/%s failed", name, backend.value)
        self.app.post_message(ProfilePollFinished(name, backend, monitor.health(backend)))

    def finished(self, name: str, backend: Backend) -> None:
        """The poll of (name, backend) finished: arm the next one."""
        if not self._running or name not in self.services:
            return
        if (name, backend) in self._again:
            self._again.discard((name, backend))
            delay = 0.0
        else:
            delay = self.services[name].monitor.next_delay(backend)
        old = self._timers.pop((name, backend), None)
        if old is not None:
            old.stop()
        self._timers[(name, backend)] = self.app.set_timer(
            max(delay, 0.001), lambda: self.poll(name, backend)
        )

    def refresh_now(self) -> None:
        for name, backend in self.pairs():
            self.poll(name, backend)

    def poll_soon(self, name: str, backend: Backend) -> None:
        service = self.services.get(name)
        if service is not None and backend in service.monitor.backends:
            self.poll(name, backend)
