"""Recovery after an outage and Retry-After, on the manual clock over the simulator.

The poll loop is the TUI's (poll, then wait `monitor.next_delay`), run in simulated time: the monitor's clock
and the simulator's clock move together by exactly the delay the monitor asked for, so an outage of ten
minutes takes milliseconds and the jitter is the real one (seeded).
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from boxdeck.service.boxes import Backend
from boxdeck.service.configuration.config import Service
from boxdeck.service.monitoring.freshness import freshness
from boxdeck.sim import SimServer
from support.service_fakes import FakeClock
from support.sim_service import sim_settings

A, D = Backend.AMIKA, Backend.DEVBOX
STEADY = 5.0


class Loop:
    """The dashboard's poll loop for both backends, in simulated seconds."""

    def __init__(self, sim: SimServer, rng: Callable[[], float]) -> None:
        self.sim = sim
        self.clock = FakeClock()
        self.service = Service.from_settings(
            sim_settings(sim), clock=self.clock, now=self.clock.now, rng=rng
        )
        self.monitor = self.service.monitor
        self.t = 0.0
        self.due = {A: 0.0, D: 0.0}

    def advance_to(self, t: float) -> None:
        self.clock.advance(t - self.t)
        self.sim.advance(t - self.t)
        self.t = t

    async def step(self, backend: Backend | None = None) -> tuple[Backend, bool]:
        """Wait for the next due poll (or poll `backend` now), run it; returns the backend and whether it
        succeeded."""
        if backend is None:
            backend = min(self.due, key=lambda b: self.due[b])
            self.advance_to(self.due[backend])
        await self.monitor.poll(backend)
        self.due[backend] = self.t + self.monitor.next_delay(backend)
        return backend, self.monitor.health(backend).status == "ok"

    async def run_until(self, t: float) -> None:
        """Every poll due before `t`, then the clock to `t`."""
        while min(self.due.values()) < t:
            await self.step()
        self.advance_to(t)

    def fresh(self, backend: Backend) -> bool:
        return freshness(self.monitor.health(backend), self.clock.now()).status == "fresh"


@pytest.mark.parametrize("outage", [90.0, 600.0])
@pytest.mark.parametrize("seed", [None, 1, 2, 3])
async def test_fresh_within_two_steady_intervals_of_the_server_answering_again(
    sim: SimServer, outage: float, seed: int | None
) -> None:
    # seed None: the worst case of the jitter, every wait at the top of its range.
    loop = Loop(sim, (lambda: 0.999999) if seed is None else random.Random(seed).random)
    await loop.run_until(20.0)
    assert loop.fresh(A) and loop.fresh(D)

    sim.set_faults(1.0, ["drop", "502", "503"])
    start = loop.t
    await loop.run_until(start + outage)
    assert loop.monitor.health(A).status == "failing" and loop.monitor.health(D).status == "failing"
    sim.set_faults(0.0)  # the server answers again from now on
    back = loop.t

    recovered: dict[Backend, float] = {}
    while len(recovered) < 2:
        backend, ok = await loop.step()
        if ok and backend not in recovered:
            recovered[backend] = loop.t - back
            assert loop.fresh(backend)
    assert max(recovered.values()) <= 2 * STEADY, recovered
    await loop.service.aclose()


async def test_a_dead_server_is_not_polled_more_often_than_a_healthy_one(sim: SimServer) -> None:
    loop = Loop(sim, random.Random(5).random)
    sim.set_faults(1.0, ["drop"])
    await loop.run_until(600.0)
    polls = sim.requests("GET", "/api/v0beta1/sandboxes")
    assert polls <= 600.0 / STEADY, polls  # ten minutes of a healthy dashboard: 120 polls
    await loop.service.aclose()


async def test_retry_after_is_capped_and_counted_down(sim: SimServer) -> None:
    loop = Loop(sim, random.Random(1).random)
    await loop.run_until(1.0)  # both backends answered once
    sim.set_faults(1.0, ["429"], retry_after=7200)  # two hours
    _, ok = await loop.step(D)
    assert not ok
    m, now = loop.monitor, loop.clock.now
    assert m.health(D).retry_after == 7200.0
    assert m.next_delay(D) == 300.0  # honoured up to five minutes
    assert freshness(m.health(D), now()).short == "rate limited · retrying in 5 m 0 s"
    loop.clock.advance(258.0)
    assert freshness(m.health(D), now()).text.startswith("rate limited · retrying in 42 s — last ok")
    loop.clock.advance(0.5)
    assert freshness(m.health(D), now()).short == "rate limited · retrying in 42 s"  # rounded up
    loop.clock.advance(41.5)
    assert freshness(m.health(D), now()).short == "rate limited · retrying now"
    await loop.service.aclose()
