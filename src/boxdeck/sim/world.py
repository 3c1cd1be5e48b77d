"""The in-memory world: one lock, one clock, one seeded RNG and a heap of timed events.

State changes are never driven by background threads. Each transition is an event on a heap, applied lazily by
`tick()` (called under the lock before every read or write), each at its own due time, so a long jump of the
manual clock replays whole chains (provision -> clone -> publish) in order and with the right timestamps. Per
request this costs O(k log n) for the k events that fell due, which keeps a 10,000-box list cheap.
"""

from __future__ import annotations

import functools
import heapq
import random
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from boxdeck.sim.clock import Clock, ManualClock, RealClock

if TYPE_CHECKING:
    from boxdeck.sim.amika_state import AmikaState
    from boxdeck.sim.boxfs import BoxFiles
    from boxdeck.sim.devbox_state import DevboxState
    from boxdeck.sim.ssh_endpoint import SshEndpoint

P = ParamSpec("P")
R = TypeVar("R")

Handler = Callable[..., None]


class SimError(Exception):
    """A failure the API answers; app.py renders it in the calling API's own error shape."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


class NotFound(SimError):
    def __init__(self, message: str) -> None:
        super().__init__(404, "not_found", message)


class Conflict(SimError):
    def __init__(self, message: str, code: str = "conflict") -> None:
        super().__init__(409, code, message)


class InvalidInput(SimError):
    def __init__(self, message: str) -> None:
        super().__init__(400, "invalid_input", message)


class RawError(Exception):
    """An answer whose body is not the API's usual error shape (the agent-send auth-failure envelope)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(str(body))
        self.status = status
        self.body = body


def iso_ms(t: float) -> str:
    """Amika timestamps look like JavaScript's `toISOString()`: milliseconds and a `Z`."""
    dt = datetime.fromtimestamp(t, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def iso_us(t: float) -> str:
    """Devbox timestamps look like pydantic v2's: microseconds and a `Z`."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class World:
    def __init__(
        self,
        *,
        clock: Clock | None = None,
        seed: int = 1,
        speed: float = 1.0,
        failure_rate: float = 0.1,
        churn: bool = False,
        client_failure_rate: float = 0.0,
    ) -> None:
        from boxdeck.sim.amika_state import AmikaState
        from boxdeck.sim.devbox_state import DevboxState

        if speed <= 0:
            raise ValueError("speed must be positive")
        self.clock: Clock = clock or RealClock()
        self.seed = seed
        self.speed = speed
        self.failure_rate = failure_rate
        self.client_failure_rate = client_failure_rate
        self.churn = churn
        self.ssh: SshEndpoint | None = None
        """Where real SSH logins go (None: the answers name made-up hosts, as without an SSH server)."""
        self.files: BoxFiles | None = None
        """The boxes' directories on this machine (None: snapshots keep no files)."""
        self.rng = random.Random(seed)
        self.lock = threading.RLock()
        self.version = 0
        self._events: list[tuple[float, int, str, dict[str, Any]]] = []
        self._seq = 0
        self._pinned_now: float | None = None
        self._handlers: dict[str, Handler] = {}
        self.pending_churn = False
        self.amika: AmikaState = AmikaState(self)
        self.devbox: DevboxState = DevboxState(self)

    # -- time ------------------------------------------------------------------------------------------------
    def now(self) -> float:
        """The event's own due time while it is applied (so timestamps are exact), else the clock."""
        return self._pinned_now if self._pinned_now is not None else self.clock.now()

    def dur(self, service_seconds: float) -> float:
        return service_seconds / self.speed

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.clock.advance(seconds)
            self.tick()

    def tick(self) -> None:
        with self.lock:
            if self._pinned_now is None:
                self.run_until(self.clock.now())

    def run_until(self, t: float) -> None:
        events = self._events
        while events and events[0][0] <= t:
            due, _, kind, payload = heapq.heappop(events)
            previous = self._pinned_now
            self._pinned_now = due
            try:
                self._handlers[kind](**payload)
            finally:
                self._pinned_now = previous

    # -- events ----------------------------------------------------------------------------------------------
    def on(self, kind: str, handler: Handler) -> None:
        self._handlers[kind] = handler

    def schedule(self, service_seconds: float, kind: str, **payload: Any) -> None:
        """Queue `kind` after a service duration (scaled by speed); JSON payloads, so `--state` keeps them."""
        self._seq += 1
        heapq.heappush(self._events, (self.now() + self.dur(service_seconds), self._seq, kind, payload))

    def pending_events(self) -> int:
        return len(self._events)

    # -- randomness and ids ----------------------------------------------------------------------------------
    def hex(self, nbytes: int) -> str:
        return f"{self.rng.getrandbits(nbytes * 8):0{nbytes * 2}x}"

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def chance(self, p: float) -> bool:
        return p > 0 and self.rng.random() < p

    def fails(self, demo: bool) -> bool:
        """Whether a new box fails: the demo world's own boxes at `failure_rate`, a client's only at
        `client_failure_rate` (0 unless a test or a user asks for failures)."""
        return self.chance(self.failure_rate if demo else self.client_failure_rate)

    def changed(self) -> None:
        self.version += 1

    def answer_ssh(self, backend: str, ref: str, *, ssh_destination: str | None = None,
                   command: str | None = None, proxy_command: str | None = None) -> None:
        """For tests that play a hostile server: what a box's SSH access answers from now on. Amika:
        `ssh_destination` (`{token}` stands for the minted token). Devbox: the access session's `command` and
        `ssh.proxy_command`. None: the usual answer."""
        if backend == "amika":
            self.amika.set_ssh_answer(ref, ssh_destination)
        else:
            self.devbox.set_ssh_answer(ref, command, proxy_command)

    # -- building --------------------------------------------------------------------------------------------
    def build_at(self, t: float) -> None:
        """Pin "now" to a past instant so a seeded world can be built by replaying its history through the
        real state machines (consistent operations and timestamps), then `build_done()` catches up."""
        self.run_until(t)
        self._pinned_now = t

    def build_done(self) -> None:
        self._pinned_now = None
        self.tick()

    # -- persistence hooks -----------------------------------------------------------------------------------
    def events_state(self) -> list[list[Any]]:
        return [[due, seq, kind, payload] for due, seq, kind, payload in sorted(self._events)]

    def restore_events(self, events: list[list[Any]]) -> None:
        self._events = [(float(d), int(s), str(k), dict(p)) for d, s, k, p in events]
        heapq.heapify(self._events)
        self._seq = max((e[1] for e in self._events), default=0)


def locked(fn: Callable[P, R]) -> Callable[P, R]:
    """Domain entry points take the world lock and apply due events first, so every answer reflects "now"."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        world: World = args[0].world  # type: ignore[attr-defined]
        with world.lock:
            world.tick()
            return fn(*args, **kwargs)

    return wrapper


def make_clock(manual: bool, start: float | None) -> Clock:
    return ManualClock(start) if manual else RealClock()
