"""The one poll scheduler: every (profile, backend) polled on its own cadence, woken at once on demand.

The monitors run over the real clients and a scripted wire; the cadence is what each monitor says
(`next_delay`), so a long steady interval shows that only a wake-up can bring a poll early."""

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from boxdeck.service.boxes import Backend
from boxdeck.service.monitoring.monitor import Monitor
from boxdeck.service.monitoring.poller import Polled, Poller
from support.service_fakes import FakeApis, devbox, sandbox

A, D = Backend.AMIKA, Backend.DEVBOX
STEADY = 3600.0  # no poll comes back by itself during a test


class Seen:
    """Every `Polled` report, and a way to wait for the next ones."""

    def __init__(self) -> None:
        self.polls: list[Polled] = []
        self._changed = asyncio.Event()

    def __call__(self, polled: Polled) -> None:
        self.polls.append(polled)
        self._changed.set()

    def count(self, profile: str, backend: Backend) -> int:
        return sum(1 for p in self.polls if (p.profile, p.backend) == (profile, backend))

    async def until(self, done: Callable[[], bool]) -> None:
        async with asyncio.timeout(5):
            while not done():
                self._changed.clear()
                await self._changed.wait()


def apis_with_boxes() -> FakeApis:
    apis = FakeApis()
    apis.sandboxes = [sandbox("a")]
    apis.devboxes = [devbox("d")]
    return apis


async def running(poller: Poller) -> tuple[asyncio.Task[None], Callable[[], Awaitable[None]]]:
    task = asyncio.create_task(poller.run())

    async def stop() -> None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    return task, stop


@pytest.fixture
def monitors() -> tuple[Monitor, Monitor]:
    main = apis_with_boxes().monitor(steady_interval=STEADY, busy_interval=STEADY)
    other = apis_with_boxes().monitor(devbox=False, steady_interval=STEADY, busy_interval=STEADY)
    return main, other


async def test_every_backend_of_every_profile_is_polled_and_reported(monitors) -> None:
    main, other = monitors
    seen = Seen()
    poller = Poller(seen)
    poller.add("", main)
    poller.add("work", other)
    _task, stop = await running(poller)
    await seen.until(lambda: {(p.profile, p.backend) for p in seen.polls} == {("", A), ("", D), ("work", A)})
    await stop()
    assert all(p.health.status == "ok" for p in seen.polls)
    assert main.snapshot(A) is not None and other.snapshot(A) is not None


async def test_poll_now_wakes_a_sleeping_loop_and_only_the_one_asked_for(monitors) -> None:
    main, other = monitors
    seen = Seen()
    poller = Poller(seen)
    poller.add("", main)
    poller.add("work", other)
    _task, stop = await running(poller)
    await seen.until(lambda: len(seen.polls) == 3)
    poller.poll_now("work")
    await seen.until(lambda: seen.count("work", A) == 2)
    poller.poll_now("", D)
    await seen.until(lambda: seen.count("", D) == 2)
    await stop()
    assert seen.count("", A) == 1  # nobody asked: it sleeps on


async def test_an_action_poke_wakes_the_loop_of_its_backend(monitors) -> None:
    main, _other = monitors
    seen = Seen()
    poller = Poller(seen)
    poller.add("", main)
    _task, stop = await running(poller)
    await seen.until(lambda: len(seen.polls) == 2)
    main.poke(A)  # what Actions does after sending a start
    await seen.until(lambda: seen.count("", A) == 2)
    await stop()
    assert seen.count("", D) == 1


async def test_an_unexpected_error_in_one_poll_keeps_every_loop_going(monitors, monkeypatch) -> None:
    main, other = monitors
    seen = Seen()
    poller = Poller(seen)
    poller.add("", main)
    poller.add("work", other)

    async def broken(backend: Backend) -> None:
        raise RuntimeError("a bug, not an API error")

    monkeypatch.setattr(other, "poll", broken)
    _task, stop = await running(poller)
    await seen.until(lambda: seen.count("work", A) == 1 and seen.count("", A) == 1)
    poller.poll_now()
    await seen.until(lambda: seen.count("work", A) == 2 and seen.count("", D) == 2)
    await stop()


async def test_a_removed_profile_is_no_longer_polled(monitors) -> None:
    main, other = monitors
    seen = Seen()
    poller = Poller(seen)
    poller.add("", main)
    poller.add("work", other)
    _task, stop = await running(poller)
    await seen.until(lambda: len(seen.polls) == 3)
    await poller.remove("work")
    poller.poll_now()
    await seen.until(lambda: seen.count("", A) == 2 and seen.count("", D) == 2)
    await stop()
    assert seen.count("work", A) == 1 and poller.profiles == ("",)


async def test_a_profile_added_while_running_is_polled_at_once(monitors) -> None:
    main, other = monitors
    seen = Seen()
    poller = Poller(seen)
    poller.add("", main)
    _task, stop = await running(poller)
    await seen.until(lambda: len(seen.polls) == 2)
    poller.add("work", other)
    await seen.until(lambda: seen.count("work", A) == 1)
    await stop()
