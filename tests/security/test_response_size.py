"""A server that answers with a gzip bomb or an endless body, over real HTTP: the simulator's hostile mode.

The clients stop reading at their cap, with a clear error and memory bounded by the cap (the peak of
Python allocations around the request, the simulator's own included, since it runs in this process); the
monitor records it as a poll failure of that backend only, and the dashboard stays up showing it, then
recovers when the server behaves again.
"""

from __future__ import annotations

import sys
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tui"))  # tui_helpers

from boxdeck.api import (
    DEFAULT_MAX_BODY_BYTES,
    AmikaClient,
    AmikaHTTPError,
    AmikaResponseTooLargeError,
    DevboxClient,
    DevboxResponseTooLargeError,
)
from boxdeck.service.boxes import Backend
from boxdeck.service.configuration.config import AmikaSettings, DevboxSettings, Service, Settings
from boxdeck.sim import SimServer
from boxdeck.tui.app import BoxdeckApp
from boxdeck.tui.context import Deck
from support.tui import SIZE, until
from support.tui_fixtures import sim_now

MiB = 1024 * 1024


async def peak_during(call: Callable[[], Awaitable[Any]]) -> tuple[BaseException | None, int]:
    tracemalloc.start()
    try:
        try:
            await call()
        except Exception as exc:
            return exc, tracemalloc.get_traced_memory()[1]
        return None, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    "body, size",
    # The double bomb is smaller only because the simulator must deflate all of it before sending a byte.
    [("gzip_bomb", 1 << 30), ("double_gzip_bomb", 128 * MiB), ("endless", None)],
)
async def test_a_hostile_body_ends_in_a_clear_error_with_flat_memory(
    sim: SimServer, body: str, size: int | None
) -> None:
    sim.set_hostile(body=body, bomb_bytes=size)
    amika = AmikaClient(sim.base_url, access_token=sim.amika_token, max_body_bytes=4 * MiB)
    devbox = DevboxClient(sim.base_url, sprites_token=sim.sprites_token, max_body_bytes=4 * MiB)
    try:
        raised, peak = await peak_during(amika.list_sandboxes)
        assert isinstance(raised, AmikaResponseTooLargeError), raised
        assert "larger than 4 MiB once decompressed" in str(raised)
        assert peak < 24 * MiB, f"peak {peak / MiB:.1f} MiB while refusing a body far bigger"
        raised, peak = await peak_during(devbox.devboxes.list)
        assert isinstance(raised, DevboxResponseTooLargeError), raised
        assert peak < 24 * MiB, f"peak {peak / MiB:.1f} MiB while refusing a body far bigger"
        sim.set_hostile()
        assert await amika.list_sandboxes()  # the same client reads a sane answer again
    finally:
        await amika.aclose()
        await devbox.aclose()


async def test_the_default_cap_stops_a_bomb_far_beyond_it(sim: SimServer) -> None:
    sim.set_hostile(body="gzip_bomb", bomb_bytes=1 << 30)
    async with AmikaClient(sim.base_url, access_token=sim.amika_token) as amika:
        raised, peak = await peak_during(amika.list_sandboxes)
    assert isinstance(raised, AmikaResponseTooLargeError), raised
    assert peak < DEFAULT_MAX_BODY_BYTES + 24 * MiB, f"peak {peak / MiB:.1f} MiB"


async def test_an_error_answer_with_a_bomb_body_is_still_the_http_error(sim: SimServer) -> None:
    sim.set_hostile(body="gzip_bomb", status=503, bomb_bytes=1 << 30)
    async with AmikaClient(sim.base_url, access_token=sim.amika_token) as amika:
        raised, peak = await peak_during(amika.list_sandboxes)
    assert isinstance(raised, AmikaHTTPError) and raised.status_code == 503, raised
    assert peak < 24 * MiB, f"peak {peak / MiB:.1f} MiB"


async def test_the_monitor_records_it_as_that_backends_poll_failure(sim: SimServer) -> None:
    settings = Settings(
        amika=AmikaSettings(sim.base_url, sim.amika_token),
        devbox=DevboxSettings(sim.base_url, sim.sprites_token),
        max_response_bytes=2 * MiB,
    )
    async with Service.from_settings(settings) as service:
        monitor = service.monitor
        sim.set_hostile(body="endless")
        await monitor.poll(Backend.AMIKA)
        health = monitor.health(Backend.AMIKA)
        assert health.status == "failing"
        assert "larger than 2 MiB once decompressed" in (health.last_error or "")
        assert "max_response_mb" in (health.last_error or "")  # says what to change if the list is real
        sim.set_hostile()
        await monitor.poll(Backend.DEVBOX)
        assert monitor.health(Backend.DEVBOX).status == "ok"
        await monitor.poll(Backend.AMIKA)
        assert monitor.health(Backend.AMIKA).status == "ok"


async def test_the_dashboard_stays_up_and_shows_the_failure(sim: SimServer) -> None:
    settings = Settings(
        amika=AmikaSettings(sim.base_url, sim.amika_token),
        devbox=DevboxSettings(sim.base_url, sim.sprites_token, sim.user_token),
        steady_interval=0.5,
        busy_interval=0.25,
        max_response_bytes=2 * MiB,
    )
    service = Service.from_settings(settings, now=sim_now(sim), rng=lambda: 0.0, max_backoff=0.2)
    app = BoxdeckApp(Deck(service, now=sim_now(sim), owns_services=True, spinner_interval=None))
    sim.set_hostile(body="gzip_bomb", bomb_bytes=1 << 30)
    async with app.run_test(size=SIZE) as pilot:
        monitor = app.deck.main.monitor
        await until(pilot, lambda: all(monitor.health(b).status == "failing" for b in monitor.backends),
                    timeout=10)
        assert "larger than 2 MiB" in (monitor.health(Backend.AMIKA).last_error or "")
        assert app.is_running
        sim.set_hostile()
        await until(pilot, lambda: all(monitor.health(b).status == "ok" for b in monitor.backends),
                    timeout=10)
        assert app.screen.boxes, "the boxes came back"
